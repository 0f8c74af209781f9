"""Staff roles, strongest last. Permissions are checked in the services, not the screens."""

from __future__ import annotations

from dataclasses import dataclass

from countylib.i18n import N_

VOLUNTEER = "volunteer"
LIBRARIAN = "librarian"
ADMIN = "admin"
ROLES = (VOLUNTEER, LIBRARIAN, ADMIN)
ROLE_NAMES = {VOLUNTEER: N_("Volunteer"), LIBRARIAN: N_("Librarian"), ADMIN: N_("Administrator")}


def rank(role: str) -> int:
    return ROLES.index(role)


@dataclass(frozen=True)
class Actor:
    """Who is doing the work: a signed-in staff member, or the local command line."""

    staff_id: str | None
    username: str
    role: str
    display_name: str = ""

    def at_least(self, role: str) -> bool:
        return rank(self.role) >= rank(role)


# The command line runs with the rights of whoever may open the database file.
SYSTEM = Actor(staff_id=None, username="system", role=ADMIN, display_name="system")
