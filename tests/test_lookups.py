"""Finding what the desk works with: the open reader read again after each scan."""

from __future__ import annotations

import datetime as dt

from countylib.lookups import find_patron, refresh_patron
from models import Patron
from tests.circulation_helpers import make_patron


def test_the_open_reader_is_read_again_with_changes_made_since(library):
    opened = find_patron(make_patron(library, "HX01P90001").card_number)
    Patron.update(status="suspended", expiry_date=dt.date(2030, 6, 30)).where(Patron.id == opened.id).execute()
    again = refresh_patron(opened.id)
    assert opened.status == "active"
    assert (again.status, again.expiry_date, again.home_branch.code) == ("suspended", dt.date(2030, 6, 30), "HX01")
