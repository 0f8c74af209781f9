"""The branch's side of sync: enrol once, then push the outbox and pull the county's state.

One sync: ``info`` (hub epoch, our high-water mark, hub clock) → publish pre-existing data
if this is the branch's first sync → push the outbox in seq order until it is drained →
bootstrap from the snapshot if this device is new to the hub → pull until ``has_more`` is
false. Every step is safe to repeat: the hub dedupes pushes by event id and answers a lost
acknowledgement with ``duplicate``s; pulled rows are applied idempotently and the cursor
moves in the same local transaction as the rows it covers.

Transient faults (no connection, timeouts, cut-off answers, 5xx, 503 + Retry-After) are
retried a few times with exponential backoff and full jitter; the background worker adds
its own, longer backoff between whole syncs. Nothing here blocks the desk: it runs in a
worker thread with its own database connection, in short transactions.

Clock: each answer carries the hub's time; the offset (hub − our clock at the midpoint of
the exchange, from the exchange with the shortest round trip) is stored, sent with every
push so the hub can correct business times, and shown to staff when it exceeds five
minutes. The hub's HLC is merged into ours so causal order holds across branches.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import socket
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from peewee import fn

from countylib.clock import Clock
from countylib.errors import CountyLibError
from countylib.i18n import N_, _, ngettext
from countylib.idnumbers import adopt_county_hash_key
from countylib.paths import data_dir
from countylib.replication import ALWAYS_KEPT_EVENTS, apply_changes, sent_events_kept_since
from models import (
    Bib,
    Branch,
    Conflict,
    Hold,
    Item,
    Loan,
    Location,
    Outbox,
    Patron,
    ReplicaState,
    SyncRun,
    SyncState,
)
from models.base import db
from models.database import checkpoints_in_background
from models.ids import new_id
from sync.codec import PROTOCOL_VERSION, envelope, gzip_json, iso_utc
from sync.hlc import ClockDriftError, HybridClock
from sync.outbox import EVENT_SCHEMA_VERSION, prune_acknowledged, rewrite_unsent

BATCH_EVENTS = 500
BATCH_BYTES = 256 * 1024  # compressed: a dropped 4G link wastes little
PULL_LIMIT = 1000
SNAPSHOT_LIMIT = 2000
CLOCK_WARNING_MS = 5 * 60 * 1000
TIMEOUT = (5, 60)  # connect, read


class SyncError(CountyLibError):
    """Sync could not finish; the message says why in plain words. Nothing was lost."""


class HubUnreachable(SyncError):
    pass


class NotEnrolled(SyncError):
    pass


class TokenExpired(SyncError):
    pass


class DeviceRevoked(SyncError):
    def __init__(self, msgid: str, /, **params: object) -> None:
        super().__init__(msgid, **params)
        self.unsent = int(params.get("n", 0))


class HubRefused(SyncError):
    pass


@dataclass
class SyncSummary:
    pushed: int = 0
    duplicates: int = 0
    pulled: int = 0
    conflicts: int = 0  # new conflicts that concern this branch
    exceptions: int = 0  # our events the hub stored as exceptions
    clock_offset_ms: int = 0
    bootstrapped: bool = False
    published: int = 0
    reset: bool = False
    waiting: int = 0  # pulled rows still waiting for a reference
    warnings: list[str] = field(default_factory=list)

    def line(self) -> str:
        text = _("Synced: {pushed} sent, {pulled} received, {conflicts} new conflict(s).").format(
            pushed=self.pushed, pulled=self.pulled, conflicts=self.conflicts
        )
        return " ".join([text, *self.warnings])

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def describe_offset(offset_ms: int) -> str:
    """'3 days fast', '7 minutes slow': how this computer's clock differs from the hub's."""
    ahead = offset_ms < 0  # hub minus ours is negative: ours runs ahead
    minutes = max(1, round(abs(offset_ms) / 60_000))
    hours = round(minutes / 60)
    if hours >= 24:
        n = round(hours / 24)
        amount = ngettext("{n} day", "{n} days", n).format(n=n)
    elif minutes >= 60:
        amount = ngettext("{n} hour", "{n} hours", hours).format(n=hours)
    else:
        amount = ngettext("{n} minute", "{n} minutes", minutes).format(n=minutes)
    if ahead:
        return _("This computer's clock is {amount} ahead of the central library's.").format(amount=amount)
    return _("This computer's clock is {amount} behind the central library's.").format(amount=amount)


_UNREACHABLE = N_("The central library cannot be reached right now ({detail}). Work goes on; sync will try again.")


def _wrong_branch(body: dict[str, Any], ours: str) -> SyncError:
    """The hub's refusal in the staff's words, naming both branches (a hub too old to say
    which branch gets the general wording)."""
    if body.get("code_branch"):
        return SyncError(
            N_("That enrolment code is for branch {code_branch}, but this computer belongs to branch {branch}. "
               "Ask the hub administrator for a code for {branch}."),
            code_branch=body["code_branch"], branch=ours,
        )
    if body.get("device_branch"):
        return SyncError(
            N_("The central library has this computer registered for branch {code_branch}, not {branch}. "
               "Ask the hub administrator."),
            code_branch=body["device_branch"], branch=ours,
        )
    return SyncError(N_("That enrolment code is for another branch. Ask the hub administrator for a code for {branch}."),
                     branch=ours)


# -- the token file -----------------------------------------------------------------------


def token_path(device_id: str) -> Path:
    return data_dir() / "hub" / f"{device_id}.token"


def save_token(device_id: str, hub_url: str, token: str) -> Path:
    """Write the token readable by this user only, replacing the old one atomically."""
    path = token_path(device_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.chmod(path.parent, 0o700)
    except OSError:
        pass
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"hub_url": hub_url, "device_id": device_id, "token": token}, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path


def load_token(device_id: str) -> str | None:
    try:
        return json.loads(token_path(device_id).read_text(encoding="utf-8"))["token"]
    except (OSError, ValueError, KeyError):
        return None


# -- the client ---------------------------------------------------------------------------


def _state() -> SyncState:
    return SyncState.get_by_id(1)


def _replica() -> ReplicaState:
    row = ReplicaState.get_or_none(ReplicaState.id == 1)
    if row is None:
        ReplicaState.insert(id=1).on_conflict_ignore().execute()
        row = ReplicaState.get_by_id(1)
    return row


class SyncClient:
    """Talks to the hub for the database bound to ``models.base.db``."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        session: requests.Session | None = None,
        ca_file: str | None = None,
        attempts: int = 4,
        backoff: float = 0.5,
        batch_events: int = BATCH_EVENTS,
        pull_limit: int = PULL_LIMIT,
        progress: Callable[[str, int], None] | None = None,
    ) -> None:
        self.clock = clock or Clock()
        self.session = session or requests.Session()
        if ca_file is None:
            from countylib.settings import get_setting

            ca_file = get_setting("sync_ca_file") or None
        self.verify: bool | str = ca_file or True
        self.attempts = attempts
        self.backoff = backoff
        self.batch_events = batch_events
        self.pull_limit = pull_limit
        self.progress = progress or (lambda stage, n: None)
        self._best_rtt: float | None = None
        self.offset_ms = 0
        self.sleep = time.sleep

    # -- HTTP -------------------------------------------------------------------------

    def _local_ms(self) -> int:
        return int(self.clock.now().timestamp() * 1000)

    def _request(
        self, method: str, url: str, *, token: str | None = None, observe: bool = True, **kwargs: Any
    ) -> requests.Response:
        """One call with retries for transient faults; answers the caller must act on pass through.

        ``observe=False`` leaves the hub's clock unread (the caller reads it on the sync's own
        thread: merging the HLC writes the database)."""
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        last_error = ""
        for attempt in range(self.attempts):
            t0 = self._local_ms()
            m0 = time.monotonic()
            try:
                response = self.session.request(
                    method, url, headers=headers, timeout=TIMEOUT, verify=self.verify, **kwargs
                )
                if response.status_code < 500:
                    response.content  # read it all now: a cut-off body is a transient fault too
                    if observe:
                        self._observe_clock(response, t0, self._local_ms(), time.monotonic() - m0)
                    return response
                last_error = f"HTTP {response.status_code}"
                retry_after = response.headers.get("Retry-After")
                delay = float(retry_after) if retry_after and retry_after.isdigit() else None
            except requests.exceptions.SSLError as exc:
                raise HubUnreachable(
                    N_("The central library's certificate could not be verified ({detail})."), detail=str(exc)[:200]
                ) from exc
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
                last_error = type(exc).__name__
                delay = None
            if attempt + 1 < self.attempts:
                cap = self.backoff * (2**attempt)
                self.sleep(delay if delay is not None else random.uniform(0, cap))
        raise HubUnreachable(_UNREACHABLE, detail=last_error)

    def _observe_clock(self, response: requests.Response, t0: int, t1: int, rtt: float) -> None:
        try:
            answer = response.json()
        except ValueError:
            return
        if not isinstance(answer, dict) or "hub_time_ms" not in answer:
            return
        if self._best_rtt is None or rtt <= self._best_rtt:
            self._best_rtt = rtt
            self.offset_ms = int(answer["hub_time_ms"] - (t0 + t1) / 2)
        if "hub_hlc" in answer:
            self._merge_hlc(int(answer["hub_hlc"]))

    def _merge_hlc(self, remote: int) -> None:
        now = self._local_ms() + self.offset_ms
        with db.atomic("IMMEDIATE"):
            state = _state()
            clock = HybridClock(state.hlc)
            try:
                merged = clock.merge(remote, now)
            except ClockDriftError:
                return  # the hub's own clock is off: keep ours rather than jump forward
            SyncState.update(hlc=merged).where(SyncState.id == 1).execute()

    def _url(self, path: str) -> str:
        return _state().hub_url.rstrip("/") + path

    def _token(self) -> str:
        state = _state()
        if not state.hub_url:
            raise NotEnrolled(N_("This computer is not connected to a central library yet. Enrol it first."))
        token = load_token(state.device_id)
        if not token:
            raise NotEnrolled(N_("This computer's sync key is missing. Enrol it again with a new code."))
        return token

    def _refusal(self, response: requests.Response) -> SyncError:
        try:
            body = response.json()
        except ValueError:
            body = {}
        code = body.get("error", "")
        detail = body.get("message", response.text[:200])
        if code == "device_revoked":
            n = Outbox.select().where(Outbox.acked_at.is_null()).count()
            return DeviceRevoked(
                N_("The central library has revoked this computer. {n} unsent change(s) can be exported to a file "
                   "for the hub administrator."),
                n=n,
            )
        if code == "token_expired":
            return TokenExpired(N_("This computer's sync key has expired. Enrol it again with a new code; "
                                   "nothing waiting to be sent is lost."))
        if response.status_code == 401:
            return NotEnrolled(N_("The central library does not accept this computer's sync key. Enrol it again."))
        return HubRefused(N_("The central library refused the request: {detail}"), detail=detail)

    # -- enrolment --------------------------------------------------------------------

    def enroll(self, hub_url: str, code: str) -> dict[str, Any]:
        hub_url = hub_url.strip().rstrip("/")
        if not hub_url.startswith(("http://", "https://")):
            raise SyncError(N_("The hub address must start with https:// (or http:// on a test network)."))
        from countylib.library import local_branch

        branch = local_branch()
        state = _state()
        try:
            response = self._request(
                "POST",
                hub_url + "/v1/enrol",
                json={"code": code.strip(), "device_id": state.device_id, "branch": branch.code,
                      "name": f"{branch.code} {socket.gethostname()}"[:200]},
            )
        except HubUnreachable as exc:
            if exc.msgid != _UNREACHABLE:
                raise  # the certificate: its own words say what to do
            # Nobody retries an enrolment by itself: say what to check and that it is up to staff.
            raise HubUnreachable(
                N_("The central library could not be reached at {url}. Check the hub address and this computer's "
                   "network connection, then press Enrol again."),
                url=hub_url,
            ) from exc
        if response.status_code != 200:
            body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
            messages = {
                "bad_code": N_("That enrolment code is not known to the central library. Check it and type it again."),
                "code_used": N_("That enrolment code has already been used. Ask the hub administrator for a new one."),
                "code_expired": N_("That enrolment code has expired. Ask the hub administrator for a new one."),
                "device_revoked": N_("This computer was revoked by the central library and cannot enrol again."),
            }
            error = body.get("error", "")
            if error == "wrong_branch":
                raise _wrong_branch(body, branch.code)
            msgid = messages.get(error)
            if msgid:
                raise SyncError(msgid)
            raise self._refusal(response)
        answer = response.json()
        save_token(answer["device_id"], hub_url, answer["token"])
        with db.atomic("IMMEDIATE"):
            if answer.get("id_hash_key"):
                rewrite_unsent(adopt_county_hash_key(answer["id_hash_key"]))
            replica = _replica()
            if replica.hub_epoch and replica.hub_epoch != answer["hub_epoch"]:
                self._forget_cursor(answer["hub_epoch"])
            elif not replica.hub_epoch:
                ReplicaState.update(hub_epoch=answer["hub_epoch"]).where(ReplicaState.id == 1).execute()
            SyncState.update(
                hub_url=hub_url, enrolled_at=self.clock.utcnow(), last_error="", clock_offset_ms=self.offset_ms
            ).where(SyncState.id == 1).execute()
        return answer

    # -- one sync ---------------------------------------------------------------------

    def sync(self) -> SyncSummary:
        token = self._token()
        summary = SyncSummary()
        run = SyncRun.create(started_at=self.clock.utcnow())
        try:
            info = self._info(token)
            token = info.get("new_token") or token
            self._check_hub_epoch(info, summary)
            self._adopt_old_epochs()
            self._resend_what_the_hub_lacks(info)
            summary.published = self._publish_existing_data()
            summary.published += self._publish_what_the_hub_missed()
            self._push_all(token, summary)
            self._bootstrap(token, summary)
            self._pull_all(token, summary)
        except SyncError as exc:
            self._finish(run, summary, error=exc.message)
            raise
        self._finish(run, summary, error="")
        return summary

    def _finish(self, run: SyncRun, summary: SyncSummary, *, error: str) -> None:
        summary.clock_offset_ms = self.offset_ms
        if abs(self.offset_ms) > CLOCK_WARNING_MS:
            summary.warnings.append(describe_offset(self.offset_ms))
        now = self.clock.utcnow()
        with db.atomic("IMMEDIATE"):
            SyncRun.update(
                finished_at=now, pushed=summary.pushed, pulled=summary.pulled, conflicts=summary.conflicts,
                clock_offset_ms=self.offset_ms, ok=not error, error=error,
            ).where(SyncRun.id == run.id).execute()
            fields: dict[str, Any] = {"clock_offset_ms": self.offset_ms, "last_error": error}
            if not error:
                fields["last_sync_at"] = now
                prune_acknowledged(sent_events_kept_since(now), keep_types_like=ALWAYS_KEPT_EVENTS)
            SyncState.update(fields).where(SyncState.id == 1).execute()
            ReplicaState.update(last_result={**summary.as_dict(), "error": error, "at": iso_utc(now)}).where(
                ReplicaState.id == 1
            ).execute()

    def _info(self, token: str) -> dict[str, Any]:
        state = _state()
        response = self._request("GET", self._url("/v1/info"), token=token, params={"epoch": state.epoch})
        if response.status_code != 200:
            raise self._refusal(response)
        info = response.json()
        if info.get("protocol") != PROTOCOL_VERSION:
            raise HubRefused(N_("The central library speaks another sync protocol ({detail}); update this program."),
                             detail=str(info.get("protocol")))
        if info.get("new_token"):
            save_token(state.device_id, state.hub_url, info["new_token"])
        return info

    # -- epochs -----------------------------------------------------------------------

    def _forget_cursor(self, hub_epoch: str) -> None:
        """The hub starts over (restored from a backup, or another hub): pull everything again."""
        ReplicaState.update(hub_epoch=hub_epoch, bootstrapped_at=None, snapshot_cursor=None, snapshot_after=None).where(
            ReplicaState.id == 1
        ).execute()
        SyncState.update(hub_cursor=0).where(SyncState.id == 1).execute()

    def _check_hub_epoch(self, info: dict[str, Any], summary: SyncSummary) -> None:
        with db.atomic("IMMEDIATE"):
            replica = _replica()
            if not replica.hub_epoch:
                ReplicaState.update(hub_epoch=info["hub_epoch"]).where(ReplicaState.id == 1).execute()
            elif replica.hub_epoch != info["hub_epoch"]:
                self._forget_cursor(info["hub_epoch"])
                summary.reset = True

    def _resend_what_the_hub_lacks(self, info: dict[str, Any]) -> None:
        """Events we hold as acknowledged that the hub no longer has (it was restored) go again."""
        state = _state()
        last = int(info["device"]["last_seq"])
        with db.atomic("IMMEDIATE"):
            Outbox.update(acked_at=None).where(
                (Outbox.epoch == state.epoch) & (Outbox.seq > last) & Outbox.acked_at.is_null(False)
            ).execute()

    def _adopt_old_epochs(self) -> None:
        """Unsent events of an older epoch (a restored database) are renumbered into a new one."""
        state = _state()
        if Outbox.select().where(Outbox.acked_at.is_null() & (Outbox.epoch != state.epoch)).exists():
            self.take_new_epoch()

    def take_new_epoch(self) -> str:
        """Begin a new epoch: every unsent event gets a fresh, gapless seq from 1.

        The hub recognises the ones it already has by their event id."""
        with db.atomic("IMMEDIATE"):
            epoch = new_id()
            pending = list(
                Outbox.select(Outbox.id).where(Outbox.acked_at.is_null()).order_by(Outbox.epoch, Outbox.seq).tuples()
            )
            for seq, (event_id,) in enumerate(pending, start=1):
                Outbox.update(epoch=epoch, seq=seq).where(Outbox.id == event_id).execute()
            SyncState.update(epoch=epoch, next_seq=len(pending) + 1).where(SyncState.id == 1).execute()
        return epoch

    # -- push -------------------------------------------------------------------------

    def _batch(self, events: list[Outbox]) -> tuple[bytes, int]:
        state = _state()
        n = min(len(events), self.batch_events)
        while True:
            body = gzip_json(
                {
                    "protocol": PROTOCOL_VERSION,
                    "device": state.device_id,
                    "epoch": events[0].epoch,
                    "batch_id": new_id(),
                    "clock_offset_ms": self.offset_ms,
                    "events": [envelope(e) for e in events[:n]],
                }
            )
            if len(body) <= BATCH_BYTES or n == 1:
                return body, n
            n = max(1, n // 2)

    def _push_all(self, token: str, summary: SyncSummary) -> None:
        epoch_changes = 0
        while True:
            events = list(
                Outbox.select().where(Outbox.acked_at.is_null()).order_by(Outbox.seq).limit(self.batch_events)
            )
            if not events:
                return
            body, n = self._batch(events)
            response = self._request(
                "POST", self._url("/v1/sync/push"), token=token, data=body,
                headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
            )
            answer = response.json() if response.status_code in (200, 409, 413) else {}
            if response.status_code == 200:
                self._acknowledge(events[0].epoch, answer, summary)
                self.progress("push", summary.pushed)
                continue
            error = answer.get("error")
            if response.status_code == 409 and error == "gap":
                self._resend_from(events[0].epoch, int(answer["next_expected_seq"]))
                continue
            if response.status_code == 409 and error == "seq_reuse" and epoch_changes < 2:
                epoch_changes += 1
                self.take_new_epoch()
                continue
            if response.status_code == 413 and self.batch_events > 1:
                self.batch_events = max(1, self.batch_events // 2)
                continue
            raise self._refusal(response)

    def _acknowledge(self, epoch: str, answer: dict[str, Any], summary: SyncSummary) -> None:
        through = int(answer["acked_through"])
        with db.atomic("IMMEDIATE"):
            Outbox.update(acked_at=self.clock.utcnow()).where(
                (Outbox.epoch == epoch) & (Outbox.seq <= through) & Outbox.acked_at.is_null()
            ).execute()
        for result in answer.get("results", []):
            if result["status"] == "duplicate":
                summary.duplicates += 1
            else:
                summary.pushed += 1
                if result["status"] == "exception":
                    summary.exceptions += 1

    def _resend_from(self, epoch: str, next_expected: int) -> None:
        """The hub is missing events we thought it had: mark them unsent again."""
        with db.atomic("IMMEDIATE"):
            have = Outbox.select().where((Outbox.epoch == epoch) & (Outbox.seq == next_expected)).exists()
            if not have:
                raise HubRefused(
                    N_("The central library is missing change {detail} of this computer, which is no longer kept "
                       "here. Ask the hub administrator."),
                    detail=str(next_expected),
                )
            Outbox.update(acked_at=None).where((Outbox.epoch == epoch) & (Outbox.seq >= next_expected)).execute()

    # -- bootstrap and pull ---------------------------------------------------------------

    def _bootstrap(self, token: str, summary: SyncSummary) -> None:
        replica = _replica()
        if replica.bootstrapped_at is not None:
            return
        cursor, after = replica.snapshot_cursor, replica.snapshot_after
        while True:
            params: dict[str, Any] = {"limit": SNAPSHOT_LIMIT}
            if cursor is not None:
                params["cursor"] = cursor
            if after:
                params["after"] = after
            response = self._request("GET", self._url("/v1/sync/snapshot"), token=token, params=params)
            if response.status_code != 200:
                raise self._refusal(response)
            page = response.json()
            cursor = page["cursor"]
            done = not page["has_more"]
            with db.atomic("IMMEDIATE"):
                applied = apply_changes(page["changes"])
                fields: dict[str, Any] = {"snapshot_cursor": cursor, "snapshot_after": page.get("after")}
                if done:
                    fields.update(bootstrapped_at=self.clock.utcnow(), snapshot_cursor=None, snapshot_after=None)
                    SyncState.update(hub_cursor=cursor).where(SyncState.id == 1).execute()
                ReplicaState.update(fields).where(ReplicaState.id == 1).execute()
            summary.pulled += len(page["changes"])
            summary.conflicts += applied.conflicts
            summary.waiting = applied.parked
            self.progress("snapshot", summary.pulled)
            after = page.get("after")
            if done:
                summary.bootstrapped = True
                return

    def _fetch_ahead(self, url: str, token: str, params: dict[str, Any]) -> tuple[requests.Response, int, int, float]:
        """A pull page fetched on a helper thread while the previous one is applied."""
        t0, m0 = self._local_ms(), time.monotonic()
        response = self._request("GET", url, token=token, params=params, observe=False)
        return response, t0, self._local_ms(), time.monotonic() - m0

    def _pull_all(self, token: str, summary: SyncSummary) -> None:
        # The next page is fetched while this one is applied: the hub's work and the wire then
        # overlap with our writes (a fifth of a 100k-row pull on two cores). The WAL is copied
        # back by another thread too, so no page's commit waits for that.
        with (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="pull-ahead") as ahead,
            checkpoints_in_background(db) as committed,
        ):
            self._pull_pages(token, summary, ahead, committed)

    def _pull_pages(
        self, token: str, summary: SyncSummary, ahead: ThreadPoolExecutor, committed: Callable[[], None]
    ) -> None:
        resets = 0
        url = self._url("/v1/sync/pull")
        fetched: tuple[dict[str, Any], Future] | None = None
        while True:
            state, replica = _state(), _replica()
            params = {"cursor": state.hub_cursor, "limit": self.pull_limit, "epoch": replica.hub_epoch}
            if fetched is not None and fetched[0] == params:
                response, t0, t1, rtt = fetched[1].result()
                self._observe_clock(response, t0, t1, rtt)
            else:
                if fetched is not None:
                    fetched[1].exception()  # the session is free again before it is used here
                response = self._request("GET", url, token=token, params=params)
            fetched = None
            if response.status_code != 200:
                raise self._refusal(response)
            page = response.json()
            if page.get("reset"):
                if resets:
                    raise HubRefused(N_("The central library keeps asking to start over ({detail})."),
                                     detail=page.get("reason", ""))
                resets += 1
                with db.atomic("IMMEDIATE"):
                    self._forget_cursor(page["hub_epoch"])
                summary.reset = True
                self._bootstrap(token, summary)
                continue
            if page["has_more"]:
                following = {**params, "cursor": page["next_cursor"]}
                fetched = (following, ahead.submit(self._fetch_ahead, url, token, following))
            with db.atomic("IMMEDIATE"):
                applied = apply_changes(page["changes"])
                SyncState.update(hub_cursor=page["next_cursor"]).where(
                    (SyncState.id == 1) & (SyncState.hub_cursor == page["cursor"])
                ).execute()
            committed()
            summary.pulled += len(page["changes"])
            summary.conflicts += applied.conflicts
            summary.waiting = applied.parked
            self.progress("pull", summary.pulled)
            if not page["has_more"]:
                return

    # -- a branch that had data before it met the hub --------------------------------------

    def _publish_existing_data(self) -> int:
        """At the first sync, send what this database already holds as ``*.published`` events.

        They go *before* the events queued while this computer was not yet enrolled (those
        name the rows: a book taken back, lent and returned before enrolment), so the hub
        knows every copy and reader before it meets a loan of them. Their clock reading is
        the first queued event's, so the hub's per-device time floor leaves the queued
        events at their own times."""
        replica = _replica()
        if replica.published_at is not None:
            return 0
        from countylib.library import local_branch

        branch = local_branch()
        with db.atomic("IMMEDIATE"):
            made, named = _outbox_keys()
            events = [(kind, payload) for kind, key, payload in _published_events(branch, named) if key not in made]
            _append_events(events, branch.code, self.clock.now(), first=True)
            ReplicaState.update(published_at=self.clock.utcnow()).where(ReplicaState.id == 1).execute()
        return len(events)

    def _publish_what_the_hub_missed(self) -> int:
        """Copies and readers the hub flagged as unknown (ITEM_NOT_FOUND, CARD_NOT_FOUND) that
        this computer holds are published again, once per conflict: the hub then applies the
        events that named them and closes those conflicts."""
        if _replica().published_at is None:
            return 0
        waiting = list(Conflict.select().where(
            (Conflict.status == "open") & Conflict.code.in_(("ITEM_NOT_FOUND", "CARD_NOT_FOUND"))
        ))
        if not waiting:
            return 0
        from countylib.library import local_branch

        branch = local_branch()
        with db.atomic("IMMEDIATE"):
            done = _repairs_sent()
            events: list[tuple[str, dict[str, Any]]] = []
            for conflict in waiting:
                if conflict.id in done:
                    continue
                barcodes = {s.get("barcode") for s in conflict.data.get("sides") or [] if s.get("barcode")}
                cards = {s.get("card_number") for s in conflict.data.get("sides") or [] if s.get("card_number")}
                found: list[tuple[str, dict[str, Any]]] = []
                if conflict.code == "ITEM_NOT_FOUND" and barcodes:
                    codes = {loc.id: loc.code for loc in Location.select(Location.id, Location.code)}
                    found = [("item.published", _item_payload(item, codes))
                             for item in Item.select().where(Item.barcode.in_(barcodes))]
                elif conflict.code == "CARD_NOT_FOUND" and cards:
                    homes = {b.id: b.code for b in Branch.select(Branch.id, Branch.code)}
                    found = [("patron.published", _patron_payload(patron, homes))
                             for patron in Patron.select().where(Patron.card_number.in_(cards))]
                for kind, payload in found:
                    events.append((kind, {**payload, "repairs": conflict.id}))
            _append_events(events, branch.code, self.clock.now())
        return len(events)

    # -- revoked devices ------------------------------------------------------------------

    def export_unsent(self, path: Path) -> int:
        """Write every unsent event to a file the hub admin can import (``import-events``)."""
        self._adopt_old_epochs()
        state = _state()
        from countylib.library import local_branch

        events = [envelope(e) for e in Outbox.select().where(Outbox.acked_at.is_null()).order_by(Outbox.seq)]
        document = {
            "format": "countylib-unsent-events",
            "version": 1,
            "device_id": state.device_id,
            "branch": local_branch().code,
            "epoch": state.epoch,
            "exported_at": iso_utc(self.clock.utcnow()),
            "events": events,
        }
        path = Path(path)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, path)
        return len(events)


