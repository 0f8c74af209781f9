"""The hub's API described as OpenAPI 3.1 (served at ``/v1/openapi.json``).

Written by hand next to the handlers rather than generated: the API is small, and this is
the document other counties' tools read, so it should say what the contract means.
"""

from __future__ import annotations

from typing import Any

from sync.codec import PROTOCOL_VERSION

ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {
            "type": "string",
            "description": "malformed, protocol, too_large, batch_too_long, no_token, bad_token, token_expired, "
            "device_revoked, wrong_device, wrong_branch, bad_code, code_used, code_expired, gap, seq_reuse, "
            "event_id_reuse, unavailable",
        },
        "message": {"type": "string"},
        "next_expected_seq": {"type": "integer", "description": "with gap: resend from here"},
        "seq": {"type": "integer", "description": "with seq_reuse: the reused seq; take a new epoch"},
    },
}
CLOCK = {
    "hub_time_ms": {"type": "integer"},
    "hub_time": {"type": "string", "format": "date-time"},
    "hub_hlc": {"type": "integer", "description": "hybrid logical clock: 48-bit ms << 16 | counter"},
}
EVENT = {
    "type": "object",
    "required": ["id", "device_id", "epoch", "seq", "hlc", "branch", "type", "payload", "schema_version", "created_at"],
    "properties": {
        "id": {"type": "string", "format": "uuid", "description": "UUIDv7 minted on the device"},
        "device_id": {"type": "string"},
        "epoch": {"type": "string", "description": "changes when the branch database is restored"},
        "seq": {"type": "integer", "minimum": 1, "description": "gapless per (device, epoch)"},
        "hlc": {"type": "integer"},
        "branch": {"type": "string"},
        "type": {"type": "string", "examples": ["loan.checked_out", "patron.registered"]},
        "payload": {"type": "object", "description": "see docs/events.md"},
        "schema_version": {"type": "integer"},
        "created_at": {"type": "string", "format": "date-time", "description": "the device's own clock"},
    },
}
CHANGE = {
    "type": "object",
    "required": ["seq", "kind", "id", "data"],
    "properties": {
        "seq": {"type": "integer", "description": "server_seq: the hub's one order of changes"},
        "kind": {"enum": ["branch", "location", "bib", "patron", "item", "loan", "hold", "conflict"]},
        "id": {"type": "string", "description": "UUID, or the code for branch and location"},
        "data": {"type": "object", "description": "the row's whole current state"},
    },
}
BEARER = [{"bearer": []}]


def _json_body(schema: dict[str, Any], gzip: bool = True) -> dict[str, Any]:
    note = "JSON; send Content-Encoding: gzip for compressed bodies" if gzip else "JSON"
    return {"required": True, "description": note, "content": {"application/json": {"schema": schema}}}


def _answer(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(code): _answer("refused; nothing was stored", ERROR) for code in codes} | {
        "503": _answer("database unavailable: retry after Retry-After seconds", ERROR)
    }


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "CountyLib hub",
            "version": str(PROTOCOL_VERSION),
            "description": "Offline-first sync between a county's branches: facts (events) up, state down.",
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR, "Event": EVENT, "Change": CHANGE},
        },
        "paths": {
            "/v1/health": {"get": {"summary": "is the hub and its database up", "responses": {
                "200": _answer("up", {"type": "object"}), **_errors()}}},
            "/v1/time": {"get": {"summary": "hub time and HLC", "responses": {
                "200": _answer("clock", {"type": "object", "properties": CLOCK})}}},
            "/v1/info": {"get": {
                "summary": "hub epoch, the device's high-water mark, maybe a rotated token",
                "security": BEARER,
                "parameters": [{"name": "epoch", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": _answer("info", {"type": "object", "properties": {
                    "protocol": {"type": "integer"}, "hub_epoch": {"type": "string"},
                    "server_seq": {"type": "integer"},
                    "device": {"type": "object", "properties": {"last_seq": {"type": "integer"}}},
                    "new_token": {"type": "string", "description": "store it, then use it from now on"},
                    **CLOCK}}), **_errors(401, 403)},
            }},
            "/v1/enrol": {"post": {
                "summary": "trade a one-time enrolment code for a device token",
                "requestBody": _json_body({"type": "object", "required": ["code", "device_id"], "properties": {
                    "code": {"type": "string"}, "device_id": {"type": "string"}, "branch": {"type": "string"},
                    "name": {"type": "string"}}}, gzip=False),
                "responses": {"200": _answer("enrolled", {"type": "object", "properties": {
                    "device_id": {"type": "string"}, "branch": {"type": "string"}, "token": {"type": "string"},
                    "hub_epoch": {"type": "string"}, "branch_known": {"type": "boolean"},
                    "id_hash_key": {"type": "string", "description": "the county's key for hashing ID numbers (hex)"}}}),
                    **_errors(400, 403)},
            }},
            "/v1/sync/push": {"post": {
                "summary": "store a batch of events, all or nothing, idempotent by event id",
                "security": BEARER,
                "requestBody": _json_body({"type": "object", "required": ["protocol", "device", "epoch", "events"],
                                           "properties": {
                    "protocol": {"const": PROTOCOL_VERSION}, "device": {"type": "string"},
                    "epoch": {"type": "string"}, "batch_id": {"type": "string"},
                    "clock_offset_ms": {"type": "integer", "description": "hub minus device clock, as measured"},
                    "events": {"type": "array", "maxItems": 1000, "items": {"$ref": "#/components/schemas/Event"}}}}),
                "responses": {"200": _answer("stored", {"type": "object", "properties": {
                    "acked_through": {"type": "integer"},
                    "results": {"type": "array", "items": {"type": "object", "properties": {
                        "id": {"type": "string"}, "seq": {"type": "integer"},
                        "status": {"enum": ["applied", "duplicate", "exception"]},
                        "code": {"type": "string"}, "ticket": {"type": "string"}}}},
                    "hub_epoch": {"type": "string"}, **CLOCK}}),
                    **_errors(400, 401, 403, 409, 413)},
            }},
            "/v1/sync/pull": {"get": {
                "summary": "rows changed after a cursor, in server_seq order",
                "security": BEARER,
                "parameters": [
                    {"name": "cursor", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 5000}},
                    {"name": "epoch", "in": "query", "schema": {"type": "string"},
                     "description": "the hub epoch the cursor belongs to"}],
                "responses": {"200": _answer("changes, or reset", {"type": "object", "properties": {
                    "reset": {"type": "boolean"}, "reason": {"type": "string"},
                    "next_cursor": {"type": "integer"}, "has_more": {"type": "boolean"},
                    "changes": {"type": "array", "items": {"$ref": "#/components/schemas/Change"}}, **CLOCK}}),
                    **_errors(400, 401, 403)},
            }},
            "/v1/sync/snapshot": {"get": {
                "summary": "bootstrap: every row in the device's scope as of one cursor, in dependency order",
                "security": BEARER,
                "parameters": [
                    {"name": "cursor", "in": "query", "schema": {"type": "integer"},
                     "description": "omit on the first page; then pass back the answer's cursor"},
                    {"name": "after", "in": "query", "schema": {"type": "string"}, "description": "kind:id"},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 5000}}],
                "responses": {"200": _answer("a page", {"type": "object", "properties": {
                    "cursor": {"type": "integer"}, "after": {"type": ["string", "null"]},
                    "has_more": {"type": "boolean"},
                    "changes": {"type": "array", "items": {"$ref": "#/components/schemas/Change"}}}}),
                    **_errors(400, 401, 403)},
            }},
        },
    }
