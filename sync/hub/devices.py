"""Devices and their credentials: one-time enrolment codes, bearer tokens, revocation.

Codes and tokens are stored only as SHA-256 hashes. A token is 256 random bits. Tokens
rotate: once a token is older than ROTATE_AFTER, the next ``info`` call hands out a new
one, and the old one keeps working for GRACE (the answer carrying the new one may be lost
on a bad link). A token not used for TOKEN_LIFETIME expires; the device then enrols again
with a fresh code and keeps its identity and sequence (nothing it queued is lost).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sync.hub.storage import Device, EnrolmentCode, hub_db, utcnow

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud over the phone
CODE_TTL = dt.timedelta(hours=24)
TOKEN_LIFETIME = dt.timedelta(days=90)
ROTATE_AFTER = dt.timedelta(days=7)
GRACE = dt.timedelta(days=1)


class AuthProblem(Exception):
    """Why a request is not allowed: ``code`` is what the hub answers."""

    def __init__(self, status: int, code: str, message: str, **extra: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra  # for the device to word it: the branch a refusal is about


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def new_enrolment_code(branch: str, ttl: dt.timedelta = CODE_TTL) -> str:
    """A one-time code bound to a branch, shown once to the hub admin."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    with hub_db.connection_context():
        EnrolmentCode.create(
            code_hash=digest(raw), branch=branch.strip().upper(), created_at=utcnow(), expires_at=utcnow() + ttl
        )
    return "-".join(raw[i : i + 4] for i in range(0, 12, 4))


@dataclass
class Enrolled:
    device_id: str
    branch: str
    token: str


def enrol(code: str, device_id: str, branch: str, name: str) -> Enrolled:
    """Trade a one-time code for a token (inside the caller's transaction)."""
    now = utcnow()
    row = EnrolmentCode.get_or_none(EnrolmentCode.code_hash == digest(normalise_code(code)))
    if row is None:
        raise AuthProblem(403, "bad_code", "this enrolment code is not known")
    if row.used_at is not None:
        raise AuthProblem(403, "code_used", "this enrolment code was already used")
    if row.expires_at < now:
        raise AuthProblem(403, "code_expired", "this enrolment code has expired")
    if branch and branch.upper() != row.branch:
        raise AuthProblem(
            403, "wrong_branch", f"this code is for branch {row.branch}, not {branch}", code_branch=row.branch
        )
    token = secrets.token_urlsafe(32)
    device = Device.get_or_none(Device.id == device_id)
    if device is not None:
        if device.revoked_at is not None:
            raise AuthProblem(403, "device_revoked", "this device was revoked")
        if device.branch != row.branch:
            raise AuthProblem(
                403, "wrong_branch", f"this device belongs to branch {device.branch}", device_branch=device.branch
            )
        # Enrolling again (an expired token): same identity, same sequence, new token.
        device.token_hash = digest(token)
        device.token_issued_at = now
        device.token_seen = False
        device.prev_token_hash = None
        device.prev_valid_until = None
        device.save()
    else:
        Device.create(
            id=device_id,
            branch=row.branch,
            name=name[:200],
            token_hash=digest(token),
            token_issued_at=now,
            enrolled_at=now,
        )
    row.used_at = now
    row.used_by = device_id
    row.save()
    return Enrolled(device_id, row.branch, token)


@dataclass
class Caller:
    device: Device
    used_previous_token: bool


def authenticate(header: str | None) -> Caller:
    if not header or not header.startswith("Bearer "):
        raise AuthProblem(401, "no_token", "a bearer token is needed")
    hashed = digest(header[len("Bearer ") :].strip())
    now = utcnow()
    device = Device.get_or_none(Device.token_hash == hashed)
    previous = False
    if device is None:
        device = Device.get_or_none(Device.prev_token_hash == hashed)
        if device is None or device.prev_valid_until is None or device.prev_valid_until < now:
            raise AuthProblem(401, "bad_token", "this token is not valid")
        previous = True
    if device.revoked_at is not None:
        raise AuthProblem(403, "device_revoked", "this device was revoked by the hub admin")
    if not previous and device.token_issued_at + TOKEN_LIFETIME < now:
        raise AuthProblem(401, "token_expired", "this token has expired: enrol the device again")
    if not previous and not device.token_seen:
        Device.update(token_seen=True, last_seen_at=now).where(Device.id == device.id).execute()
    elif device.last_seen_at is None or now - device.last_seen_at > dt.timedelta(seconds=30):
        Device.update(last_seen_at=now).where(Device.id == device.id).execute()
    return Caller(device, previous)


def rotate_if_due(caller: Caller) -> str | None:
    """A new token when the current one is old, or when the device evidently never received
    the last one (it still uses the previous token and has never used the new one)."""
    device = caller.device
    now = utcnow()
    if caller.used_previous_token:
        if device.token_seen:
            return None  # a late request with the old token; the device has the new one
        keep_previous = device.prev_token_hash
    elif now - device.token_issued_at < ROTATE_AFTER:
        return None
    else:
        keep_previous = device.token_hash
    token = secrets.token_urlsafe(32)
    with hub_db.atomic():
        Device.update(
            token_hash=digest(token),
            token_issued_at=now,
            token_seen=False,
            prev_token_hash=keep_previous,
            prev_valid_until=now + GRACE,
        ).where(Device.id == device.id).execute()
    return token


def revoke(device_id: str) -> bool:
    with hub_db.connection_context():
        return Device.update(revoked_at=utcnow()).where(Device.id == device_id).execute() > 0


def list_devices() -> list[Device]:
    with hub_db.connection_context():
        return list(Device.select().order_by(Device.branch, Device.enrolled_at))
