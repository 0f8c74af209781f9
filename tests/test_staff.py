"""Staff accounts over time: roles, deactivation, the last administrator."""

from __future__ import annotations

import pytest

from countylib.auth import create_staff, sign_in
from countylib.errors import AuthenticationFailed, NotFound, PermissionDenied, RuleViolation, ValidationError
from countylib.roles import Actor
from countylib.staff import change_role, deactivate_staff, reactivate_staff
from models import AuditLog, Staff


def acting_as(library, username: str):
    staff = Staff.get(Staff.username == username)
    return library.as_actor(Actor(staff.id, staff.username, staff.role, staff.display_name))


def audit_actions() -> list[str]:
    return [a.action for a in AuditLog.select().order_by(AuditLog.at, AuditLog.id) if a.action.startswith("staff.")]


def test_a_deactivated_account_cannot_sign_in_until_reactivated(library):
    create_staff(library, "lib1", "password1", "librarian")
    deactivate_staff(library, "lib1")
    with pytest.raises(AuthenticationFailed, match="Wrong user name or password"):
        sign_in(library, "lib1", "password1")
    reactivate_staff(library, "lib1")
    assert sign_in(library, "lib1", "password1").role == "librarian"
    assert audit_actions() == ["staff.created", "staff.deactivated", "staff.reactivated"]


def test_change_role_is_audited_and_takes_effect_at_next_sign_in(library):
    create_staff(library, "lib1", "password1", "librarian")
    change_role(library, "lib1", "admin")
    assert sign_in(library, "lib1", "password1").role == "admin"
    entry = AuditLog.get(AuditLog.action == "staff.role_changed")
    assert entry.details == {"username": "lib1", "old": "librarian", "new": "admin"}


def test_an_admin_cannot_lock_themselves_out(library):
    create_staff(library, "boss2", "password1", "admin")
    me = acting_as(library, "admin")
    with pytest.raises(RuleViolation, match="cannot deactivate your own account"):
        deactivate_staff(me, "admin")
    with pytest.raises(RuleViolation, match="cannot change your own role"):
        change_role(me, "admin", "librarian")
    assert Staff.get(Staff.username == "admin").active and Staff.get(Staff.username == "admin").role == "admin"
    # Another administrator may do it.
    deactivate_staff(acting_as(library, "boss2"), "admin")
    assert not Staff.get(Staff.username == "admin").active


def test_the_last_active_admin_stays(library):
    # The command line (SYSTEM) is not an account, so only the last-admin rule stops it.
    with pytest.raises(RuleViolation, match="admin is the last active administrator"):
        deactivate_staff(library, "admin")
    with pytest.raises(RuleViolation, match="last active administrator"):
        change_role(library, "admin", "librarian")
    create_staff(library, "boss2", "password1", "admin")
    deactivate_staff(library, "boss2")  # an inactive second admin does not count
    with pytest.raises(RuleViolation, match="last active administrator"):
        deactivate_staff(library, "admin")
    reactivate_staff(library, "boss2")
    change_role(library, "admin", "librarian")
    assert Staff.get(Staff.username == "admin").role == "librarian"


def test_bad_input_changes_nothing(library):
    create_staff(library, "lib1", "password1", "librarian")
    with pytest.raises(ValidationError, match="Unknown role boss"):
        change_role(library, "lib1", "boss")
    with pytest.raises(NotFound, match="No staff account nobody"):
        deactivate_staff(library, "nobody")
    assert Staff.get(Staff.username == "lib1").role == "librarian"
    assert audit_actions() == ["staff.created"]


@pytest.mark.parametrize("role", ["volunteer", "librarian"])
def test_only_admins_manage_staff(as_role, role):
    ctx = as_role(role)
    for call in (
        lambda: change_role(ctx, "admin", "volunteer"),
        lambda: deactivate_staff(ctx, "admin"),
        lambda: reactivate_staff(ctx, "admin"),
    ):
        with pytest.raises(PermissionDenied, match="needs the Administrator role"):
            call()
    assert Staff.get(Staff.username == "admin").active
