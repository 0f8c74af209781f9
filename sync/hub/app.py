"""The hub's HTTP face (Starlette, served by uvicorn): a handful of endpoints over ``service``.

Handlers read the body on the event loop, then run the database work in a worker thread on
a request-scoped connection, so one slow request never stalls the others. Answers larger
than a kilobyte go out gzip-compressed; request bodies may arrive gzip-compressed
(``Content-Encoding: gzip``), and are decompressed here under a size ceiling.

Errors: a refused request answers a JSON ``{"error": code, "message": ...}`` with 400, 401,
403, 409 or 413; a database that cannot be reached answers 503 with ``Retry-After``, the
one answer a client should simply retry later.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

import peewee as pw
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sync.codec import BodyTooLarge, MalformedBody, read_body
from sync.hub import service
from sync.hub.devices import AuthProblem, authenticate
from sync.hub.schema import openapi_document
from sync.hub.service import MAX_BODY_BYTES, MAX_BODY_COMPRESSED, Refusal
from sync.hub.storage import hub_db

log = logging.getLogger("countylib.hub")
TRANSIENT = (pw.OperationalError, pw.InterfaceError)


def _error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    headers = {"Retry-After": "2"} if status == 503 else None
    return JSONResponse({"error": code, "message": message, **extra}, status_code=status, headers=headers)


def _in_connection(fn: Callable[..., Any], *args: Any) -> Any:
    with hub_db.connection_context():
        return fn(*args)


async def _run(fn: Callable[..., Any], *args: Any) -> Response:
    """Run ``fn`` on a pooled thread and connection; map failures to answers."""
    try:
        result = await run_in_threadpool(_in_connection, fn, *args)
    except Refusal as exc:
        return JSONResponse(exc.body(), status_code=exc.status)
    except AuthProblem as exc:
        return _error(exc.status, exc.code, exc.message, **exc.extra)
    except TRANSIENT as exc:
        log.warning("database unavailable: %s", exc)
        return _error(503, "unavailable", "the hub's database is busy or unreachable; retry shortly")
    except Exception as exc:  # psycopg's own errors arrive here when the server goes away
        if type(exc).__module__.startswith("psycopg") and "Operational" in type(exc).__name__:
            log.warning("database unavailable: %s", exc)
            return _error(503, "unavailable", "the hub's database is unreachable; retry shortly")
        raise
    if isinstance(result, bytes):
        return Response(result, media_type="application/json")
    return JSONResponse(result)


async def _read(request: Request) -> Any:
    """The request body as JSON, refusing oversized, non-gzip or non-JSON input."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_COMPRESSED:
        raise Refusal(413, "too_large", f"at most {MAX_BODY_COMPRESSED} bytes per request", max_bytes=MAX_BODY_COMPRESSED)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_COMPRESSED:
            raise Refusal(413, "too_large", f"at most {MAX_BODY_COMPRESSED} bytes per request",
                          max_bytes=MAX_BODY_COMPRESSED)
        chunks.append(chunk)
    try:
        return read_body(b"".join(chunks), encoding=request.headers.get("content-encoding"), max_bytes=MAX_BODY_BYTES)
    except BodyTooLarge as exc:
        raise Refusal(413, "too_large", str(exc), max_bytes=MAX_BODY_BYTES) from exc
    except MalformedBody as exc:
        raise Refusal(400, "malformed", str(exc)) from exc


def _caller(request: Request):
    return authenticate(request.headers.get("authorization"))


def _int(request: Request, name: str, default: int | None) -> int | None:
    value = request.query_params.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise Refusal(400, "malformed", f"{name} must be an integer") from exc


def create_app(*, push_hold_seconds: float | None = None) -> Starlette:
    """The ASGI app; the database must already be bound with ``storage.open_hub``."""
    hold = push_hold_seconds if push_hold_seconds is not None else float(os.environ.get("COUNTYLIB_HUB_PUSH_HOLD", "0"))

    async def health(request: Request) -> Response:
        def check() -> dict[str, Any]:
            hub_db.execute_sql("SELECT 1")
            return {"status": "ok", "database": "ok", "hub_epoch": service.get_meta("epoch")}

        return await _run(check)

    async def time_(request: Request) -> Response:
        return await _run(service.clock_fields)

    async def info(request: Request) -> Response:
        epoch = request.query_params.get("epoch")
        return await _run(lambda: service.info(_caller(request), epoch))

    async def enrol(request: Request) -> Response:
        try:
            body = await _read(request)
        except Refusal as exc:
            return JSONResponse(exc.body(), status_code=exc.status)
        return await _run(service.enrol, body)

    async def push(request: Request) -> Response:
        try:
            body = await _read(request)
        except Refusal as exc:
            return JSONResponse(exc.body(), status_code=exc.status)
        return await _run(lambda: service.push(_caller(request), body, hold_seconds=hold))

    async def pull(request: Request) -> Response:
        def work() -> bytes:
            caller = _caller(request)
            return service.pull(
                caller, _int(request, "cursor", 0) or 0, _int(request, "limit", 500) or 500,
                request.query_params.get("epoch"),
            )

        return await _run(work)

    async def snapshot(request: Request) -> Response:
        def work() -> bytes:
            caller = _caller(request)
            return service.snapshot(
                caller, _int(request, "cursor", None), request.query_params.get("after"),
                _int(request, "limit", 2000) or 2000,
            )

        return await _run(work)

    async def openapi(request: Request) -> Response:
        return JSONResponse(openapi_document())

    routes = [
        Route("/v1/health", health, methods=["GET"]),
        Route("/v1/time", time_, methods=["GET"]),
        Route("/v1/info", info, methods=["GET"]),
        Route("/v1/enrol", enrol, methods=["POST"]),
        Route("/v1/sync/push", push, methods=["POST"]),
        Route("/v1/sync/pull", pull, methods=["GET"]),
        Route("/v1/sync/snapshot", snapshot, methods=["GET"]),
        Route("/v1/openapi.json", openapi, methods=["GET"]),
    ]
    return Starlette(routes=routes, middleware=[Middleware(GZipMiddleware, minimum_size=1024, compresslevel=5)])
