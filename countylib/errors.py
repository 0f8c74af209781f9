"""Domain errors.

Every refusal the services give is one of these. The message is a gettext msgid plus
parameters, translated when it is shown, so a message raised before a language switch
still reads in the language the screen shows now.
"""

from __future__ import annotations

import errno

from countylib.i18n import N_, _

# The operating system's own reasons read in English whatever the screen shows.
OS_REASONS = {
    errno.ENOENT: N_("there is no such file or folder"),
    errno.EACCES: N_("permission denied"),
    errno.EPERM: N_("permission denied"),
    errno.ENOSPC: N_("the disk is full"),
    errno.EROFS: N_("the disk is read-only"),
    errno.EISDIR: N_("it is a folder, not a file"),
    errno.ENOTDIR: N_("part of the path is a file, not a folder"),
    errno.EEXIST: N_("it already exists"),
    errno.EIO: N_("the disk could not be read or written"),
    errno.EBUSY: N_("another program is using it"),
    errno.ENAMETOOLONG: N_("the name is too long"),
}


def os_reason(exc: OSError) -> str:
    """Why the operating system refused, in the language of the moment (rarer causes keep
    the system's own words)."""
    msgid = OS_REASONS.get(exc.errno)
    return _(msgid) if msgid else exc.strerror or str(exc)


class CountyLibError(Exception):
    """A refusal or failure to show to staff in plain words."""

    def __init__(self, msgid: str, /, **params: object) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.params = params

    @property
    def message(self) -> str:
        text = _(self.msgid)
        # An OSError given as a value is put in words only now, in the language shown now.
        params = {k: os_reason(v) if isinstance(v, OSError) else v for k, v in self.params.items()}
        return text.format(**params) if params else text

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
