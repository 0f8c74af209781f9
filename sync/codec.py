"""The wire form of events and sync bodies, shared by the client and the hub.

An event envelope is what ``sync/outbox.py`` wrote, as plain JSON: id, device_id, epoch,
seq, hlc, branch, type, payload, schema_version, created_at. Its *content hash* covers what
the event says (id, type, branch, hlc, created_at, payload, schema version) and leaves out
its address (device, epoch, seq): a branch restored from a backup re-sends the same events
under a new epoch and new sequence numbers, and the hub must still recognise them.

Bodies travel as gzip-compressed JSON. requests does not compress request bodies, so the
client compresses them here and the hub decompresses them here, with a ceiling on the
decompressed size so a small "zip bomb" cannot fill the hub's memory.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import re
import zlib
from typing import Any

PROTOCOL_VERSION = 1
GZIP_LEVEL = 6
UUID_TEXT = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ENVELOPE_FIELDS: dict[str, type | tuple[type, ...]] = {
    "id": str,
    "device_id": str,
    "epoch": str,
    "seq": int,
    "hlc": int,
    "branch": str,
    "type": str,
    "payload": dict,
    "schema_version": int,
    "created_at": str,
}


class BodyTooLarge(ValueError):
    """The body grows past the allowed size once decompressed."""


class MalformedBody(ValueError):
    """Not gzip, not JSON, or not the expected shape."""


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=_default).encode("utf-8")


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return iso_utc(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def iso_utc(value: dt.datetime) -> str:
    """ISO 8601 UTC with a Z, milliseconds kept (naive values are taken as UTC)."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.isoformat(timespec="milliseconds") + "Z"


def parse_utc(text: str) -> dt.datetime:
    """An ISO 8601 instant (Z or offset, or naive = UTC) as naive UTC."""
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def gzip_json(obj: Any) -> bytes:
    return gzip.compress(dumps(obj), compresslevel=GZIP_LEVEL, mtime=0)


def read_body(raw: bytes, *, encoding: str | None, max_bytes: int) -> Any:
    """Decode a request body (gzip or plain JSON) without ever holding more than max_bytes."""
    if encoding and encoding.lower() == "gzip":
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            data = inflater.decompress(raw, max_bytes + 1)
        except zlib.error as exc:
            raise MalformedBody(f"not gzip: {exc}") from exc
        if len(data) > max_bytes or inflater.unconsumed_tail:
            raise BodyTooLarge(f"more than {max_bytes} bytes once decompressed")
        if not inflater.eof:
            raise MalformedBody("gzip stream ends early")
    else:
        if len(raw) > max_bytes:
            raise BodyTooLarge(f"more than {max_bytes} bytes")
        data = raw
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedBody(f"not JSON: {exc}") from exc


def content_hash(event: dict[str, Any]) -> str:
    """What the event says, independent of where in a device's sequence it sits."""
    core = {
        "id": event["id"],
        "type": event["type"],
        "branch": event["branch"],
        "hlc": event["hlc"],
        "created_at": event["created_at"],
        "payload": event["payload"],
        "schema_version": event["schema_version"],
    }
    canonical = json.dumps(core, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def envelope(row: Any) -> dict[str, Any]:
    """An Outbox row as it goes on the wire."""
    return {
        "id": row.id,
        "device_id": row.device_id,
        "epoch": row.epoch,
        "seq": row.seq,
        "hlc": int(row.hlc),
        "branch": row.branch,
        "type": row.type,
        "payload": row.payload,
        "schema_version": row.schema_version,
        "created_at": iso_utc(row.created_at),
    }


def envelope_problems(event: Any) -> list[str]:
    """Why an event envelope cannot be accepted (empty list: it is well-formed)."""
    if not isinstance(event, dict):
        return ["an event must be a JSON object"]
    problems = []
    for name, kind in ENVELOPE_FIELDS.items():
        value = event.get(name)
        if value is None:
            problems.append(f"{name} is missing")
        elif not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            problems.append(f"{name} must be {kind.__name__}")
    if problems:
        return problems
    if not UUID_TEXT.match(event["id"]):
        problems.append("id must be a UUID in canonical text form")
    if event["seq"] < 1:
        problems.append("seq starts at 1")
    if event["hlc"] < 0:
        problems.append("hlc must not be negative")
    if not re.match(r"^[a-z_]+\.[a-z_]+$", event["type"]):
        problems.append("type must look like area.verb")
    try:
        parse_utc(event["created_at"])
    except ValueError:
        problems.append("created_at must be an ISO 8601 time")
    return problems
