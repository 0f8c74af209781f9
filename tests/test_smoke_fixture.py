from models import Outbox


def test_library_fixture_records_its_setup_event(library):
    assert [e.type for e in Outbox.select()] == ["branch.initialized"]
