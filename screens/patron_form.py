"""The registration form (办证), also used to edit a reader's details.

A resident ID number fills in the birth date and sex as it is typed. Readers younger than
the guardian age need a guardian: a registered reader (by card) or a name and phone. The
privacy consent tick is required for a new card. Every refusal names the field, which
gets the focus; a possible duplicate asks before a second card is issued.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from countylib.context import ServiceContext
from countylib.errors import CountyLibError, ValidationError
from countylib.i18n import N_, _, format_date, format_datetime
from countylib.idnumbers import ID_TYPE_LABELS, RESIDENT_ID, check_resident_id
from countylib.patron_search import find_by_card
from countylib.patrons import (
    GENDER_LABELS,
    DuplicatePatron,
    PatronForm,
    PossibleDuplicate,
    categories,
    category_label,
    form_for,
    get_patron,
    parse_date,
    parse_yuan,
    register_patron,
    update_patron,
)
from countylib.settings import get_setting
from screens.base import AreaScreen
from screens.confirm import ConfirmDialog
from screens.patron_dialogs import yuan

# service field name → the widget that holds it
FIELD_WIDGETS = {
    "guardian": "f-guardian-card",
    **{
        name: "f-" + name.replace("_", "-")
        for name in (
            "name", "gender", "id_type", "id_number", "birth_date", "phone", "address", "category",
            "expiry_date", "deposit", "notes", "consent", "card_number", "pin", "guardian_name",
            "guardian_phone", "guardian_id_number",
        )
    },
}


class PatronFormScreen(AreaScreen):
    """Dismisses with the reader's record id when saved (or an existing record to open)."""

    CSS_PATH = "patron_form.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", N_("Save"), id="patrons.form.save"),
        Binding("escape", "cancel", N_("Cancel"), id="patrons.form.cancel"),
    ]

    def __init__(self, ctx: ServiceContext, patron_id: str | None = None) -> None:
        super().__init__(ctx)
        self.patron_id = patron_id
        self.start = form_for(ctx, patron_id) if patron_id else PatronForm()
        self.masked = get_patron(patron_id).id_number_masked if patron_id else ""
        self.guardian_id: str | None = self.start.guardian_id
        self.linked_from = ""  # what the guardian's card field said when the guardian was linked

    # -- layout -----------------------------------------------------------------------------

    def _field(self, label: str, widget, *, wide: bool = False) -> Horizontal:
        return Horizontal(Label(label), widget, classes="field wide" if wide else "field")

    def compose_body(self) -> ComposeResult:
        f = self.start
        new = self.patron_id is None
        with VerticalScroll(id="patron-form"):
            yield Static(_("Register a reader") if new else _("Edit {name}").format(name=f.name), classes="title")
            with Grid(classes="form-grid"):
                if new:
                    yield self._field(
                        _("Card number"),
                        Input(placeholder=_("Scan a pre-printed card, or leave blank for the next number"), id="f-card-number"),
                    )
                else:
                    yield self._field(_("Card number"), Static(f.card_number, id="f-card-number", classes="value"))
                yield self._field(
                    _("Category"),
                    Select(
                        [(category_label(c), c) for c in categories()],
                        value=f.category or Select.NULL,
                        prompt=_("By age (child or adult)"),
                        id="f-category",
                    ),
                )
                yield self._field(_("Name"), Input(f.name, id="f-name"))
                yield self._field(
                    _("Sex"),
                    Select(
                        [(_(GENDER_LABELS[g]), g) for g in ("M", "F")],
                        value=f.gender or Select.NULL,
                        prompt=_("Not given (from the ID number)"),
                        id="f-gender",
                    ),
                )
                yield self._field(
                    _("ID type"),
                    Select([(_(label), code) for code, label in ID_TYPE_LABELS.items()], value=f.id_type, allow_blank=False, id="f-id-type"),
                )
                yield self._field(
                    _("ID number"),
                    Input(placeholder=(self.masked + " " + _("(blank: keep)")) if self.masked else "", id="f-id-number"),
                )
                yield self._field(
                    _("Birth date"),
                    Input(f.birth_date.isoformat() if f.birth_date else "", placeholder="1990-03-07", id="f-birth-date"),
                )
                yield self._field(_("Phone"), Input(f.phone, placeholder="13812345678", id="f-phone"))
                yield self._field(_("Address"), Input(f.address, id="f-address"), wide=True)
                if new:
                    yield self._field(
                        _("Valid until"),
                        Input(placeholder=_("blank: {years} years from today").format(years=get_setting("card_validity_years")), id="f-expiry-date"),
                    )
                else:
                    yield self._field(
                        _("Valid until"),
                        Static(format_date(f.expiry_date) if f.expiry_date else "", id="f-expiry-date", classes="value"),
                    )
                yield self._field(_("Deposit (yuan)"), Input(yuan(f.deposit_cents), id="f-deposit"))
                if new:
                    yield self._field(
                        _("Catalogue PIN"),
                        Input(placeholder=_("blank: the birth date, YYYYMMDD"), password=True, id="f-pin"),
                    )
                yield self._field(_("Notes"), Input(f.notes, id="f-notes"), wide=not new)
            yield Static("", id="id-facts")
            yield Static(
                _("Guardian — needed for readers younger than {age}").format(age=get_setting("guardian_age")),
                classes="section",
            )
            with Grid(classes="form-grid"):
                yield self._field(
                    _("Guardian's card"),
                    Input(placeholder=_("scan the guardian's card, or type the details"), id="f-guardian-card"),
                )
                yield Static(self._guardian_text(), id="guardian-linked")
                yield self._field(_("Guardian's name"), Input(f.guardian_name, id="f-guardian-name"))
                yield self._field(_("Guardian's phone"), Input(f.guardian_phone, id="f-guardian-phone"))
                yield self._field(
                    _("Guardian's ID number (optional)"),
                    Input(placeholder=_("(blank: keep)") if not new else "", id="f-guardian-id-number"),
                )
            if new:
                yield Checkbox(_("The reader (or guardian) has read and agreed to the privacy notice"), id="f-consent")
            yield Static("", id="form-error")
            with Horizontal(id="form-buttons"):
                yield Button(_("Issue the card") if new else _("Save"), id="save", variant="primary")
                yield Button(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#f-card-number" if self.patron_id is None else "#f-name").focus()

    def _guardian_text(self) -> str:
        if not self.guardian_id:
            return ""
        guardian = get_patron(self.guardian_id)
        return _("Linked: {name} ({card})").format(name=guardian.name, card=guardian.card_number)

    # -- helping as one types --------------------------------------------------------------

    @on(Input.Changed, "#f-id-number")
    def read_id_number(self, event: Input.Changed) -> None:
        """A complete resident ID number shows (and fills in) the birth date and sex."""
        facts_line = self.query_one("#id-facts", Static)
        if self.query_one("#f-id-type", Select).value != RESIDENT_ID or len(event.value.strip()) < 18:
            facts_line.update("")
            return
        try:
            facts = check_resident_id(event.value, self.ctx.clock.today())
        except ValidationError as exc:
            facts_line.update(exc.message)
            facts_line.set_class(True, "bad")
            return
        facts_line.set_class(False, "bad")
        facts_line.update(
            _("From the ID number: born {date}, {sex}.").format(date=format_date(facts.birth_date), sex=_(GENDER_LABELS[facts.gender]))
        )
        self.query_one("#f-birth-date", Input).value = facts.birth_date.isoformat()
        self.query_one("#f-gender", Select).value = facts.gender

    @on(Input.Submitted, "#f-guardian-card")
    def link_guardian(self, event: Input.Submitted) -> None:
        self._link_guardian(event.value)

    def _link_guardian(self, text: str) -> bool:
        linked = self.query_one("#guardian-linked", Static)
        if not text.strip():
            self.guardian_id = None
            linked.update("")
            return True
        try:
            guardian = find_by_card(self.ctx, text)
        except CountyLibError as exc:
            self.show_error(exc.message, "guardian")
            return False
        self.guardian_id, self.linked_from = guardian.id, text.strip()
        linked.update(self._guardian_text())
        self.query_one("#form-error", Static).update("")
        return True

    @on(Input.Changed, "#f-guardian-card")
    def guardian_card_changed(self, event: Input.Changed) -> None:
        # The link follows the field: once its card is changed or cleared, it no longer holds.
        if self.guardian_id and event.value.strip() != self.linked_from:
            self.guardian_id = None
            self.query_one("#guardian-linked", Static).update("")

    @on(Input.Submitted)
    def next_field(self, event: Input.Submitted) -> None:
        if event.input.id != "f-guardian-card":
            self.focus_next()

    # -- saving -----------------------------------------------------------------------------

    def _value(self, field: str) -> str:
        return self.query_one("#" + FIELD_WIDGETS[field], Input).value

    def _select(self, field: str) -> str:
        value = self.query_one("#" + FIELD_WIDGETS[field], Select).value
        return "" if value is Select.NULL else str(value)

    def read_form(self) -> PatronForm:
        new = self.patron_id is None
        return PatronForm(
            name=self._value("name"),
            gender=self._select("gender"),
            id_type=self._select("id_type"),
            id_number=self._value("id_number"),
            birth_date=parse_date(self._value("birth_date"), "birth_date"),
            phone=self._value("phone"),
            address=self._value("address"),
            category=self._select("category"),
            expiry_date=parse_date(self._value("expiry_date"), "expiry_date") if new else self.start.expiry_date,
            deposit_cents=parse_yuan(self._value("deposit")),
            notes=self._value("notes"),
            consent=self.query_one("#f-consent", Checkbox).value if new else True,
            card_number=self._value("card_number") if new else "",
            pin=self._value("pin") if new else "",
            guardian_id=self.guardian_id,
            guardian_name=self._value("guardian_name"),
            guardian_phone=self._value("guardian_phone"),
            guardian_id_number=self._value("guardian_id_number"),
        )

    def show_error(self, text: str, field: str | None = None) -> None:
        self.query_one("#form-error", Static).update(text)
        # The form is taller than the screen: the line above the buttons may be out of
        # sight once the field in question is focused, so the refusal also pops up.
        self.notify(text, severity="error", timeout=8, markup=False)
        self.app.bell()
        if field in FIELD_WIDGETS:
            widgets = self.query("#" + FIELD_WIDGETS[field])
            if widgets:
                widgets.first().focus()

    @on(Button.Pressed, "#save")
    def save_pressed(self) -> None:
        self.action_save()

    def action_save(self, accept_possible_duplicates: bool = False) -> None:
        card = self.query_one("#f-guardian-card", Input).value
        if card.strip() and self.guardian_id is None and not self._link_guardian(card):
            return  # a guardian's card typed, then Tab rather than Enter: linked now, or refused
        try:
            form = self.read_form()
            if self.patron_id is None:
                patron = register_patron(self.ctx, form, accept_possible_duplicates=accept_possible_duplicates)
            else:
                patron = update_patron(self.ctx, self.patron_id, form)
        except PossibleDuplicate as exc:
            lines = [f"{m.card_number}  {m.name}  — {m.why}" for m in exc.matches]
            self.app.push_screen(
                ConfirmDialog(
                    _("This reader may already have a card"),
                    _("Issue a new card all the same?"),
                    _("Register anyway"),
                    details=lines,
                ),
                lambda yes: self.action_save(True) if yes else None,
            )
            return
        except DuplicatePatron as exc:
            self.show_error(exc.message, "id_number")
            existing = exc.patron_id  # the except clause unbinds exc before the dialog answers
            self.app.push_screen(
                ConfirmDialog(_("Already registered"), exc.message, _("Open that record")),
                lambda yes: self.dismiss(existing) if yes else None,
            )
            return
        except CountyLibError as exc:
            self.show_error(exc.message, getattr(exc, "field", None))
            return
        if self.patron_id is None:
            self.notify(
                _("Card {card} issued to {name}. Agreed to the privacy notice {when}.").format(
                    card=patron.card_number, name=patron.name, when=format_datetime(self.ctx.clock.to_local(patron.consent_at))
                )
            )
        self.dismiss(patron.id)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
