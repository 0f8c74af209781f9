"""A small library whose report figures are worked out by hand (see the numbers in test_reports.py).

The clock of the ``library`` fixture stands at 2026-11-21 02:00 UTC = 10:00 in Shanghai, so
"today" is Saturday 21 November 2026 and its week runs Monday 16 to Sunday 22 November.
Loans are written as rows (they are history); times are UTC, as stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from countylib.context import ServiceContext
from models import (
    Attendance,
    Bib,
    CardEvent,
    Donation,
    DonationLine,
    Donor,
    Event,
    Item,
    Loan,
    Location,
    Patron,
    Shift,
    ShiftAssignment,
    VisitCount,
    Volunteer,
)


def utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts)


@dataclass
class Small:
    branch: Location
    stop: Location
    p1: Patron  # 张三丰, adult: 3 loans in 2026
    p2: Patron  # 李四, child: 2 loans in 2026
    p3: Patron  # 王五, adult: 2 loans in 2026 (one of them today)
    renewed_loan: Loan


def build_small_library(ctx: ServiceContext) -> Small:
    with ctx.db.atomic():
        branch = Location.get(Location.code == "HX01")
        stop = Location.create(branch=ctx.branch, code="HX01-VS01", name="东村", kind="van_stop")

        def bib(title: str, clc: str, author: str = "某某") -> Bib:
            return Bib.create(title=title, author=author, clc_class=clc, call_number=f"{clc}/1" if clc else "")

        hongloumeng = bib("红楼梦", "I242.4", "曹雪芹")
        jiaoyu = bib("教育学", "G40")
        tongshi = bib("中国通史", "K20")
        jiushu = bib("旧书", "TP311.1")
        lost_title = bib("散佚之书", "")

        def item(barcode: str, b: Bib, home: Location, *, at=utc(2025, 1, 1), status="available", source="purchase") -> Item:
            return Item.create(
                barcode=barcode, bib=b, home_location=home, current_location=home, accessioned_at=at, status=status, source=source
            )

        i1a = item("B1A", hongloumeng, branch)
        i1b = item("B1B", hongloumeng, branch)
        i2 = item("B2", jiaoyu, branch, status="in_transit")
        i3 = item("B3", tongshi, stop, at=utc(2026, 3, 1), source="donation")
        item("B4", jiushu, branch, at=utc(2020, 1, 1))
        item("B5", lost_title, branch, status="withdrawn")

        def patron(card: str, name: str, category: str, registered=utc(2024, 1, 1), status="active") -> Patron:
            return Patron.create(
                card_number=card, name=name, category=category, home_branch=ctx.branch, registered_at=registered, status=status
            )

        p1 = patron("HX010001", "张三丰", "adult")
        p2 = patron("HX010002", "李四", "child")
        p3 = patron("HX010003", "王五", "adult", registered=utc(2026, 11, 21, 1, 30))
        p4 = patron("HX010004", "赵六", "adult", status="returned")

        def loan(it: Item, p: Patron, at: Location, out: dt.datetime, back: dt.datetime | None, due: dt.date, renewals=0) -> Loan:
            return Loan.create(
                item=it, patron=p, location=at, checked_out_at=out, checked_in_at=back, due_date=due,
                renewals=renewals, patron_category=p.category, checkin_location=at if back else None,
            )  # fmt: skip

        renewed = loan(i1a, p1, branch, utc(2026, 1, 10, 2), utc(2026, 2, 1, 2), dt.date(2026, 2, 9), renewals=1)
        loan(i1b, p2, branch, utc(2026, 1, 20, 2), utc(2026, 2, 10, 2), dt.date(2026, 2, 19))
        loan(i1a, p1, branch, utc(2026, 3, 5, 2), utc(2026, 3, 20, 2), dt.date(2026, 4, 4))
        loan(i2, p1, stop, utc(2026, 3, 6, 2), utc(2026, 3, 25, 2), dt.date(2026, 4, 5))
        loan(i3, p3, stop, utc(2026, 7, 1, 2), None, dt.date(2026, 8, 1))  # still out: overdue
        # 01:00 on New Year's Day in Shanghai: a 2026 loan, though 2025 in UTC.
        loan(i1b, p2, branch, utc(2025, 12, 31, 17), utc(2026, 1, 15, 2), dt.date(2026, 1, 30))
        # 23:00 on New Year's Eve in Shanghai: a 2025 loan.
        loan(i2, p3, branch, utc(2025, 12, 31, 15), utc(2026, 1, 5, 2), dt.date(2026, 1, 30))
        # Today at 09:00, and returned at 09:30 (one return today).
        loan(i1a, p3, branch, utc(2026, 11, 21, 1), utc(2026, 11, 21, 1, 30), dt.date(2026, 12, 21))

        # Cards: one new today, one new in 2025; three returned in 2026 with their reasons.
        CardEvent.create(patron=p3, kind="issued", at=utc(2026, 11, 21, 1, 30))
        CardEvent.create(patron=p1, kind="issued", at=utc(2025, 3, 1))
        CardEvent.create(patron=p4, kind="returned", reason_code="moved", at=utc(2026, 6, 1))
        CardEvent.create(patron=p4, kind="returned", reason_code="too_far", at=utc(2026, 6, 2))
        CardEvent.create(patron=p2, kind="returned", reason_code="too_far", at=utc(2026, 6, 3))

        VisitCount.create(location=branch, day=dt.date(2026, 11, 21), count=40)
        VisitCount.create(location=stop, day=dt.date(2026, 11, 20), count=12)
        VisitCount.create(location=branch, day=dt.date(2025, 6, 1), count=100)

        # A lecture this morning with two people, one cancelled, one tonight (not held yet).
        lecture = Event.create(
            title="讲座", kind="lecture", location=branch, starts_at=utc(2026, 11, 21, 0), ends_at=utc(2026, 11, 21, 1, 30)
        )
        Attendance.create(event=lecture, name="甲")
        Attendance.create(event=lecture, name="乙")
        Event.create(
            title="取消的", kind="lecture", location=branch, starts_at=utc(2026, 11, 20, 0), ends_at=utc(2026, 11, 20, 1),
            status="cancelled",
        )  # fmt: skip
        Event.create(title="晚上的", kind="children", location=branch, starts_at=utc(2026, 11, 21, 10), ends_at=utc(2026, 11, 21, 11))

        helper = Volunteer.create(name="志愿者甲", status="active")
        shift = Shift.create(location=branch, day=dt.date(2026, 11, 20), starts=dt.time(9), ends=dt.time(11, 30))
        ShiftAssignment.create(shift=shift, volunteer=helper, status="attended", minutes=150)
        other = Volunteer.create(name="志愿者乙", status="active")
        ShiftAssignment.create(shift=shift, volunteer=other, status="no_show")

        donor = Donor.create(name="热心读者")
        gift = Donation.create(donor=donor, branch=ctx.branch, received_on=dt.date(2026, 5, 1))
        DonationLine.create(donation=gift, title="甲书", decision="accessioned", estimated_value_cents=2000)
        DonationLine.create(donation=gift, title="乙书", decision="declined")
        DonationLine.create(donation=gift, title="丙书", decision="forwarded")

        # A renewal made at this desk today: the outbox keeps it with its time.
        ctx.record("loan.renewed", {"loan_id": renewed.id, "renewed_at": "2026-11-21T01:45:00Z"})
    return Small(branch, stop, p1, p2, p3, renewed)
