"""What every service call works with: the database, who acts, where, and the clock."""

from __future__ import annotations

import functools
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import ParamSpec, TypeVar

import peewee as pw

from countylib.clock import Clock
from countylib.errors import CountyLibError, DatabaseError, PermissionDenied
from countylib.i18n import _
from countylib.logs import log_event, log_refusal
from countylib.roles import ROLE_NAMES, SYSTEM, Actor
from models import Branch, Outbox
from sync.outbox import record_event, record_events

log = logging.getLogger("countylib.services")

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class ServiceContext:
    db: pw.SqliteDatabase
    branch: Branch
    actor: Actor = SYSTEM
    clock: Clock = field(default_factory=Clock)

    def as_actor(self, actor: Actor) -> ServiceContext:
        return replace(self, actor=actor)

    def record(self, event_type: str, payload: dict) -> Outbox:
        """Queue a domain event for sync, in the current service transaction."""
        event = record_event(event_type, payload, branch=self.branch.code, now=self.clock.now(), database=self.db)
        log_event(log, event_type, seq=event.seq)
        return event

    def record_many(self, events: list[tuple[str, dict]]) -> int:
        """Queue a batch of events (imports), in the current service transaction."""
        return record_events(events, branch=self.branch.code, now=self.clock.now(), database=self.db)

    def require(self, role: str) -> None:
        if not self.actor.at_least(role):
            raise PermissionDenied(
                "This needs the {role} role; you are signed in as {user} ({current}).",
                role=_(ROLE_NAMES[role]),
                user=self.actor.username,
                current=_(ROLE_NAMES[self.actor.role]),
            )


def _database_error(exc: BaseException) -> DatabaseError:
    # On SQLITE_FULL (and some I/O errors) SQLite rolls the transaction back by itself, so
    # peewee's own ROLLBACK then fails: the real cause is the error that one hides.
    while "cannot rollback" in str(exc).lower() and exc.__context__ is not None:
        exc = exc.__context__
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return DatabaseError(
            "The database is busy (a backup or another window may be using it). Nothing was saved; try again in a moment."
        )
    if "disk is full" in text or "database or disk is full" in text:
        return DatabaseError("The disk is full. Nothing was saved; free some space and try again.")
    if "readonly" in text or "read-only" in text:
        return DatabaseError("The database is on read-only media. Nothing was saved; copy it to a writable folder.")
    return DatabaseError("The database refused the change ({detail}). Nothing was saved.", detail=str(exc))


def service(min_role: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Make a function a service call: role checked first, then one IMMEDIATE transaction.

    Inside another service call the transaction nests as a savepoint, so a refusal raised
    anywhere rolls back the change and its outbox event together.
    """

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def call(ctx: ServiceContext, *args: P.args, **kwargs: P.kwargs) -> R:
            try:
                ctx.require(min_role)
                try:
                    with ctx.db.atomic("IMMEDIATE"):
                        return fn(ctx, *args, **kwargs)
                except (pw.OperationalError, sqlite3.OperationalError) as exc:
                    raise _database_error(exc) from exc
            except CountyLibError as refusal:
                if not getattr(refusal, "_logged", False):  # nested services: log it once
                    refusal._logged = True
                    log_refusal(log, refusal, fn.__qualname__)
                raise

        call.min_role = min_role  # type: ignore[attr-defined]
        return call  # type: ignore[return-value]

    return decorate
