"""The circulation desk: one field takes everything the scanner types.

A card number opens that reader; a copy's barcode is lent to the open reader, or taken
back when no reader is open or Return mode is on. Every result shows at a glance in colour
and words, naming the reader and the title, and a refusal rings the bell. The keys are
Ctrl and function keys only: a scanner's burst typed into the wrong place must never fire
an action.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.cells import cell_len, set_cell_size
from rich.markup import escape
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, Static
from textual.worker import Worker, WorkerState

from countylib.circulation import (
    ITEM_STATUS_NAMES,
    CheckIn,
    PatronSummary,
    Transaction,
    check_in,
    check_out,
    declare_damaged,
    declare_lost,
    hold_slip_for,
    patron_summary,
    receipt_for,
    record_in_house_use,
    renew,
    renew_all,
    undo,
)
from countylib.context import ServiceContext
from countylib.errors import CountyLibError
from countylib.holds import place_hold
from countylib.i18n import (
    N_,
    _,
    current_language,
    format_date,
    join_sentences,
    ngettext,
)
from countylib.lookups import desk_location, find_title, identify, refresh_patron
from countylib.paths import data_dir
from countylib.patrons import card_status_label, category_label
from countylib.roles import LIBRARIAN
from countylib.rules import Blocked, describe_overdue
from countylib.scanning import RepeatFilter, check_code
from countylib.settings import get_setting
from printing.slips import ReceiptLine
from screens.base import AreaScreen
from screens.confirm import ConfirmDialog
from screens.desk_dialogs import CodeDialog, HoldSlipDialog, ReasonDialog
from screens.holdshelf import HoldShelfScreen
from screens.overdue import OverdueScreen
from screens.widgets.scan_field import ScanField

LEND, RETURN, IN_HOUSE = "lend", "return", "in_house"
MODE_NAMES = {LEND: N_("LEND"), RETURN: N_("RETURN"), IN_HOUSE: N_("IN-HOUSE USE")}
PATRON_STATUS_NAMES = {
    "active": N_("active"),
    "suspended": N_("suspended"),
    "returned": N_("card handed back"),
    "erased": N_("erased"),
}
# The question before an undo that follows another undo, by the kind of transaction.
UNDO_QUESTIONS = {
    "check_out": N_("Undo the check-out of {title} to {reader}?"),
    "check_in": N_("Undo the return of {title} from {reader}?"),
    "renew": N_("Undo the renewal of {title} for {reader}?"),
    "hold": N_("Undo the hold on {title} for {reader}?"),
}


@dataclass
class SessionEntry:
    """A line of the session list. Texts are made when shown, so a language switch re-reads them."""

    at: dt.datetime
    action: str  # msgid
    title: str
    reader: str
    outcome: Callable[[], str]
    tx: Transaction | None = None
    card: str = ""
    receipt: ReceiptLine | None = None
    undone: bool = False
    _cells: tuple[str, tuple[str, ...]] | None = None  # (language, texts): made once per language

    def cells(self) -> tuple[str, ...]:
        language = current_language()
        if self._cells is None or self._cells[0] != language:
            outcome = self.outcome()
            self._cells = (language, (f"{self.at:%H:%M}", _(self.action), self.title, self.reader, outcome))
        at, action, title, reader, outcome = self._cells[1]
        return at, action, title, reader, (_("undone") + " · " + outcome) if self.undone else outcome


class DeskScreen(AreaScreen):
    CSS_PATH = "desk.tcss"
    COMPACT_FOOTER = True
    BINDINGS = [
        Binding("ctrl+j", "submit_scan", N_("Enter"), id="desk.submit", show=False),
        Binding("f12", "toggle_return", N_("Return mode"), id="desk.return_mode"),
        Binding("ctrl+r", "renew", N_("Renew"), id="desk.renew"),
        Binding("ctrl+y", "renew_all", N_("Renew all"), id="desk.renew_all"),
        Binding("ctrl+t", "place_hold", N_("Hold"), id="desk.place_hold"),
        Binding("ctrl+g", "declare_lost", N_("Lost"), id="desk.declare_lost"),
        Binding("ctrl+b", "declare_damaged", N_("Damaged"), id="desk.declare_damaged"),
        Binding("ctrl+n", "toggle_in_house", N_("In-house"), id="desk.in_house"),
        Binding("ctrl+s", "print_receipt", N_("Receipt"), id="desk.receipt"),
        Binding("ctrl+z", "undo", N_("Undo"), id="desk.undo"),
        Binding("escape", "end_patron", N_("End reader"), id="desk.end_patron"),
        # Lists, not desk actions: named on the idle panel, so the footer fits 120 columns.
        Binding("f11", "overdue", N_("Overdue"), id="desk.overdue", show=False),
        Binding("ctrl+f", "hold_shelf", N_("Hold shelf"), id="desk.hold_shelf", show=False),
        Binding("up", "move_loan(-1)", N_("Previous loan"), id="desk.loan_up", show=False),
        Binding("down", "move_loan(1)", N_("Next loan"), id="desk.loan_down", show=False),
    ]

    def __init__(self, ctx: ServiceContext) -> None:
        super().__init__(ctx)
        self.here = desk_location(ctx)
        self.patron = None
        self.summary: PatronSummary | None = None
        self.mode = LEND
        self.entries: list[SessionEntry] = []
        self.repeats = RepeatFilter()
        self.result: tuple[str, Callable[[], str]] = ("info", lambda: _("Ready. Scan a library card or a book."))

    # -- layout -------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        with Vertical(id="desk"):
            with Horizontal(id="scan-row"):
                yield Static(id="mode")
                yield ScanField(id="scan", placeholder=_("Scan a card or a barcode (or type it and press Enter)"))
            yield Static(id="result")
            with Horizontal(id="panes"):
                with Vertical(id="patron-pane"):
                    yield Static(id="patron-info")
                    yield Static(id="patron-blocks")
                    yield Static(_("On loan"), classes="section")
                    yield DataTable(id="loans", cursor_type="row", zebra_stripes=True)
                    yield Static(id="holds")
                with Vertical(id="session-pane"):
                    yield Static(_("This session"), classes="section")
                    yield Static(id="session")

    def on_mount(self) -> None:
        self._set_up()

    async def retranslate(self) -> None:
        await super().retranslate()
        self._set_up()

    def _set_up(self) -> None:
        self._shown: dict[str, str] = {}  # fresh widgets (first mount or after a language switch)
        loans = self.query_one("#loans", DataTable)
        loans.add_columns(_("Barcode"), _("Title"), _("Due"), _("State"))
        loans.can_focus = False  # the scan field keeps the focus; ↑/↓ move the loan cursor
        self.render_all()
        self.query_one("#scan", Input).focus()

    # -- showing ------------------------------------------------------------------------

    def render_all(self) -> None:
        self.render_mode()
        self.render_result()
        self.render_patron()
        self.render_session()

    def _put(self, selector: str, text: str) -> None:
        """Update a text only when it changed: every update costs a layout pass."""
        if self._shown.get(selector) != text:
            self._shown[selector] = text
            self.query_one(selector, Static).update(text)

    def render_mode(self) -> None:
        mode = self.query_one("#mode", Static)
        label = _(MODE_NAMES[self.mode])
        if self.mode == LEND and self.patron is not None:
            label = f"{label} → {self.patron.name}"
        self._put("#mode", f" {escape(label)} ")
        mode.set_classes(f"mode-{self.mode}")

    def render_result(self) -> None:
        kind, text = self.result
        self._put("#result", escape(text()))
        self.query_one("#result", Static).set_classes(f"result-{kind}")

    def show(self, kind: str, text: Callable[[], str], *, bell: bool = False) -> None:
        """kind: ok | refused | warning | hold | info."""
        self.result = (kind, text)
        self.render_result()
        if bell:
            self.app.bell()

    def refuse(self, exc: CountyLibError, extra: Callable[[], str] | None = None) -> None:
        self.show("refused", (lambda: f"✖ {exc.message} {extra()}") if extra else (lambda: f"✖ {exc.message}"), bell=True)

    def render_patron(self, keep_loan: str | None = None) -> None:
        table = self.query_one("#loans", DataTable)
        table.clear()
        summary = self.summary
        if summary is None:
            if self.mode == IN_HOUSE:
                hint = _("In-house use: scan each book left on the tables to count it. Ctrl+N: back to lending.")
            else:
                hint = _("No reader open. Scan a library card to lend; scan a book with no reader open to take it back.")
            self._put(
                "#patron-info",
                hint
                + "\n\n"
                + _("F11: overdue call list · Ctrl+F: hold shelf · F12: Return mode"),
            )
            self._put("#patron-blocks", "")
            self._put("#holds", "")
            return
        p = summary.patron
        expiry = format_date(p.expiry_date) if p.expiry_date else _("no expiry")
        if p.status == "active" and p.expiry_date and p.expiry_date < self.ctx.clock.today():
            # Past its date an active card lends nothing: say so, as the readers' list does.
            status = card_status_label(p.status, p.expiry_date, self.ctx.clock.today())
        else:
            status = _(PATRON_STATUS_NAMES.get(p.status, p.status))
        lines = [
            f"[b]{escape(p.name)}[/b]   {escape(p.card_number)}",
            _("Category: {category} · Card valid until {date} · {status}").format(
                category=escape(category_label(p.category)), date=expiry, status=status
            ),
        ]
        detail = []
        if p.id_number_masked:
            detail.append(_("ID {number}").format(number=escape(p.id_number_masked)))
        if p.phone:
            detail.append(_("Phone {phone}").format(phone=escape(p.phone)))
        if summary.fines_enabled:
            detail.append(_("Fines {amount} yuan").format(amount=f"{summary.standing.fines_cents / 100:.2f}"))
        if detail:
            lines.append(" · ".join(detail))
        self._put("#patron-info", "\n".join(lines))
        if summary.blocks:
            self._put("#patron-blocks", "\n".join(f"[b red]✖ {escape(b.message)}[/]" for b in summary.blocks))
        else:
            may_borrow = _("May borrow")
            self._put("#patron-blocks", f"[green]✔ {escape(may_borrow)}[/]")
        rows = []
        for line in summary.loans:
            if line.item_status == "lost":
                state = Text(_(ITEM_STATUS_NAMES["lost"]), style="bold magenta")
            elif line.days_overdue:
                state = Text(describe_overdue(line.days_overdue), style="bold red")
            elif line.renewals:
                state = Text(ngettext("{n} renewal", "{n} renewals", line.renewals).format(n=line.renewals))
            else:
                state = Text("")
            due = Text(format_date(line.due_date), style="bold red" if line.days_overdue else "")
            rows.append((line.barcode, line.title, due, state))
        table.add_rows(rows)
        ids = [line.loan_id for line in summary.loans]
        if keep_loan in ids:  # the cursor stays on the loan it was on, wherever it sorts now
            table.move_cursor(row=ids.index(keep_loan))
        ready = [h for h in summary.holds if h.status == "ready"]
        waiting = [h for h in summary.holds if h.status == "waiting"]
        hold_lines = []
        for h in ready:
            hold_lines.append(
                "[b green]"
                + escape(_("Ready to collect: {title} (until {date})").format(
                    title=h.title, date=format_date(h.expires_on) if h.expires_on else "—"
                ))
                + "[/]"
            )
        for h in waiting:
            hold_lines.append(escape(_("Waiting for: {title}").format(title=h.title)))
        self._put("#holds", "\n".join(hold_lines) if hold_lines else _("No holds."))

    def render_session(self) -> None:
        """Newest first, as plain padded lines: only what fits is drawn. (A DataTable here
        cost 30 ms a scan on the bench, a Rich table 19 ms.)"""
        widget = self.query_one("#session", Static)
        width = widget.size.width or 60
        visible = max(widget.size.height - 1, 1) if widget.size.height else 40
        rows = [(_("Time"), _("Action"), _("Title"), _("Reader"), _("Result"), "bold")]
        for entry in reversed(self.entries[-visible:]):
            rows.append((*entry.cells(), "dim strike" if entry.undone else ""))
        action_width = max(cell_len(r[1]) for r in rows)
        reader_width = min(max(cell_len(r[3]) for r in rows), 10)
        rest = max(width - 5 - action_width - reader_width - 4, 10)
        title_width = rest * 2 // 5
        text = Text(no_wrap=True, overflow="ellipsis")
        for at, action, title, reader, outcome, style in rows:
            line = " ".join(
                (set_cell_size(at, 5), set_cell_size(action, action_width), set_cell_size(title, title_width),
                 set_cell_size(reader, reader_width), outcome)
            )
            text.append(set_cell_size(line, width) + "\n", style=style)
        widget.update(text)

    def add_entry(self, entry: SessionEntry) -> None:
        self.entries.append(entry)
        self.render_session()

    def reload_patron(self) -> None:
        chosen = self.selected_loan()
        if self.patron is None:
            self.summary = None
        else:
            self.patron = refresh_patron(self.patron.id)
            self.summary = patron_summary(self.patron, self.ctx.clock.today())
        self.render_patron(chosen.loan_id if chosen else None)
        self.render_mode()

    def now(self) -> dt.datetime:
        return self.ctx.clock.local_now().replace(tzinfo=None)

    # -- scanning -----------------------------------------------------------------------

    @on(Input.Submitted, "#scan")
    def scanned(self, event: Input.Submitted) -> None:
        self.handle_scan(event.value)

    def action_submit_scan(self) -> None:
        self.handle_scan(self.query_one("#scan", Input).value)

    def handle_scan(self, raw: str) -> None:
        self.query_one("#scan", Input).value = ""
        try:
            code = check_code(raw)
        except CountyLibError as exc:
            self.refuse(exc)
            return
        if self.repeats.is_repeat(code):
            note = _("({code} scanned twice within 2 seconds: the second scan was ignored.)").format(code=code)
            self._put("#result", escape(self.result[1]()) + "\n" + escape(note))
            return
        try:
            self.dispatch(code)
        except CountyLibError as exc:
            self.refuse(exc)

    def dispatch(self, code: str) -> None:
        scanned = identify(code)
        if self.mode == IN_HOUSE and scanned.kind == "patron":
            # Not a way out of the mode: the books still waiting on the tables would then be lent.
            self.show("refused", lambda: _("✖ In-house use mode: scan books; press Ctrl+N to go back to lending."), bell=True)
            return
        if self.mode == IN_HOUSE:
            self.do_in_house(code)
            return
        if scanned.kind == "patron":
            self.open_patron(scanned.patron)
        elif scanned.kind == "item" and (self.mode == RETURN or self.patron is None):
            self.do_check_in(code)
        elif scanned.kind == "item":
            self.do_check_out(code)
        elif self.mode == RETURN:
            self.do_check_in(code)  # never seen here: recorded for sync to match
        elif scanned.kind == "isbn":
            self.show("refused", lambda: _("✖ {code} is the book's ISBN from the cover. Scan the library's barcode label instead.").format(code=code), bell=True)
        elif self.patron is not None:
            self.show("refused", lambda: _("✖ No item has barcode {code} in this catalogue. Check the label, or catalogue the copy first.").format(code=code), bell=True)
        else:
            self.show(
                "refused",
                lambda: _("✖ No reader or item has the code {code}. Returning a book from another branch? Turn on Return mode (F12) and scan it again.").format(code=code),
                bell=True,
            )

    def open_patron(self, patron) -> None:
        self.patron = patron
        self.mode = LEND  # a card means someone wants to borrow
        self.reload_patron()
        summary = self.summary
        name = patron.name
        if summary.blocks:
            self.show("warning", lambda: _("Reader {name} opened, with blocks (see left).").format(name=name), bell=True)
        else:
            self.show("info", lambda: _("Reader {name} opened. Scan the books to lend.").format(name=name))

    # -- the work -----------------------------------------------------------------------

    def offer_override(self, exc: Blocked, retry: Callable[[str], None], confirm: str) -> None:
        """A librarian may override with a reason; anyone else is told who can."""
        if exc.overridable and self.ctx.actor.at_least(LIBRARIAN):
            self.refuse(exc)
            dialog = ReasonDialog(
                _("Override?"),
                [b.message for b in exc.blocks],
                _("Why? (kept in the audit log)"),
                confirm,
                _("A scanned code cannot be the reason: write down why you override, or press Esc to cancel."),
            )
            self.app.push_screen(dialog, lambda reason: retry(reason) if reason else None)
        elif exc.overridable:
            self.refuse(exc, lambda: _("A librarian can override this."))
        else:
            self.refuse(exc)

    def do_check_out(self, barcode: str, reason: str | None = None) -> None:
        try:
            result = check_out(self.ctx, self.patron.card_number, barcode, override_reason=reason, location=self.here)
        except Blocked as exc:
            self.offer_override(exc, lambda why: self.guarded(self.do_check_out, barcode, why), _("Override and lend"))
            return
        name, title, due = result.patron.name, result.title, result.due_date
        note = (lambda: " " + _("Their hold is filled.")) if result.hold else (lambda: "")
        self.add_entry(
            SessionEntry(
                self.now(), N_("Lent"), title, name,
                lambda: _("due {date}").format(date=format_date(due)),
                Transaction("check_out", barcode, title, result.patron.card_number, loan_id=result.loan.id),
                card=result.patron.card_number,
                receipt=ReceiptLine(title, barcode, due),
            )
        )
        self.reload_patron()
        self.show("ok", lambda: _("✔ Lent to {name}: {title}, due {date}.").format(name=name, title=title, date=format_date(due)) + note())

    def do_check_in(self, code: str) -> None:
        result = check_in(self.ctx, code, location=self.here)
        reader = result.patron.name if result.patron else ""
        self.add_entry(
            SessionEntry(
                self.now(), N_("Returned"), result.title or code, reader, self._check_in_outcome(result),
                Transaction("check_in", code, result.title, result.patron.card_number if result.patron else "",
                            loan_id=result.loan.id if result.loan else None),
            )
        )
        kind, text, bell = self._check_in_message(result)
        self.show(kind, text, bell=bell)
        if self.patron is not None and result.patron is not None and result.patron.id == self.patron.id:
            self.reload_patron()
        if result.outcome == "hold_shelf" and result.hold is not None:
            slip = hold_slip_for(self.ctx, result.hold)
            self.app.push_screen(HoldSlipDialog(slip), lambda yes: self.print_pdf("hold-slip", slip) if yes else None)

    @staticmethod
    def _check_in_outcome(result: CheckIn) -> Callable[[], str]:
        if result.outcome == "hold_shelf":
            name = result.hold_for
            return lambda: _("hold shelf for {name}").format(name=name)
        if result.outcome == "in_transit":
            place = result.destination.name
            return lambda: _("send to {place}").format(place=place)
        if result.outcome == "unknown_item":
            return lambda: _("not in this catalogue: recorded for sync")
        return lambda: _("back to the shelf")

    def _check_in_message(self, result: CheckIn) -> tuple[str, Callable[[], str], bool]:
        title, code = result.title, result.barcode
        if result.outcome == "unknown_item":
            return (
                "warning",
                lambda: _("⚠ {code} is not in this catalogue. The return is recorded; sync will match it with the loan made elsewhere.").format(code=code),
                True,
            )
        days = result.days_overdue
        was_lost = result.previous_status == "lost"
        who = result.patron.name if result.patron else None

        def with_extras(sentence: str) -> str:
            parts = [sentence]
            if days:
                parts.append(ngettext("{n} day overdue.", "{n} days overdue.", days).format(n=days))
            if was_lost:
                parts.append(_("It had been recorded as lost."))
            return join_sentences(parts)

        if result.outcome == "hold_shelf":
            name = result.hold_for
            return "hold", lambda: with_extras(_("★ Returned {title}: put it on the hold shelf for {name}.").format(title=title, name=name)), False
        if result.outcome == "in_transit":
            place = result.destination.name
            return "warning", lambda: with_extras(_("➜ Returned {title}: send it to {place}.").format(title=title, place=place)), False
        if who:
            return "ok", lambda: with_extras(_("✔ Returned {title} from {name}: back to the shelf.").format(title=title, name=who)), bool(days)
        if result.loan is None:
            return "ok", lambda: with_extras(_(
                "✔ {title} was not on loan here: back to the shelf. If it was lent at another branch, sync matches the return."
            ).format(title=title)), False
        return "ok", lambda: with_extras(_("✔ Returned {title}: back to the shelf.").format(title=title)), False

    def guarded(self, fn: Callable, *args) -> None:
        """Run a desk action from a dialog's callback, showing any refusal."""
        try:
            fn(*args)
        except CountyLibError as exc:
            self.refuse(exc)

    def do_renew(self, barcode: str, reason: str | None = None) -> None:
        try:
            result = renew(self.ctx, barcode, override_reason=reason, location=self.here)
        except Blocked as exc:
            self.offer_override(exc, lambda why: self.guarded(self.do_renew, barcode, why), _("Override and renew"))
            return
        title, due, name = result.title, result.due_date, result.patron.name
        self.add_entry(
            SessionEntry(
                self.now(), N_("Renewal"), title, name, lambda: _("due {date}").format(date=format_date(due)),
                Transaction("renew", barcode, title, result.patron.card_number, loan_id=result.loan.id,
                            previous_due_date=result.previous_due_date, previous_renewals=result.renewals - 1),
                card=result.patron.card_number,
                receipt=ReceiptLine(title, barcode, due, renewed=True),
            )
        )
        self.reload_patron()
        self.show("ok", lambda: _("✔ Renewed {title} for {name}: now due {date}.").format(title=title, name=name, date=format_date(due)))

    def do_in_house(self, code: str) -> None:
        use = record_in_house_use(self.ctx, code, location=self.here)
        title = use.item.bib.title
        self.add_entry(SessionEntry(self.now(), N_("Read in the library"), title, "", lambda: _("counted")))
        self.show("ok", lambda: _("✔ Counted as read in the library: {title}.").format(title=title))

    # -- keys ---------------------------------------------------------------------------

    def selected_loan(self):
        if self.summary is None or not self.summary.loans:
            return None
        row = self.query_one("#loans", DataTable).cursor_row
        return self.summary.loans[min(max(row, 0), len(self.summary.loans) - 1)]

    def action_move_loan(self, step: int) -> None:
        table = self.query_one("#loans", DataTable)
        if table.row_count:
            table.move_cursor(row=min(max(table.cursor_row + step, 0), table.row_count - 1))

    def need_patron(self) -> bool:
        if self.patron is None:
            self.show("refused", lambda: _("✖ Open a reader first: scan their library card."), bell=True)
            return False
        return True

    def action_renew(self) -> None:
        if not self.need_patron():
            return
        line = self.selected_loan()
        if line is None:
            self.show("refused", lambda: _("✖ {name} has nothing on loan to renew.").format(name=self.patron.name), bell=True)
            return
        self.guarded(self.do_renew, line.barcode)

    def action_renew_all(self) -> None:
        if not self.need_patron():
            return
        try:
            attempts = renew_all(self.ctx, self.patron.card_number, location=self.here)
        except CountyLibError as exc:
            self.refuse(exc)
            return
        name = self.patron.name
        for a in attempts:
            if a.renewal is not None:
                r = a.renewal
                self.add_entry(
                    SessionEntry(
                        self.now(), N_("Renewal"), a.title, name, lambda due=r.due_date: _("due {date}").format(date=format_date(due)),
                        Transaction("renew", a.barcode, a.title, self.patron.card_number, loan_id=r.loan.id,
                                    previous_due_date=r.previous_due_date, previous_renewals=r.renewals - 1),
                        card=self.patron.card_number,
                        receipt=ReceiptLine(a.title, a.barcode, r.due_date, renewed=True),
                    )
                )
        self.reload_patron()
        done = sum(1 for a in attempts if a.renewal)
        refused = [a for a in attempts if a.refusal]

        def text() -> str:
            head = _("Renewed {done} of {total} for {name}.").format(done=done, total=len(attempts), name=name)
            if refused:
                head += " " + _("Not renewed:") + " " + " ".join(a.refusal.message for a in refused)
            return head

        self.show("warning" if refused else "ok", text, bell=bool(refused))

    def action_place_hold(self) -> None:
        if not self.need_patron():
            return
        patron = self.patron
        dialog = CodeDialog(
            _("Place a hold for {name}").format(name=patron.name),
            _("Scan or type the barcode of any copy, or the ISBN:"),
        )
        self.app.push_screen(dialog, lambda code: self.guarded(self.do_place_hold, patron, code) if code else None)

    def do_place_hold(self, patron, raw: str) -> None:
        bib = find_title(check_code(raw))
        hold = place_hold(self.ctx, patron.card_number, bib.id, self.here, desk=self.here)
        title, name, place = bib.title, patron.name, self.here.name
        self.add_entry(
            SessionEntry(self.now(), N_("Hold placed"), title, name, lambda: _("collect at {place}").format(place=place),
                         Transaction("hold", "", title, patron.card_number, hold_id=hold.id), card=patron.card_number)
        )
        self.reload_patron()
        self.show("ok", lambda: _("✔ Hold placed for {name}: {title}. To be collected at {place}.").format(name=name, title=title, place=place))

    def target_item(self) -> tuple[str, str] | None:
        """The copy a key acts on: the chosen loan of the open reader, else the last one scanned."""
        line = self.selected_loan()
        if line is not None:
            return line.barcode, line.title
        for entry in reversed(self.entries):
            if entry.tx is not None and entry.tx.barcode and not entry.undone:
                return entry.tx.barcode, entry.title
        self.show("refused", lambda: _("✖ Choose a loan of the open reader (↑/↓), or scan the book first."), bell=True)
        return None

    def _declare(self, service, action: str, title_msgid: str, confirm_msgid: str) -> None:
        target = self.target_item()
        if target is None:
            return
        barcode, title = target

        def done(reason: str | None) -> None:
            if not reason:
                return
            try:
                service(self.ctx, barcode, reason, location=self.here)
            except CountyLibError as exc:
                self.refuse(exc)
                return
            self.add_entry(SessionEntry(self.now(), action, title, self.patron.name if self.patron else "", lambda: reason))
            self.reload_patron()
            self.show("warning", lambda: _(title_msgid).format(title=title) + " ✔")

        self.app.push_screen(
            ReasonDialog(
                _(title_msgid).format(title=title), [barcode], _("What happened?"), _(confirm_msgid),
                _("A scanned code cannot be the reason: write down what happened, or press Esc to cancel."),
            ),
            done,
        )

    def action_declare_lost(self) -> None:
        self._declare(declare_lost, N_("Declared lost"), N_("Declare lost: {title}"), N_("Declare lost"))

    def action_declare_damaged(self) -> None:
        self._declare(declare_damaged, N_("Declared damaged"), N_("Declare damaged: {title}"), N_("Declare damaged"))

    def action_toggle_return(self) -> None:
        self.mode = LEND if self.mode == RETURN else RETURN
        self.render_mode()
        if self.mode == RETURN:
            self.show("info", lambda: _("Return mode: every book scanned is taken back."))
        else:
            self.show("info", lambda: _("Lending mode: books are lent to the open reader."))

    def action_toggle_in_house(self) -> None:
        self.mode = LEND if self.mode == IN_HOUSE else IN_HOUSE
        self.render_mode()
        self.render_patron()
        if self.mode == IN_HOUSE:
            self.show("info", lambda: _("In-house use: scan books left on the tables to count them."))
        else:
            self.show("info", lambda: _("Lending mode: books are lent to the open reader."))

    def action_undo(self) -> None:
        entry = next((e for e in reversed(self.entries) if not e.undone and e.action != N_("Undo")), None)
        if entry is None or entry.tx is None:
            self.show("refused", lambda: _("✖ Nothing to undo."), bell=True)
            return
        if self.entries[-1].action != N_("Undo"):
            self.do_undo(entry)
            return
        # The first Ctrl+Z is the quick "oops"; pressed again it reaches back to an earlier
        # transaction, and two quick presses took back two loans unasked.
        if entry.reader:
            question = _(UNDO_QUESTIONS[entry.tx.kind]).format(title=entry.title, reader=entry.reader)
        else:  # a copy taken back that was on no reader's card
            question = _("Undo the return of {title}?").format(title=entry.title)
        self.app.push_screen(
            ConfirmDialog(_("Undo an earlier transaction"), question, _("Undo")),
            lambda yes: self.do_undo(entry) if yes else None,
        )

    def do_undo(self, entry: SessionEntry) -> None:
        try:
            what = undo(self.ctx, entry.tx, location=self.here)
        except CountyLibError as exc:
            self.refuse(exc)
            return
        entry.undone = True
        self.add_entry(SessionEntry(self.now(), N_("Undo"), entry.title, entry.reader, lambda: what))
        self.reload_patron()
        self.show("info", lambda: "↶ " + what)

    def receipt_lines(self) -> list[ReceiptLine]:
        card = self.patron.card_number if self.patron else None
        return [e.receipt for e in self.entries if e.receipt is not None and e.card == card and not e.undone]

    def action_print_receipt(self) -> None:
        if not self.need_patron():
            return
        lines = self.receipt_lines()
        if not lines:
            self.show("refused", lambda: _("✖ Nothing was lent or renewed for {name} in this session.").format(name=self.patron.name), bell=True)
            return
        self.print_pdf("receipt", receipt_for(self.ctx, self.patron, lines, self.here))

    def action_end_patron(self) -> None:
        if self.patron is None:
            if self.mode != LEND:  # Escape also leaves Return and In-house mode
                self.mode = LEND
                self.render_mode()
                self.show("info", lambda: _("Lending mode: books are lent to the open reader."))
            return
        lines = self.receipt_lines()
        if lines and get_setting("auto_print_receipt"):
            self.print_pdf("receipt", receipt_for(self.ctx, self.patron, lines, self.here))
        name = self.patron.name
        self.patron = None
        self.summary = None
        self.render_patron()
        self.render_mode()
        self.show("info", lambda: _("Finished with {name}. Scan the next card.").format(name=name))

    def action_overdue(self) -> None:
        self.app.push_screen(OverdueScreen(self.ctx, self.here))

    def action_hold_shelf(self) -> None:
        self.app.push_screen(HoldShelfScreen(self.ctx, self.here))

    # -- printing -----------------------------------------------------------------------

    def print_pdf(self, kind: str, data) -> None:
        folder = data_dir() / "printouts"
        path = folder / f"{kind}-{self.now():%Y%m%d-%H%M%S}.pdf"
        self.render_pdf(kind, data, path, get_setting("receipt_paper"))

    @work(thread=True, exit_on_error=False, group="print", description="printing")
    def render_pdf(self, kind: str, data, path: Path, paper: str) -> Path:
        """Render in a thread; the file lands in the printouts folder. The PDF engine is
        imported here, at the first print, so the desk opens without waiting for it."""
        from printing.receipts import render_hold_slip, render_receipt

        render = render_hold_slip if kind == "hold-slip" else render_receipt
        path.parent.mkdir(parents=True, exist_ok=True)
        render(data, path, paper)
        self.app.call_from_thread(self.app.notify, _("Saved for printing: {path}").format(path=str(path)))
        return path

    @on(Worker.StateChanged)
    def worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.app.notify(_("Printing failed: {error}").format(error=str(event.worker.error)), severity="error")
            self.app.bell()
