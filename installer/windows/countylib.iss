; CountyLib for Windows: a per-user installer (no administrator) around the PyInstaller bundle.
;
;   python installer\build.py                                     -> dist\countylib\
;   iscc /DAppVersion=0.1.0 installer\windows\countylib.iss       -> dist\installer\CountyLib-0.1.0-setup.exe
;
; .github/workflows/windows-installer.yml does both on a Windows runner. Relative paths below
; are relative to this file's folder.
;
; Where things go (nothing needs an administrator):
;   program       %LOCALAPPDATA%\Programs\CountyLib   ({userpf}; replaced whole by an upgrade)
;   library data  %LOCALAPPDATA%\CountyLib            (made by the program; never touched here,
;                                                      kept by upgrades and by the uninstaller)

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#define AppName "CountyLib"
#define Bundle "..\..\dist\countylib"
; Inno Setup 6.5+ ships the Simplified Chinese wizard texts; older compilers build an English-only installer.
#define HaveChinese FileExists(AddBackslash(CompilerPath) + "Languages\ChineseSimplified.isl")

[Setup]
; The AppId is how an upgrade finds the earlier install: never change it.
AppId={{9920BD3A-A8C5-4A61-966A-01AC55ED08A7}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=CountyLib contributors
AppCopyright=Copyright (c) 2026 CountyLib contributors
PrivilegesRequired=lowest
DefaultDirName={userpf}\{#AppName}
UsePreviousAppDir=yes
DisableProgramGroupPage=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist\installer
OutputBaseFilename={#AppName}-{#AppVersion}-setup
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
UninstallDisplayIcon={app}\countylib.exe
UninstallDisplayName={#AppName} {#AppVersion}
; An open CountyLib is asked to close before its files are replaced (Restart Manager).
CloseApplications=yes
SetupLogging=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"
#if HaveChinese
Name: "chinesesimplified"; MessagesFile: "compiler:Languages\ChineseSimplified.isl"
#endif

[CustomMessages]
english.ShortcutComment=Library desk, readers, catalogue and more
english.OpenCountyLib=Open CountyLib now
english.NotTheDataFolder=Please choose another folder: %1 is where CountyLib keeps the library's data.
english.DataKept=The library's data is kept in:%n%n%1%n%n(the database, backups\, exports and printouts). Installing CountyLib again uses it as it is. Delete that folder yourself only when it is no longer needed.
#if HaveChinese
chinesesimplified.ShortcutComment=图书馆流通台、读者、编目等
chinesesimplified.OpenCountyLib=立即打开 CountyLib
chinesesimplified.NotTheDataFolder=请选择其他文件夹：%1 是 CountyLib 保存图书馆数据的地方。
chinesesimplified.DataKept=图书馆的数据保留在：%n%n%1%n%n（数据库、backups\ 备份、导出文件和打印文件）。重新安装 CountyLib 后会照常使用这些数据。确实不再需要时，再自行删除该文件夹。
#endif

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"

[InstallDelete]
; An upgrade replaces the whole bundle: no module of the older version is left behind.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#Bundle}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs
Source: "..\..\LICENSE"; DestDir: "{app}"; DestName: "LICENSE.txt"; Flags: ignoreversion

[Icons]
; The shortcut opens Windows Terminal at 120 x 36 when it is installed (Windows 11 has it),
; otherwise the classic console, sized with `mode`. Decided when installing: install again
; after adding Windows Terminal to switch.
Name: "{autoprograms}\{#AppName}"; Filename: "{code:LaunchProgram}"; Parameters: "{code:LaunchParameters}"; WorkingDir: "{app}"; IconFilename: "{app}\countylib.exe"; Comment: "{cm:ShortcutComment}"
Name: "{autodesktop}\{#AppName}"; Filename: "{code:LaunchProgram}"; Parameters: "{code:LaunchParameters}"; WorkingDir: "{app}"; IconFilename: "{app}\countylib.exe"; Comment: "{cm:ShortcutComment}"; Tasks: desktopicon

[Run]
Filename: "{code:LaunchProgram}"; Parameters: "{code:LaunchParameters}"; WorkingDir: "{app}"; Description: "{cm:OpenCountyLib}"; Flags: postinstall nowait skipifsilent

[UninstallDelete]
Type: filesandordirs; Name: "{app}\_internal"

[Code]
const
  Columns = '120';
  Rows = '36';

function WindowsTerminal: String;
begin
  { The App Execution Alias that the Microsoft Store installs for Windows Terminal. }
  Result := ExpandConstant('{localappdata}\Microsoft\WindowsApps\wt.exe');
end;

function HasWindowsTerminal: Boolean;
begin
  Result := FileExists(WindowsTerminal);
end;

function LaunchProgram(Param: String): String;
begin
  if HasWindowsTerminal then
    Result := WindowsTerminal
  else
    Result := ExpandConstant('{cmd}');
end;

function LaunchParameters(Param: String): String;
var
  Exe: String;
begin
  Exe := AddQuotes(ExpandConstant('{app}\countylib.exe'));
  if HasWindowsTerminal then
    Result := '--size ' + Columns + ',' + Rows + ' new-tab --title {#AppName} --suppressApplicationTitle -d '
      + AddQuotes(ExpandConstant('{app}')) + ' ' + Exe
  else
    Result := '/c title {#AppName} & mode con: cols=' + Columns + ' lines=' + Rows + ' & ' + Exe;
end;

{ Where the program keeps the library's data: platformdirs' user data folder, or COUNTYLIB_HOME. }
function DataFolder: String;
begin
  Result := GetEnv('COUNTYLIB_HOME');
  if Result = '' then
    Result := ExpandConstant('{localappdata}\{#AppName}');
end;

function NextButtonClick(CurPageID: Integer): Boolean;
begin
  Result := True;
  if (CurPageID = wpSelectDir) and (CompareText(RemoveBackslashUnlessRoot(WizardDirValue), DataFolder) = 0) then
  begin
    MsgBox(FmtMessage(CustomMessage('NotTheDataFolder'), [DataFolder]), mbError, MB_OK);
    Result := False;
  end;
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if (CurUninstallStep = usPostUninstall) and DirExists(DataFolder) and not UninstallSilent then
    MsgBox(FmtMessage(CustomMessage('DataKept'), [DataFolder]), mbInformation, MB_OK);
end;
