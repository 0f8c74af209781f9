"""Sync: the connection to the central library, what waits to be sent, past syncs, and the
conflicts to resolve (each with both sides and the actions that fit).

Syncing runs in a thread worker (``screens.sync_worker``) and never blocks the desk; this
screen only shows its state and asks for a sync. Resolving a conflict records an event, so
every branch the conflict concerns sees the resolution after its next sync.
"""

from __future__ import annotations

import time

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Static, TabbedContent, TabPane

from countylib.conflicts import ACTION_HELP, ACTION_TITLES, CODE_TITLES, ConflictLine, conflict_lines, resolve_conflict
from countylib.errors import CountyLibError
from countylib.i18n import N_, _, format_date
from countylib.paths import data_dir
from screens.base import AreaScreen
from screens.i18n import translate_bindings
from screens.sync_worker import BackgroundSync
from screens.widgets.footer import Footer
from sync.client import SyncClient, describe_offset, recent_runs
from sync.codec import parse_utc
from sync.outbox import is_enrolled, pending_count, pending_events, sync_state

SIDE_FACTS = (
    ("branch", N_("branch")),
    ("location", N_("at")),
    ("at", N_("on")),
    ("name", N_("reader")),
    ("card_number", N_("card")),
    ("original_card_number", N_("first given card")),
    ("barcode", N_("copy")),
    ("closed_at", N_("closed on")),
    ("renewal", N_("renewal no.")),
    ("max_renewals", N_("renewals allowed")),
)


def _when(ctx, value) -> str:
    if value is None:
        return ""
    local = ctx.clock.to_local(value)
    return f"{format_date(local.date())} {local:%H:%M}"


class ResolveScreen(ModalScreen[str | None]):
    """Confirms a resolution; dismisses with the note typed (maybe empty) or None."""

    CSS_PATH = "sync.tcss"
    BINDINGS = [
        Binding("escape", "cancel", N_("Cancel"), id="sync.resolve.cancel"),
        Binding("ctrl+s", "confirm", N_("Confirm"), id="sync.resolve.confirm"),
    ]

    def __init__(self, line: ConflictLine, action: str) -> None:
        super().__init__()
        self.line = line
        self.action_name = action
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_(CODE_TITLES.get(self.line.code, self.line.code)), classes="dialog-title")
            yield Static(_("Resolution: {action}").format(action=_(ACTION_TITLES.get(self.action_name,
                                                                                      self.action_name))))
            yield Label(_("Note for the other branches (optional)"))
            yield Input(id="resolve-note")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Confirm"), id="resolve-confirm", variant="primary")
                yield Button(_("Cancel"), id="resolve-cancel")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#resolve-note", Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_confirm(self) -> None:
        self.dismiss(self.query_one("#resolve-note", Input).value)

    @on(Button.Pressed, "#resolve-confirm")
    def confirm_pressed(self) -> None:
        self.action_confirm()

    @on(Button.Pressed, "#resolve-cancel")
    def cancel_pressed(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted, "#resolve-note")
    def note_submitted(self) -> None:
        self.action_confirm()


