"""Sync in the background while the desk works: on start, every N minutes, on demand, and as
soon as the central library can be reached again.

The App owns one :class:`BackgroundSync` (``start_background_sync(app)``). Each run is a
thread worker with its own database connection; failures back off exponentially with
jitter (never longer than the sync interval), and while offline a cheap health probe
notices the connection coming back. Nothing here ever blocks or interrupts the desk.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from dataclasses import dataclass

from typing import TYPE_CHECKING

from textual.app import App

from countylib.i18n import _
from sync.outbox import hub_url, is_enrolled, pending_count

if TYPE_CHECKING:
    from sync.client import SyncSummary

TICK_SECONDS = 15
FIRST_RETRY_SECONDS = 10


@dataclass
class SyncStatus:
    enrolled: bool = False
    running: bool = False
    online: bool | None = None  # None: not tried yet
    last_success: float | None = None  # time.time()
    last_error: str = ""
    last_summary: SyncSummary | None = None
    needs_enrolment: bool = False  # revoked or expired: retrying will not help


class BackgroundSync:
    def __init__(self, app: App, *, interval_minutes: float | None = None) -> None:
        self.app = app
        self.status = SyncStatus()
        self.failures = 0
        self.next_due = 0.0
        self._interval_override = interval_minutes
        self._lock = threading.Lock()
        self._listeners: list = []

    # -- scheduling ---------------------------------------------------------------------

    def interval_seconds(self) -> float:
        if self._interval_override is not None:
            return self._interval_override * 60
        from countylib.settings import get_setting

        return float(get_setting("sync_interval_minutes")) * 60

    def start(self) -> BackgroundSync:
        self.app.set_interval(TICK_SECONDS, self._tick)
        self.request()
        return self

    def on_change(self, callback) -> None:
        """``callback()`` runs on the UI thread after every attempt (screens refresh with it)."""
        self._listeners.append(callback)

    def request(self) -> bool:
        """Sync now (the key on the Sync screen, or start-up). False if one is already running."""
        with self._lock:
            if self.status.running:
                return False
            self.status.running = True
        self.app.run_worker(self._run, thread=True, exclusive=False, group="sync", exit_on_error=False,
                            description="sync with the central library")
        return True

    def _tick(self) -> None:
        if self.status.running or self.status.needs_enrolment:
            return
        now = time.monotonic()
        if now >= self.next_due:
            self.request()
        elif self.failures:
            self.app.run_worker(self._probe, thread=True, group="sync-probe", exclusive=True, exit_on_error=False)

    def _backoff(self) -> float:
        cap = min(self.interval_seconds(), FIRST_RETRY_SECONDS * 2 ** min(self.failures, 8))
        return random.uniform(cap / 2, cap)  # jitter: a county's branches do not retry in step

    # -- work (thread) ------------------------------------------------------------------

    def _probe(self) -> None:
        """While offline: is the hub back? Then sync at once instead of waiting out the backoff."""
        with self.app.database.connection_context():
            url = hub_url()
        if not url:
            return
        import requests  # in this thread: a library that never enrols never loads it

        try:
            healthy = requests.get(url.rstrip("/") + "/v1/health", timeout=3).status_code == 200
        except requests.RequestException:
            healthy = False
        if healthy:
            self.next_due = 0.0

    def _run(self) -> None:
        # Loaded here, in the worker's thread: sync.client brings requests and urllib3, which
        # would otherwise lengthen every start of the desk.
        from sync.client import DeviceRevoked, NotEnrolled, SyncClient, SyncError, TokenExpired

        summary, error, needs_enrolment = None, "", False
        try:
            with self.app.database.connection_context():
                self.status.enrolled = is_enrolled()
                if self.status.enrolled:
                    summary = SyncClient(clock=self.app.clock, attempts=2).sync()
        except (DeviceRevoked, TokenExpired, NotEnrolled) as exc:
            error, needs_enrolment = exc.message, True
        except SyncError as exc:
            error = exc.message
        except Exception as exc:  # an unexpected fault must not kill the app; it is shown, then retried
            error = _("Sync stopped unexpectedly: {detail}").format(detail=str(exc)[:200])
        self.app.call_from_thread(self._finished, summary, error, needs_enrolment)

    def _finished(self, summary: SyncSummary | None, error: str, needs_enrolment: bool) -> None:
        status = self.status
        status.running = False
        status.needs_enrolment = needs_enrolment
        if summary is not None:
            status.online, status.last_success, status.last_error, status.last_summary = True, time.time(), "", summary
            self.failures = 0
            self.next_due = time.monotonic() + self.interval_seconds()
            if summary.warnings:
                self.app.notify(" ".join(summary.warnings), severity="warning", timeout=15)
        elif error:
            status.online, status.last_error = False, error
            self.failures += 1
            self.next_due = time.monotonic() + self._backoff()
        else:  # not enrolled: look again at the next interval
            self.next_due = time.monotonic() + self.interval_seconds()
        refresh = getattr(self.app, "refresh_status", None)
        if refresh is not None:
            refresh()
        for callback in self._listeners:
            callback()

    # -- the status bar -----------------------------------------------------------------

    def describe(self) -> str:
        """One short line: online or offline, events waiting, last success, the last error."""
        waiting = pending_count()
        status = self.status
        if not status.enrolled and status.online is None:
            return _("Sync: not connected to a hub · {n} waiting").format(n=waiting)
        if status.running:
            return _("Sync: syncing… · {n} waiting").format(n=waiting)
        when = self._local_time(status.last_success)
        if status.online is False:
            # The reason is on the Sync screen: a long one here would wrap out of the one-line bar.
            if when:
                return _("Sync: offline · {n} waiting · last {time}").format(n=waiting, time=when)
            return _("Sync: offline · {n} waiting").format(n=waiting)
        text = _("Sync: online · {n} waiting · last {time}").format(n=waiting, time=when or "—")
        summary = status.last_summary
        if summary is not None and abs(summary.clock_offset_ms) > 5 * 60 * 1000:
            from sync.client import describe_offset  # loaded already: a sync has run

            text += " · " + describe_offset(summary.clock_offset_ms)
        return text

    def _local_time(self, stamp: float | None) -> str:
        """HH:MM on the library's clock (its time zone setting), not the process's zone."""
        if not stamp:
            return ""
        moment = dt.datetime.fromtimestamp(stamp, dt.UTC)
        clock = getattr(self.app, "clock", None)
        if clock is not None:
            moment = clock.to_local(moment.replace(tzinfo=None))
        return f"{moment:%H:%M}"


def start_background_sync(app: App, *, interval_minutes: float | None = None) -> BackgroundSync:
    """Call once after sign-in; keeps ``app.background_sync`` for the Sync screen and status bar."""
    existing = getattr(app, "background_sync", None)
    if existing is not None:
        return existing
    worker = BackgroundSync(app, interval_minutes=interval_minutes)
    app.background_sync = worker
    return worker.start()