def _append_events(
    payloads: list[tuple[str, dict[str, Any]]], branch: str, now: dt.datetime, *, first: bool = False
) -> None:
    """Many outbox events in one go (publishing thousands of rows), same envelope as record_event.

    ``first``: they take the places of the unsent events, which move up behind them, and
    carry the first unsent event's clock reading (never a later one than ``now``)."""
    if not payloads:
        return
    state = _state()
    clock = HybridClock(state.hlc)
    wall = int(now.timestamp() * 1000)
    created = now.astimezone(dt.UTC).replace(tzinfo=None)
    start_seq = state.next_seq
    if first:
        unsent = Outbox.select(fn.MIN(Outbox.seq), fn.MIN(Outbox.created_at)).where(
            (Outbox.epoch == state.epoch) & Outbox.acked_at.is_null()
        )
        lowest, earliest = unsent.tuples().get()
        if lowest is not None:
            start_seq = lowest
            # Two steps: SQLite checks the unique (epoch, seq) row by row.
            moving = (Outbox.epoch == state.epoch) & Outbox.acked_at.is_null()
            Outbox.update(seq=Outbox.seq * -1).where(moving).execute()
            Outbox.update(seq=len(payloads) - Outbox.seq).where((Outbox.epoch == state.epoch) & (Outbox.seq < 0)).execute()
            earliest = Outbox.created_at.python_value(earliest)
            created = min(created, earliest)
    rows = []
    for offset, (event_type, payload) in enumerate(payloads):
        rows.append(
            {
                "id": new_id(),
                "device_id": state.device_id,
                "epoch": state.epoch,
                "seq": start_seq + offset,
                "hlc": clock.tick(wall),
                "branch": branch,
                "type": event_type,
                "payload": payload,
                "schema_version": EVENT_SCHEMA_VERSION,
                "created_at": created,
            }
        )
    for start in range(0, len(rows), 500):
        Outbox.insert_many(rows[start : start + 500]).execute()
    SyncState.update(next_seq=state.next_seq + len(rows), hlc=clock.last).where(SyncState.id == 1).execute()


