"""Domain errors.

Every refusal the services give is one of these. The message is a gettext msgid plus
parameters, translated when it is shown, so a message raised before a language switch
still reads in the language the screen shows now.
"""

from __future__ import annotations

from countylib.i18n import _


class CountyLibError(Exception):
    """A refusal or failure to show to staff in plain words."""

    def __init__(self, msgid: str, /, **params: object) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.params = params

    @property
    def message(self) -> str:
        text = _(self.msgid)
        return text.format(**self.params) if self.params else text

    def __str__(self) -> str:
        return self.message


class ValidationError(CountyLibError):
    """Input that cannot be accepted as typed (malformed code, missing field, ...)."""


class SeveralProblems(ValidationError):
    """A form with more than one field wrong: every problem at once, one a line, so staff
    mend them in one go rather than one save at a time."""

    def __init__(self, problems: list[ValidationError]) -> None:
        super().__init__(problems[0].msgid, **problems[0].params)
        self.problems = problems

    @property
    def message(self) -> str:
        return "\n".join(problem.message for problem in self.problems)


class NotFound(CountyLibError):
    """A card, barcode, record or account that does not exist here."""


class RuleViolation(CountyLibError):
    """A library rule refuses the action (limits, blocks, states)."""


class PermissionDenied(CountyLibError):
    """The signed-in staff member's role does not allow the action."""


class AuthenticationFailed(CountyLibError):
    """Wrong user name or password, or a locked account."""


class DatabaseError(CountyLibError):
    """The database file cannot be used (locked, full, read-only, newer than this app)."""
