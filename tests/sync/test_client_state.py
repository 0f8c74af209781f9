"""What this device knows of its hub before and after enrolment."""

from __future__ import annotations

from countylib.library import open_db
from models import SyncState
from sync.outbox import hub_url, is_enrolled


def test_no_hub_before_the_library_is_set_up(db_path):
    database = open_db(db_path)
    try:
        assert (hub_url(), is_enrolled()) == ("", False)
    finally:
        database.close()


def test_the_hub_is_known_once_enrolled(library):
    assert (hub_url(), is_enrolled()) == ("", False)
    SyncState.update(hub_url="https://hub.county.example:8443").where(SyncState.id == 1).execute()
    assert (hub_url(), is_enrolled()) == ("https://hub.county.example:8443", True)