# Events that carry a whole row: the hub learns the row from them (the key each makes).
_MAKING_EVENTS = {
    "branch.initialized": ("branch", "id"),
    "location.added": ("location", "code"),
    "bib.upserted": ("bib", "id"),
    "item.accessioned": ("item", "id"),
    "patron.registered": ("patron", "id"),
}
_MAKING_KEYS = {"loan.checked_out": "loan_id", "hold.placed": "hold_id"}


def _outbox_keys() -> tuple[set[str], set[str]]:
    """Keys of rows the outbox's events make (they need no publishing), and every id, card
    number and code its events name (their rows must reach the hub first).

    Naming is not making: a loan event names its copy and reader, but only an
    ``item.accessioned`` or a ``patron.registered`` tells the hub what they are."""
    made: set[str] = set()
    named: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                if isinstance(inner, str) and (key in ("id", "code", "card_number", "old_card_number")
                                               or key.endswith("_id")):
                    named.add(inner)
                elif isinstance(inner, (dict, list)):
                    walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    for event_type, payload in Outbox.select(Outbox.type, Outbox.payload).tuples().iterator():
        walk(payload)
        if event_type in _MAKING_EVENTS:
            kind, key = _MAKING_EVENTS[event_type]
            value = (payload.get(kind) or {}).get(key)
        else:
            value = payload.get(_MAKING_KEYS.get(event_type, ""))
        if isinstance(value, str):
            made.add(value)
        if event_type == "branch.initialized":  # the branch's own building comes with it
            made.add((payload.get("branch") or {}).get("code") or "")
    return made, named