class SyncScreen(AreaScreen):
    CSS_PATH = "sync.tcss"
    BINDINGS = [
        Binding("ctrl+r", "sync_now", N_("Sync now"), id="sync.now"),
        Binding("ctrl+e", "export_unsent", N_("Export unsent"), id="sync.export"),
    ]

    def __init__(self, ctx, **kwargs) -> None:
        super().__init__(ctx, **kwargs)
        self.lines: list[ConflictLine] = []
        self.selected: ConflictLine | None = None

    # -- layout -----------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        with Vertical(id="sync-body"):
            yield Static(_("Sync with the central library"), classes="title")
            yield Static("", id="sync-status")
            with Horizontal(id="sync-actions"):
                yield Button(_("Sync now"), id="sync-now", variant="primary")
                yield Button(_("Export unsent changes"), id="sync-export")
            with TabbedContent(id="sync-tabs"):
                with TabPane(_("Conflicts"), id="tab-conflicts"):
                    table = DataTable(id="conflicts", cursor_type="row")
                    table.add_columns(_("Happened"), _("What"), _("Copy"), _("Reader"), _("Branches"))
                    yield table
                    with VerticalScroll(id="conflict-detail"):
                        yield Static(_("Choose a conflict to see both sides."), id="conflict-sides")
                        yield Horizontal(id="conflict-actions")
                        yield Static("", id="conflict-help", classes="hint")
                with TabPane(_("Waiting to send"), id="tab-queue"):
                    queue = DataTable(id="queue", cursor_type="row")
                    queue.add_columns(_("No."), _("Recorded"), _("Change"))
                    yield queue
                with TabPane(_("History"), id="tab-history"):
                    history = DataTable(id="history", cursor_type="row")
                    history.add_columns(_("Started"), _("Sent"), _("Received"), _("Conflicts"), _("Result"))
                    yield history
                with TabPane(_("Enrolment"), id="tab-enrol"):
                    with Vertical(id="enrol-form"):
                        yield Static(_("Connect this computer to the county's central library with the one-time "
                                       "code from the hub administrator."), classes="hint")
                        yield Label(_("Hub address"))
                        yield Input(placeholder="https://", id="enrol-url")
                        yield Label(_("Enrolment code"))
                        yield Input(placeholder="ABCD-EFGH-JKLM", id="enrol-code")
                        yield Static("", id="enrol-message")
                        yield Button(_("Enrol"), id="enrol-button", variant="primary")

    def on_mount(self) -> None:
        self.reload()
        self.set_interval(3, self.refresh_status_line)
        worker = self.background()
        if worker is not None:
            worker.on_change(self.refresh_all)

    def background(self) -> BackgroundSync | None:
        return getattr(self.app, "background_sync", None)

    # -- showing --------------------------------------------------------------------------

    def refresh_all(self) -> None:
        """After a sync (called by the background worker): only while this screen is shown."""
        if self.is_attached:
            self.reload()

    def reload(self) -> None:
        self.refresh_status_line()
        self.load_conflicts()
        self.load_queue()
        self.load_history()

    def refresh_status_line(self) -> None:
        state = sync_state()
        lines = []
        if state is None or not state.hub_url:
            lines.append(_("Not connected to a central library yet: enrol this computer (Enrolment tab)."))
        else:
            lines.append(_("Hub: {url} · device {device}").format(url=state.hub_url, device=state.device_id[:8]))
            last = _when(self.ctx, state.last_sync_at) or _("never")
            lines.append(_("Last successful sync: {when}").format(when=last))
            if state.last_error:
                lines.append(_("Last problem: {error}").format(error=state.last_error))
            if abs(state.clock_offset_ms) > 5 * 60 * 1000:
                lines.append(describe_offset(state.clock_offset_ms))
        waiting = pending_count()
        lines.append(_("{n} change(s) waiting to be sent").format(n=waiting))
        worker = self.background()
        if worker is not None and worker.status.running:
            lines.append(_("Syncing now…"))
        self.query_one("#sync-status", Static).update("\n".join(lines))

    def load_conflicts(self) -> None:
        self.lines = conflict_lines()
        table = self.query_one("#conflicts", DataTable)
        table.clear()
        table.add_rows(
            [
                (_when(self.ctx, line.happened_at), _(CODE_TITLES.get(line.code, line.code)), line.barcode,
                 line.card_number, ", ".join(line.branches))
                for line in self.lines
            ]
        )
        self.show_conflict(self.lines[0] if self.lines else None)

    def load_queue(self) -> None:
        table = self.query_one("#queue", DataTable)
        table.clear()
        rows = pending_events(limit=500)
        table.add_rows([(str(e.seq), _when(self.ctx, e.created_at), e.type) for e in rows])

    def load_history(self) -> None:
        table = self.query_one("#history", DataTable)
        table.clear()
        table.add_rows(
            [
                (_when(self.ctx, run.started_at), str(run.pushed), str(run.pulled), str(run.conflicts),
                 _("done") if run.ok else (run.error or _("running"))[:80])
                for run in recent_runs()
            ]
        )

    def show_conflict(self, line: ConflictLine | None) -> None:
        self.selected = line
        sides = self.query_one("#conflict-sides", Static)
        actions = self.query_one("#conflict-actions", Horizontal)
        actions.remove_children()
        help_line = self.query_one("#conflict-help", Static)
        help_line.update("")
        if line is None:
            state = sync_state()
            if state is None or not state.hub_url:
                sides.update(_("No conflicts: this computer has not been connected to the central library yet, "
                               "so nothing has been compared with the county."))
            elif state.last_sync_at is None:
                sides.update(_("No conflicts so far: this computer has not finished a sync with the central "
                               "library yet."))
            else:
                sides.update(_("No open conflicts after the last sync ({when}).").format(
                    when=_when(self.ctx, state.last_sync_at)))
            return
        parts = [_(CODE_TITLES.get(line.code, line.code))]
        for number, side in enumerate(line.sides, start=1):
            facts = []
            for key, label in SIDE_FACTS:
                value = side.get(key)
                if value in (None, ""):
                    continue
                if key in ("at", "closed_at"):
                    value = _when(self.ctx, parse_utc(value))
                facts.append(f"{_(label)} {value}")
            parts.append(_("Side {n}: {facts}").format(n=number, facts=" · ".join(facts)))
        sides.update("\n".join(p for p in parts if p))
        actions.mount_all(
            Button(_(ACTION_TITLES.get(action, action)), name=action, classes="resolve")
            for action in line.actions
        )
        help_line.update("\n".join(
            _("{action}: {meaning}").format(action=_(ACTION_TITLES[action]), meaning=_(ACTION_HELP[action]))
            for action in line.actions if action in ACTION_HELP and action in ACTION_TITLES
        ))

    @on(DataTable.RowHighlighted, "#conflicts")
    def conflict_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if 0 <= event.cursor_row < len(self.lines):
            self.show_conflict(self.lines[event.cursor_row])

    # -- acting ---------------------------------------------------------------------------

    @on(Button.Pressed, ".resolve")
    def resolve_pressed(self, event: Button.Pressed) -> None:
        if self.selected is None or not event.button.name:
            return
        line, action = self.selected, event.button.name

        def done(note: str | None) -> None:
            if note is None:
                return
            try:
                resolve_conflict(self.ctx, line.id, action, note=note)
            except CountyLibError as exc:
                self.notify(exc.message, severity="error")
                return
            self.notify(_("Resolved. The other branches will see it after the next sync."))
            self.load_conflicts()
            self.load_queue()

        self.app.push_screen(ResolveScreen(line, action), done)

    def action_sync_now(self) -> None:
        if not is_enrolled():
            # Nothing to sync with yet: say so, and show where to connect.
            self.notify(_("This computer is not connected to the central library yet. Enrol it first: type the hub "
                          "address and the one-time code from the hub administrator on the Enrolment tab."),
                        severity="warning", timeout=15)
            self.query_one("#sync-tabs", TabbedContent).active = "tab-enrol"
            self.refresh_status_line()
            return
        worker = self.background()
        if worker is None:
            worker = BackgroundSync(self.app)  # not running on a timer: this screen asked once
            worker.on_change(self.refresh_all)
            self.app.background_sync = worker
        if not worker.request():
            self.notify(_("A sync is already running."))
        self.refresh_status_line()

    @on(Button.Pressed, "#sync-now")
    def sync_pressed(self) -> None:
        self.action_sync_now()

    def action_export_unsent(self) -> None:
        folder = data_dir() / "exports"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"unsent-{time.strftime('%Y%m%d-%H%M%S')}.json"
        try:
            n = SyncClient(clock=self.ctx.clock).export_unsent(path)
        except CountyLibError as exc:
            self.notify(exc.message, severity="error")
            return
        self.notify(_("{n} unsent change(s) written to {path}. Give the file to the hub administrator.").format(
            n=n, path=path), timeout=20)

    @on(Button.Pressed, "#sync-export")
    def export_pressed(self) -> None:
        self.action_export_unsent()

    @on(Button.Pressed, "#enrol-button")
    @on(Input.Submitted, "#enrol-code")
    def enrol_pressed(self) -> None:
        url = self.query_one("#enrol-url", Input).value.strip()
        code = self.query_one("#enrol-code", Input).value.strip()
        message = self.query_one("#enrol-message", Static)
        if not url or not code:
            message.update(_("Type the hub address and the enrolment code."))
            self.app.bell()
            return
        message.update(_("Enrolling…"))
        self.enrol(url, code)

    @work(thread=True, exclusive=True, group="sync-enrol", exit_on_error=False)
    def enrol(self, url: str, code: str) -> None:
        try:
            with self.ctx.db.connection_context():
                answer = SyncClient(clock=self.ctx.clock).enroll(url, code)
            text, ok = _("Enrolled as a device of branch {branch}. The first sync starts now.").format(
                branch=answer["branch"]), True
        except CountyLibError as exc:
            text, ok = exc.message, False
        self.app.call_from_thread(self._enrolled, text, ok)

    def _enrolled(self, text: str, ok: bool) -> None:
        self.query_one("#enrol-message", Static).update(text)
        if ok:
            self.query_one("#enrol-code", Input).value = ""
            self.action_sync_now()
        else:
            self.app.bell()
        self.refresh_status_line()

