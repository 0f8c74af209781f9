"""Staff accounts over time: change a role, deactivate, reactivate (administrators, in Settings).

Opening an account and resetting a password live in ``auth`` beside signing in. An account
is never deleted — its name stays on the audit trail and on past loans — it is deactivated,
and then cannot sign in. The library always keeps one active administrator, and an
administrator cannot lock themselves out (another administrator has to do it).
"""

from __future__ import annotations

from countylib.audit import record_audit
from countylib.context import ServiceContext, service
from countylib.errors import NotFound, RuleViolation, ValidationError
from countylib.roles import ADMIN, ROLES
from models import Staff


def _account(username: str) -> Staff:
    staff = Staff.get_or_none(Staff.username == username.strip())
    if staff is None:
        raise NotFound("No staff account {username}.", username=username.strip())
    return staff


def _keep_an_admin(staff: Staff) -> None:
    """Refuse when ``staff`` is the only active administrator left."""
    if staff.role != ADMIN or not staff.active:
        return
    others = Staff.select().where(Staff.role == ADMIN, Staff.active == True, Staff.id != staff.id)  # noqa: E712
    if not others.exists():
        raise RuleViolation(
            "{username} is the last active administrator; make another account an administrator first.",
            username=staff.username,
        )


@service(ADMIN)
def change_role(ctx: ServiceContext, username: str, role: str) -> Staff:
    if role not in ROLES:
        raise ValidationError("Unknown role {role}.", role=role)
    staff = _account(username)
    if staff.role == role:
        return staff
    if staff.id == ctx.actor.staff_id:
        raise RuleViolation("You cannot change your own role; another administrator has to.")
    _keep_an_admin(staff)
    old = staff.role
    staff.role = role
    staff.save()
    record_audit(ctx, "staff.role_changed", "staff", staff.id, username=staff.username, old=old, new=role)
    return staff


@service(ADMIN)
def deactivate_staff(ctx: ServiceContext, username: str) -> Staff:
    """The account can no longer sign in; everything it did stays on record."""
    staff = _account(username)
    if not staff.active:
        return staff
    if staff.id == ctx.actor.staff_id:
        raise RuleViolation("You cannot deactivate your own account; another administrator has to.")
    _keep_an_admin(staff)
    staff.active = False
    staff.save()
    record_audit(ctx, "staff.deactivated", "staff", staff.id, username=staff.username)
    return staff


@service(ADMIN)
def reactivate_staff(ctx: ServiceContext, username: str) -> Staff:
    staff = _account(username)
    if staff.active:
        return staff
    staff.active = True
    # A fresh start: wrong passwords typed before the account was closed no longer count.
    staff.failed_logins = 0
    staff.locked_until = None
    staff.save()
    record_audit(ctx, "staff.reactivated", "staff", staff.id, username=staff.username)
    return staff