def _repairs_sent() -> set[str]:
    """Conflicts this computer already answered by publishing a row again."""
    query = Outbox.select(Outbox.payload).where(Outbox.type.in_(("item.published", "patron.published")))
    return {payload["repairs"] for (payload,) in query.tuples().iterator() if payload.get("repairs")}


def _iso_date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _rows_with(query, column, values: set[str]):
    """The rows of ``query`` whose ``column`` is one of ``values``, a few hundred per statement."""
    ordered = sorted(values)
    for start in range(0, len(ordered), 500):
        yield from query.where(column.in_(ordered[start : start + 500]))


def _item_payload(item: Item, codes: dict[str, str]) -> dict[str, Any]:
    return {"item": {
        "id": item.id, "barcode": item.barcode, "bib_id": item.bib_id,
        "home_location": codes.get(item.home_location_id), "current_location": codes.get(item.current_location_id),
        "status": item.status, "item_type": item.item_type, "call_number": item.call_number,
        "price_cents": item.price_cents, "source": item.source}}


def _patron_payload(patron: Patron, branch_codes: dict[str, str]) -> dict[str, Any]:
    home = branch_codes.get(patron.home_branch_id)
    return {"patron": {
        "id": patron.id, "card_number": patron.card_number, "name": patron.name, "gender": patron.gender,
        "id_type": patron.id_type, "id_number_hash": patron.id_number_hash,
        "id_number_masked": patron.id_number_masked, "birth_date": _iso_date(patron.birth_date),
        "phone": patron.phone, "category": patron.category, "home_branch": home, "status": patron.status,
        "expiry_date": _iso_date(patron.expiry_date), "registered_at": iso_utc(patron.registered_at),
        "guardian_id": patron.guardian_id}}


