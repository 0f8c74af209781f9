"""The brief-record form (简编): title, author, publisher, year, ISBN, CLC class, price, copies.

Used to catalogue a book by hand, and from donation intake when a gift has no record yet.
The caller says what saving means (``save``): by default the record is made with its
copies; the intake passes a function that accessions the donated book instead. Every
field is checked before anything is written, and a refusal shows on the form.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from countylib.cataloguing import BriefRecord, check_brief_record, create_brief_record
from countylib.clc import class_name, parse_class_number
from countylib.context import ServiceContext
from countylib.errors import CountyLibError, ValidationError
from countylib.i18n import N_, _, current_language
from screens.i18n import translate_bindings
from screens.widgets.footer import Footer


@dataclass(frozen=True)
class Prefill:
    title: str = ""
    author: str = ""
    publisher: str = ""
    year: str = ""
    isbn: str = ""
    clc: str = ""
    price: str = ""


FIELDS = (
    ("title", N_("Title")),
    ("author", N_("Author")),
    ("publisher", N_("Publisher")),
    ("year", N_("Year published")),
    ("isbn", N_("ISBN")),
    ("price", N_("Price (yuan)")),
)


class BriefRecordScreen(ModalScreen[Any]):
    CSS_PATH = "brief_record.tcss"
    BINDINGS = [
        Binding("escape", "cancel", N_("Cancel"), id="brief.cancel"),
        Binding("ctrl+s", "save", N_("Save"), id="brief.save"),
    ]

    def __init__(
        self,
        ctx: ServiceContext,
        prefill: Prefill | None = None,
        *,
        save: Callable[[BriefRecord], Any] | None = None,
        ask_copies: bool = True,
        heading: str | None = None,
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.prefill = prefill or Prefill()
        self.save = save or self._catalogue
        self.ask_copies = ask_copies
        self.heading = heading
        translate_bindings(self)

    def _catalogue(self, record: BriefRecord):
        return create_brief_record(
            self.ctx,
            title=record.title,
            clc=record.clc,
            author=record.author,
            publisher=record.publisher,
            year=record.year,
            isbn=record.isbn,
            price=record.price_cents,
            copies=record.copies,
        )

    def compose(self) -> ComposeResult:
        with Vertical(id="brief-box"):
            yield Static(self.heading or _("Brief record"), id="brief-heading")
            with Grid(id="brief-grid"):
                for name, label in FIELDS:
                    yield Label(_(label), classes="brief-label")
                    yield Input(value=getattr(self.prefill, name), id=f"brief-{name}")
                if self.ask_copies:
                    yield Label(_("Copies"), classes="brief-label")
                    yield Input(value="1", id="brief-copies")
                # The class last: it is decided once the book is known; its name shows under it.
                yield Label(_("CLC class"), classes="brief-label")
                yield Input(value=self.prefill.clc, id="brief-clc")
            yield Static("", id="brief-clc-name")
            yield Static("", id="brief-error")
            with Horizontal(id="brief-buttons"):
                yield Button(_("Save"), id="brief-save", variant="primary")
                yield Button(_("Cancel"), id="brief-cancel")
        yield Footer()

    def on_mount(self) -> None:
        first_empty = next((field for field in self.query(Input) if not field.value), None)
        (first_empty or self.query_one("#brief-title", Input)).focus()
        self._show_class(self.prefill.clc)

    def _show_class(self, text: str) -> None:
        """The class's name as the number is typed: a check for the eye, not a refusal."""
        hint = self.query_one("#brief-clc-name", Static)
        try:
            number = parse_class_number(text)
        except ValidationError:
            hint.update(_("CLC: letters, then digits with a point after every third, e.g. I247.5") if text else "")
            return
        language = current_language()
        names = [f"{number.top} {class_name(number.top, language)}"]
        if number.main != number.top:
            names.append(f"{number.main} {class_name(number.main, language)}")
        hint.update(" › ".join(names))

    @on(Input.Changed, "#brief-clc")
    def clc_typed(self, event: Input.Changed) -> None:
        self._show_class(event.value)

    @on(Input.Submitted)
    def next_field(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        index = inputs.index(event.input)
        if index + 1 < len(inputs):
            inputs[index + 1].focus()
        else:
            self.action_save()

    def _value(self, name: str) -> str:
        return self.query_one(f"#brief-{name}", Input).value

    @on(Button.Pressed, "#brief-save")
    def action_save(self) -> None:
        error = self.query_one("#brief-error", Static)
        try:
            record = check_brief_record(
                title=self._value("title"),
                clc=self._value("clc"),
                author=self._value("author"),
                publisher=self._value("publisher"),
                year=self._value("year"),
                isbn=self._value("isbn"),
                price=self._value("price"),
                copies=self._value("copies") if self.ask_copies else 1,
            )
            result = self.save(record)
        except CountyLibError as exc:
            error.update(exc.message)
            self.app.bell()
            return
        self.dismiss(result)

    @on(Button.Pressed, "#brief-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
