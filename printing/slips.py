"""What the desk's printouts say: receipts, hold slips and overdue notices as plain data.

Kept apart from the renderers (printing.receipts, printing.notices) so the desk and its
services start without loading the PDF engine; reportlab loads when something is printed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ReceiptLine:
    title: str
    barcode: str
    due_date: dt.date
    renewed: bool = False


@dataclass
class Receipt:
    library_name: str
    location_name: str
    patron_name: str
    card_number: str
    printed_at: dt.datetime  # local time
    lines: list[ReceiptLine] = field(default_factory=list)
    loans_total: int = 0  # everything the reader has on loan after this visit


@dataclass
class HoldSlip:
    library_name: str
    location_name: str
    patron_name: str
    card_number: str
    title: str
    barcode: str
    call_number: str
    expires_on: dt.date | None
    printed_at: dt.datetime


def mask_card(card: str) -> str:
    """Only the last four characters show."""
    return "*" * max(0, len(card) - 4) + card[-4:]


@dataclass(frozen=True)
class NoticeItem:
    title: str
    barcode: str
    call_number: str
    due_date: dt.date
    days_overdue: int


@dataclass
class OverdueNotice:
    patron_name: str
    card_number: str
    address: str
    phone: str
    items: list[NoticeItem] = field(default_factory=list)


@dataclass
class NoticeBatch:
    library_name: str
    location_name: str
    printed_on: dt.date
    notices: list[OverdueNotice] = field(default_factory=list)
