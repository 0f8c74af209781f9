"""Staff accounts, passwords and signing in.

Passwords are hashed with scrypt and a random salt; neither passwords nor hashes are ever
logged. Repeated failures make the account wait (throttling), and every sign-in, good or
bad, is audited.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import math
import os

from countylib.audit import record_audit
from countylib.context import ServiceContext, service
from countylib.errors import AuthenticationFailed, NotFound, ValidationError
from countylib.roles import ADMIN, ROLES, SYSTEM, Actor
from countylib.settings import get_setting
from models import Staff

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    return "scrypt${}${}${}${}${}".format(
        SCRYPT_N, SCRYPT_R, SCRYPT_P, base64.b64encode(salt).decode(), base64.b64encode(digest).decode()
    )


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(
        password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p)
    )
    return hmac.compare_digest(candidate, base64.b64decode(digest))


def _check_new_account(username: str, password: str, role: str) -> None:
    if not username.strip():
        raise ValidationError("A user name is required.")
    if any(c.isspace() for c in username.strip()):
        # Typed at every sign-in: a space is easily left out or doubled there.
        raise ValidationError("A user name has no spaces: write {suggestion}, for example.", suggestion="".join(username.split()))
    if role not in ROLES:
        raise ValidationError("Unknown role {role}.", role=role)
    check_password(password)


def check_password(password: str) -> None:
    """Refuse the passwords tried first by anyone guessing: short ones, digits only (a
    birthday, 123456), one character over and over."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError("The password needs at least {n} characters.", n=MIN_PASSWORD_LENGTH)
    if password.isdigit():
        raise ValidationError("A password of digits only is guessed easily; put letters in it too.")
    if len(set(password)) == 1:
        raise ValidationError("A password of one character repeated is guessed easily; choose another.")


@service(ADMIN)
def create_staff(ctx: ServiceContext, username: str, password: str, role: str, display_name: str = "") -> Staff:
    """Open a staff account (admins only)."""
    username = username.strip()
    _check_new_account(username, password, role)
    if Staff.select().where(Staff.username == username).exists():
        raise ValidationError("The user name {username} is taken.", username=username)
    staff = Staff.create(
        username=username,
        display_name=display_name or username,
        role=role,
        password_hash=hash_password(password),
        branch=ctx.branch,
    )
    record_audit(ctx, "staff.created", "staff", staff.id, username=username, role=role)
    return staff


@service(ADMIN)
def reset_password(ctx: ServiceContext, username: str, new_password: str) -> None:
    staff = Staff.get_or_none(Staff.username == username)
    if staff is None:
        raise NotFound("No staff account {username}.", username=username)
    check_password(new_password)
    staff.password_hash = hash_password(new_password)
    staff.failed_logins = 0
    staff.locked_until = None
    staff.save()
    record_audit(ctx, "staff.password_reset", "staff", staff.id)


def sign_in(ctx: ServiceContext, username: str, password: str) -> Actor:
    """Check a user name and password; returns who is now signed in.

    Runs its own transaction (not @service): a failed attempt must still be counted and
    audited, while the refusal propagates.
    """
    now = ctx.clock.utcnow()
    with ctx.db.atomic("IMMEDIATE"):
        staff = Staff.get_or_none(Staff.username == username.strip())
        audit_ctx = ctx.as_actor(SYSTEM if staff is None else _actor(staff))
        if staff is None or not staff.active:
            record_audit(audit_ctx, "login.failed", "staff", "", username=username.strip())
            failure = AuthenticationFailed("Wrong user name or password.")
        elif staff.locked_until and staff.locked_until > now:
            minutes = max(1, math.ceil((staff.locked_until - now).total_seconds() / 60))
            record_audit(audit_ctx, "login.refused_locked", "staff", staff.id)
            failure = AuthenticationFailed(
                "Too many wrong passwords. This account can try again in {minutes} minutes.", minutes=minutes
            )
        elif not verify_password(password, staff.password_hash):
            staff.failed_logins += 1
            if staff.failed_logins >= int(get_setting("max_failed_logins")):
                staff.locked_until = now + dt.timedelta(minutes=int(get_setting("login_lockout_minutes")))
                staff.failed_logins = 0
            staff.save()
            record_audit(audit_ctx, "login.failed", "staff", staff.id)
            failure = AuthenticationFailed("Wrong user name or password.")
        else:
            staff.failed_logins = 0
            staff.locked_until = None
            staff.last_login_at = now
            staff.save()
            actor = _actor(staff)
            record_audit(ctx.as_actor(actor), "login.succeeded", "staff", staff.id)
            return actor
    raise failure


def _actor(staff: Staff) -> Actor:
    return Actor(staff_id=staff.id, username=staff.username, role=staff.role, display_name=staff.display_name)


def sign_out(ctx: ServiceContext, reason: str = "user") -> None:
    with ctx.db.atomic():
        record_audit(ctx, "logout", "staff", ctx.actor.staff_id or "", reason=reason)


def list_staff() -> list[Staff]:
    return list(Staff.select().order_by(Staff.role.desc(), Staff.username))
