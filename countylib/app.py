"""The Textual App shell and ``make_app``, the one factory the command line and tests use.

Flow: the database is opened and migrated before anything mounts; an empty database
shows the setup wizard, otherwise the login screen. Signing in installs one Textual mode
per area (so each keeps its state while staff move between them); signing out or
switching user removes them, so nothing of one person's work shows to the next.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import peewee as pw
from textual import events, work
from textual._time import get_time  # the clock of events' .time
from textual.app import App, SystemCommand
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from countylib.auth import sign_out
from countylib.backup import automatic_backup, configured_backup_dir
from countylib.clock import Clock
from countylib.context import ServiceContext
from countylib.errors import CountyLibError
from countylib.i18n import N_, _, normalize_language, set_language, system_language
from countylib.library import is_initialized, make_context, open_db
from countylib.logs import log_crash
from countylib.roles import ROLE_NAMES, Actor
from countylib.settings import change_setting, get_setting
from models.database import checkpoint, hand_checkpoints_to_background
from screens.about import AboutScreen
from screens.areas import AREAS, AREAS_BY_ID, Area
from screens.home import HomeScreen
from screens.i18n import translate_bindings
from screens.lock import LockScreen
from screens.login import LoginScreen
from screens.placeholder import PlaceholderScreen
from screens.sync_worker import start_background_sync
from screens.widgets.statusbar import Status, StatusBar, describe_clock, describe_sync
from screens.wizard import WizardScreen
from sync.outbox import pending_count, sync_state

log = logging.getLogger(__name__)

HOME = "home"
GATE = "gate"  # the mode staff see before signing in: login (or the setup wizard)


@dataclass
class AppConfig:
    """How this run of the app is set up (the command line and tests fill it in)."""

    language: str | None = None  # overrides the setting and the system locale
    clock: Clock | None = None
    demo: bool = False  # show the demo accounts on the login screen
    idle_lock_minutes: float | None = None  # overrides the setting


class CountyLibApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "CountyLib"
    DEFAULT_MODE = GATE
    MODES = {GATE: Screen}
    # Quit, lock and sign out are named on the home screen rather than in every footer: an
    # area's own keys need the room (the desk's fill 120 columns). F1 leads back to them.
    BINDINGS = [
        Binding("ctrl+q", "quit", N_("Quit"), id="app.quit", priority=True, show=False),
        Binding("f1", "open_area('home')", N_("Home"), id="app.home"),
        *[
            Binding(area.key, f"open_area('{area.id}')", area.title, id=f"app.area.{area.id}", show=False)
            for area in AREAS
        ],
        Binding("ctrl+l", "lock", N_("Lock"), id="app.lock", show=False),
        Binding("ctrl+o", "sign_out", N_("Sign out"), id="app.sign_out", show=False),
    ]

    def __init__(self, database: pw.SqliteDatabase, config: AppConfig) -> None:
        super().__init__()
        self.database = database
        self.config = config
        self.clock = config.clock or Clock()
        self.ctx: ServiceContext | None = make_context(database, self.clock) if is_initialized() else None
        # The desk's own commits never checkpoint the WAL; a background worker does.
        hand_checkpoints_to_background(database)
        self.last_activity = time.monotonic()
        self.dialog_closed_at = 0.0  # see pop_screen
        self.input_at = 0.0  # see on_event
        self._locked = False
        translate_bindings(self)

    def pop_screen(self) -> AwaitComplete:
        # Noted now, while the closing dialog still handles its key: a second press of that
        # key (Ctrl+S to save) goes to the screen below, which may mean something else by it.
        # On the clock Textual stamps input events with, to compare with ``input_at``.
        self.dialog_closed_at = get_time()
        return super().pop_screen()

    # -- start, sign in, sign out --------------------------------------------------------

    def on_mount(self) -> None:
        self.title = _("CountyLib")
        if self.ctx is None:
            self.push_screen(WizardScreen(self.database, self.clock), self._library_created)
        else:
            self.push_screen(LoginScreen(self.ctx, demo=self.config.demo))
        self.set_interval(2, self._tick)
        self.set_interval(30, self.run_checkpoint)
        self.run_backup("start")
        self.set_interval(3600, lambda: self.run_backup("daily"))

    @work(thread=True, exclusive=True, group="backup", exit_on_error=False, description="backup")
    def run_backup(self, reason: str) -> None:
        """The automatic backups: at start (unless a fresh one exists) and once a day."""
        db_path = Path(self.database.database)
        with self.database.connection_context():
            folder = configured_backup_dir(db_path)
        result = automatic_backup(db_path, folder, reason=reason, clock=self.clock)
        if result is not None and result.fallback:
            self.call_from_thread(self.notify, result.fallback, severity="warning", timeout=15)

    @work(thread=True, exclusive=True, group="checkpoint", exit_on_error=False, description="checkpoint")
    def run_checkpoint(self) -> None:
        with self.database.connection_context():
            checkpoint(self.database)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "checkpoint" and event.state == WorkerState.ERROR:
            # Harmless (the next one, 30 s later, catches up) but worth knowing about.
            log.warning("wal checkpoint failed: %s", type(event.worker.error).__name__)
        if event.worker.group == "backup" and event.state == WorkerState.ERROR:
            error = event.worker.error
            if isinstance(error, CountyLibError):
                message = error.message
            else:
                log_crash(log, error, "automatic backup")
                message = str(error)
            self.notify(_("The automatic backup failed: {reason}").format(reason=message), severity="error", timeout=15)

    def _library_created(self, ctx: ServiceContext | None) -> None:
        if ctx is None:
            return
        self.ctx = ctx
        self.push_screen(LoginScreen(ctx, demo=self.config.demo))

    @property
    def signed_in_actor(self) -> Actor | None:
        return self.ctx.actor if self.ctx is not None and self.ctx.actor.staff_id else None

    def signed_in(self, actor: Actor) -> None:
        assert self.ctx is not None
        self.ctx = self.ctx.as_actor(actor)
        self.last_activity = time.monotonic()
        self.pop_screen()  # the login screen, on the gate mode's stack
        self.add_mode(HOME, lambda: HomeScreen(self.ctx))
        for area in AREAS:
            self.add_mode(area.id, self._area_factory(area))
        self.switch_mode(HOME)
        start_background_sync(self)

    def _area_factory(self, area: Area):
        def build() -> Screen:
            assert self.ctx is not None
            return area.build(self.ctx) or PlaceholderScreen(self.ctx, area)

        return build

    async def action_sign_out(self, reason: str = "user") -> None:
        if self.signed_in_actor is None:
            return
        sign_out(self.ctx, reason)
        self.ctx = make_context(self.database, self.clock)
        self._locked = False
        await self.switch_mode(GATE)
        for mode in [HOME, *(a.id for a in AREAS)]:
            if mode in self._modes:
                await self.remove_mode(mode)
        self.push_screen(LoginScreen(self.ctx, demo=self.config.demo))

    # -- moving between areas -------------------------------------------------------------

    def open_area(self, area_id: str) -> None:
        if self.signed_in_actor is None or self._locked:
            return
        if area_id != HOME:
            area = AREAS_BY_ID[area_id]
            if not self.ctx.actor.at_least(area.min_role):
                self.notify(
                    _("{area} needs the {role} role.").format(area=_(area.title), role=_(ROLE_NAMES[area.min_role])),
                    severity="warning",
                )
                self.bell()
                return
        self.switch_mode(area_id)

    def action_open_area(self, area_id: str) -> None:
        self.open_area(area_id)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("open_area", "lock", "sign_out"):
            return self.signed_in_actor is not None and not self._locked
        return True

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand(_("About CountyLib"), _("Version, data folder, log folder, licence"), self.action_about)
        if self.signed_in_actor is None or self._locked:
            return
        for area in AREAS:
            if self.ctx.actor.at_least(area.min_role):
                yield SystemCommand(_(area.title), _(area.help), lambda a=area.id: self.open_area(a))
        yield SystemCommand(_("Lock"), _("Lock the screen until the password is typed"), self.action_lock)
        yield SystemCommand(_("Sign out"), _("End this session; the next person signs in"), self.action_sign_out)

    def action_about(self) -> None:
        self.push_screen(AboutScreen(self.database.database))

    # -- idle lock ---------------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp)):
            self.last_activity = time.monotonic()
        if isinstance(event, events.InputEvent):
            # When the key was pressed, not when it is handled: a second Ctrl+S typed while
            # a busy form saved is handled after the form closed, yet was meant for the form.
            # The event passes here again on its way back up, just before its binding runs.
            self.input_at = event.time
        await super().on_event(event)

    def idle_limit_seconds(self) -> float:
        minutes = self.config.idle_lock_minutes
        if minutes is None:
            minutes = float(get_setting("idle_lock_minutes"))
        return minutes * 60

    def _tick(self) -> None:
        self.refresh_status()
        limit = self.idle_limit_seconds()
        if self.signed_in_actor and not self._locked and limit > 0:
            if time.monotonic() - self.last_activity >= limit:
                self.action_lock()

    def action_lock(self) -> None:
        if self.signed_in_actor is None or self._locked:
            return
        self._locked = True
        self.push_screen(LockScreen(self.ctx), self._unlocked)

    async def _unlocked(self, unlocked: bool | None) -> None:
        self._locked = False
        self.last_activity = time.monotonic()
        if not unlocked:
            await self.action_sign_out("lock")

    # -- language -----------------------------------------------------------------------

    async def set_ui_language(self, language: str, *, persist: bool) -> None:
        """Switch the interface language now; every screen re-renders, nothing restarts."""
        set_language(language)
        if persist and self.ctx is not None and self.signed_in_actor is not None:
            try:
                change_setting(self.ctx, "language", language)
            except CountyLibError as exc:
                self.notify(exc.message, severity="error")
        translate_bindings(self)
        self.title = _("CountyLib")
        for mode in [HOME, *(a.id for a in AREAS)]:
            if mode in self._modes and mode != self.current_mode and mode in self._screen_stacks:
                # Not on screen: rebuild lazily in the new language when next visited.
                await self.remove_mode(mode)
                self.add_mode(mode, self._area_factory(AREAS_BY_ID[mode]) if mode != HOME else (lambda: HomeScreen(self.ctx)))
        for screen in list(self.screen_stack):
            retranslate = getattr(screen, "retranslate", None)
            if retranslate is not None:
                await retranslate()
        self.refresh_bindings()

    # -- status bar ---------------------------------------------------------------------

    def current_status(self) -> Status | None:
        if self.ctx is None:
            return None
        state = sync_state()
        actor = self.ctx.actor
        return Status(
            library=self.ctx.branch.library_name,
            branch=f"{self.ctx.branch.name} ({self.ctx.branch.code})",
            user=actor.display_name or actor.username,
            role=_(ROLE_NAMES[actor.role]),
            sync=(
                self.background_sync.describe()
                if getattr(self, "background_sync", None)
                else describe_sync(pending_count(), bool(state and state.hub_url))
            ),
            clock=describe_clock(self.clock.local_now()),
        )

    def refresh_status(self) -> None:
        if not self.screen_stack:
            return  # the timer can fire once more while the app shuts down
        status = self.current_status()
        for bar in self.screen.query(StatusBar):
            bar.status = status


def choose_language(config: AppConfig) -> str:
    """The configured override, then the library's setting, then the system's locale."""
    if config.language:
        return normalize_language(config.language) or system_language()
    if is_initialized():
        return get_setting("language")
    return system_language()


def make_app(db_path: str | Path, config: AppConfig | None = None) -> CountyLibApp:
    """Open (and migrate) the database, pick the language, build the App."""
    config = config or AppConfig()
    database = open_db(db_path)
    set_language(choose_language(config))
    return CountyLibApp(database, config)