def _published_events(branch: Branch, named: set[str] = frozenset()):
    """The branch's own rows as events: places, catalogue, copies, readers, open loans, holds.

    Readers of other branches go too when this branch's loans, holds or queued events name
    them (通借通还: a reader of 城关分馆 borrowing here), and so do loans the queued events
    name (a loan from before enrolment, returned before enrolment)."""
    locations = list(Location.select().where(Location.branch == branch))
    codes = {loc.id: loc.code for loc in Location.select(Location.id, Location.code)}
    yield "branch.published", branch.id, {"branch": {"id": branch.id, "code": branch.code, "name": branch.name,
                                          "library_name": branch.library_name}}
    for loc in locations:
        yield "location.published", loc.code, {"location": {
            "id": loc.id, "code": loc.code, "name": loc.name, "kind": loc.kind, "branch": branch.code,
            "host_organisation": loc.host_organisation, "contact": loc.contact, "route": loc.route,
            "weekday": loc.weekday, "time_of_day": loc.time_of_day, "active": loc.active}}
    local_ids = [loc.id for loc in locations]
    for bib in Bib.select().iterator():
        yield "bib.published", bib.id, {"bib": {
            "id": bib.id, "control_number": bib.control_number, "title": bib.title, "author": bib.author,
            "publisher": bib.publisher, "year": bib.year, "isbn": bib.isbn, "clc_class": bib.clc_class,
            "call_number": bib.call_number, "price_cents": bib.price_cents}}
    for item in Item.select().where(Item.home_location.in_(local_ids)).iterator():
        yield "item.published", item.id, _item_payload(item, codes)
    open_loans = list(
        Loan.select().join(Item).where(Loan.checked_in_at.is_null() & Item.home_location.in_(local_ids))
    )
    holds = list(Hold.select().where(Hold.status.in_(("waiting", "ready")) & Hold.pickup_location.in_(local_ids)))
    named_loans = [
        loan for loan in _rows_with(Loan.select().join(Item), Loan.id, named)
        if loan.checked_in_at is not None and loan.item.home_location_id in local_ids
    ]
    wanted = {loan.patron_id for loan in open_loans + named_loans if loan.patron_id}
    wanted |= {hold.patron_id for hold in holds if hold.patron_id}
    cards = {}
    homes = {b.id: b.code for b in Branch.select(Branch.id, Branch.code)}
    others = {p.id: p for p in _rows_with(Patron.select(), Patron.id, wanted | named)}
    others.update({p.id: p for p in _rows_with(Patron.select(), Patron.card_number, named)})
    readers = [*Patron.select().where(Patron.home_branch == branch).iterator(),
               *(p for p in others.values() if p.home_branch_id != branch.id)]
    for patron in readers:
        cards[patron.id] = patron.card_number
        yield "patron.published", patron.id, _patron_payload(patron, homes)
    for loan in open_loans + named_loans:
        # A loan closed before enrolment goes as it began: the queued check-in closes it.
        yield "loan.published", loan.id, {
            "loan_id": loan.id, "item_id": loan.item_id, "barcode": loan.item.barcode, "patron_id": loan.patron_id,
            "card_number": cards.get(loan.patron_id), "location": codes.get(loan.location_id),
            "checked_out_at": iso_utc(loan.checked_out_at), "due_date": loan.due_date.isoformat(),
            "renewals": loan.renewals, "patron_category": loan.patron_category}
    for hold in holds:
        yield "hold.published", hold.id, {
            "hold_id": hold.id, "bib_id": hold.bib_id, "patron_id": hold.patron_id,
            "card_number": cards.get(hold.patron_id), "pickup_location": codes.get(hold.pickup_location_id),
            "status": "waiting", "placed_at": iso_utc(hold.placed_at)}


def open_conflicts() -> list[Conflict]:
    return list(Conflict.select().where(Conflict.status == "open").order_by(Conflict.detected_at.desc()))


def recent_runs(limit: int = 20) -> list[SyncRun]:
    return list(SyncRun.select().order_by(SyncRun.id.desc()).limit(limit))


__all__ = [
    "SyncClient",
    "SyncSummary",
    "SyncError",
    "HubUnreachable",
    "NotEnrolled",
    "TokenExpired",
    "DeviceRevoked",
    "HubRefused",
    "describe_offset",
    "open_conflicts",
    "recent_runs",
]
