"""Conflicts the hub found that concern this branch, and their resolution by staff.

A conflict is a fact the hub recorded (two loans of one copy, one card number given twice
...). Staff resolve it here; the resolution is an event (``conflict.resolved``) that syncs
up, is folded by the hub (a merge moves loans and holds to the kept reader), and comes
back down to every branch the conflict concerns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from countylib.context import ServiceContext, service
from countylib.errors import NotFound, RuleViolation, ValidationError
from countylib.i18n import N_
from countylib.roles import LIBRARIAN
from models import Conflict

# The plain-words name of each code the hub uses (SYNC.md's conflict table).
CODE_TITLES = {
    "OPEN_LOAN_EXISTS": N_("Checked out at two places"),
    "CHECKIN_WITHOUT_LOAN": N_("Returned, but no loan was found"),
    "ROUTE_ITEM": N_("A hold waits for this title elsewhere"),
    "ASSET_CHANGED": N_("Copy changed since; the older change was skipped"),
    "COPY_STATUS_LOST": N_("A copy marked lost was returned"),
    "DUPLICATE_CARD": N_("One card number given to two readers"),
    "POSSIBLE_DUPLICATE_PATRON": N_("Same ID number registered at two branches"),
    "CARD_NOT_FOUND": N_("Unknown card"),
    "ITEM_NOT_FOUND": N_("Unknown barcode"),
    "DUPLICATE_BARCODE": N_("One barcode on two copies"),
    "PATRON_BLOCKED_AT_TIME": N_("Lent to a blocked or expired reader"),
    "HOLD_CAPTURE_CONFLICT": N_("One hold filled by two copies"),
    "MAX_RENEWALS_REACHED": N_("Renewed more often than allowed"),
    "REPLACED_CARD_USED": N_("A replaced (lost) card was used to borrow"),
    "INVALID_PAYLOAD": N_("A change the central library could not read"),
}
ACTION_TITLES = {
    "accept": N_("Accept what was done"),
    "check_shelf": N_("Check the shelf"),
    "merge": N_("Merge the two readers"),
    "keep_both": N_("Keep both readers"),
    "cancel_hold": N_("Cancel the duplicate hold"),
}

# What each action does, in a line of help on the Sync screen.
ACTION_HELP = {
    "accept": N_("what was recorded stands as the central library applied it; the conflict is closed at every "
                 "branch it concerns"),
    "check_shelf": N_("the copy is marked for a shelf check, so staff look whether it is really there"),
    "merge": N_("the second reader's loans and holds move to the first, and the second record is closed"),
    "keep_both": N_("they are two different people; both records stay"),
    "cancel_hold": N_("the hold that was filled twice is cancelled"),
}


@dataclass(frozen=True)
class ConflictLine:
    id: str
    code: str
    status: str
    detected_at: object
    happened_at: object  # when the transaction behind it happened (its first side), else detected_at
    branches: tuple[str, ...]
    barcode: str
    card_number: str
    note: str
    sides: tuple[dict, ...]
    actions: tuple[str, ...]


def conflict_lines(*, include_resolved: bool = False, limit: int = 500) -> list[ConflictLine]:
    query = Conflict.select().order_by(Conflict.detected_at.desc()).limit(limit)
    if not include_resolved:
        query = query.where(Conflict.status == "open")
    lines = []
    for row in query:
        data = row.data or {}
        item = data.get("item") or {}
        patron = data.get("patron") or {}
        sides = tuple(data.get("sides") or ())
        # An unknown barcode or card has no copy or reader record: the sides name them.
        barcode = item.get("barcode") or next((s["barcode"] for s in sides if s.get("barcode")), "")
        card = patron.get("card_number") or next((s["card_number"] for s in sides if s.get("card_number")), "")
        times = [_utc(s.get("at")) for s in sides]
        lines.append(
            ConflictLine(
                id=row.id,
                code=row.code,
                status=row.status,
                detected_at=row.detected_at,
                happened_at=min((t for t in times if t is not None), default=row.detected_at),
                branches=tuple(data.get("branches") or ()),
                barcode=barcode,
                card_number=card,
                note=data.get("note") or "",
                sides=sides,
                actions=tuple(data.get("actions") or ("accept",)),
            )
        )
    return lines


def _utc(text) -> dt.datetime | None:
    """A side's ISO time as the naive UTC the database keeps, or None."""
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)  # 3.11 reads the trailing Z
    except ValueError:
        return None
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo else moment


@service(LIBRARIAN)
def resolve_conflict(
    ctx: ServiceContext,
    conflict_id: str,
    action: str,
    *,
    note: str = "",
    keep_patron_id: str | None = None,
    merge_patron_id: str | None = None,
    hold_id: str | None = None,
) -> Conflict:
    """Record staff's decision; it reaches the hub and every branch the conflict concerns."""
    conflict = Conflict.get_or_none(Conflict.id == conflict_id)
    if conflict is None:
        raise NotFound("There is no such conflict here.")
    if conflict.status != "open":
        raise RuleViolation("This conflict is already resolved.")
    actions = (conflict.data or {}).get("actions") or ["accept"]
    if action not in actions:
        raise ValidationError("{action} does not fit this conflict.", action=action)
    payload: dict = {"conflict_id": conflict.id, "code": conflict.code, "action": action, "note": note.strip(),
                     "by": ctx.actor.username}
    if action == "merge":
        sides = [s for s in (conflict.data or {}).get("sides", []) if s.get("patron_id")]
        ids = [s["patron_id"] for s in sides]
        keep = keep_patron_id or (ids[0] if ids else None)
        merge = merge_patron_id or next((i for i in ids if i != keep), None)
        if not keep or not merge or keep == merge:
            raise ValidationError("Choose which reader to keep; the other is merged into it.")
        payload.update(keep_patron_id=keep, merge_patron_id=merge)
    if action == "cancel_hold":
        if not hold_id:
            raise ValidationError("Choose the hold to cancel.")
        payload["hold_id"] = hold_id
    ctx.record("conflict.resolved", payload)
    now = ctx.clock.utcnow()
    Conflict.update(status="resolved", resolved_at=now, resolution_sent=True).where(Conflict.id == conflict.id).execute()
    return Conflict.get_by_id(conflict.id)
