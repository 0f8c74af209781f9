"""Roles are enforced in the services, everywhere: every service above the volunteer role,
found by walking every module of countylib, refuses a volunteer — and every admin service
refuses a librarian. The decorator checks the role before anything else, so dummy
arguments are enough. The desk's everyday work stays open to volunteers.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import countylib
from countylib.errors import CountyLibError, PermissionDenied
from countylib.roles import ADMIN, LIBRARIAN, VOLUNTEER, rank


def _services() -> list[tuple[str, object]]:
    found = {}
    for info in pkgutil.walk_packages(countylib.__path__, "countylib."):
        module = importlib.import_module(info.name)
        for name, fn in vars(module).items():
            role = getattr(fn, "min_role", None)
            if inspect.isfunction(fn) and isinstance(role, str) and fn.__module__ == info.name:
                found[f"{info.name}.{name}"] = fn
    return sorted(found.items())


SERVICES = _services()
ABOVE_VOLUNTEER = [(n, f) for n, f in SERVICES if rank(f.min_role) > rank(VOLUNTEER)]
ADMIN_ONLY = [(n, f) for n, f in SERVICES if f.min_role == ADMIN]


def _dummies(fn) -> tuple[list, dict]:
    """None for every argument after ctx that has no default."""
    params = list(inspect.signature(fn).parameters.values())[1:]
    args = [None for p in params if p.kind is p.POSITIONAL_OR_KEYWORD and p.default is p.empty]
    kwargs = {p.name: None for p in params if p.kind is p.KEYWORD_ONLY and p.default is p.empty}
    return args, kwargs


def test_the_walk_finds_the_services():
    names = {n for n, _ in SERVICES}
    # A few from different areas, so a broken walk cannot pass by finding nothing.
    for expected in ("countylib.auth.create_staff", "countylib.patrons.register_patron",
                     "countylib.circulation.declare_lost", "countylib.audit_log.export_audit_log",
                     "countylib.circulation.check_out"):
        assert expected in names
    assert len(ABOVE_VOLUNTEER) >= 40 and len(ADMIN_ONLY) >= 3


@pytest.mark.parametrize("name,fn", ABOVE_VOLUNTEER, ids=[n for n, _ in ABOVE_VOLUNTEER])
def test_volunteers_are_refused(as_role, name, fn):
    volunteer = as_role(VOLUNTEER)
    args, kwargs = _dummies(fn)
    with pytest.raises(PermissionDenied) as refused:
        fn(volunteer, *args, **kwargs)
    assert "volunteer" in refused.value.message.lower()


@pytest.mark.parametrize("name,fn", ADMIN_ONLY, ids=[n for n, _ in ADMIN_ONLY])
def test_librarians_are_refused_admin_services(as_role, name, fn):
    args, kwargs = _dummies(fn)
    with pytest.raises(PermissionDenied):
        fn(as_role(LIBRARIAN), *args, **kwargs)


# -- what volunteers must be able to do ---------------------------------------------------------


def test_volunteers_do_the_desk_work(as_role, library):
    from countylib.circulation import check_in, check_out, declare_damaged, record_in_house_use, renew
    from countylib.holds import cancel_hold, place_hold
    from countylib.settings import change_setting
    from countylib.visits import record_visits
    from tests.circulation_helpers import home, make_item, make_patron

    volunteer = as_role(VOLUNTEER)
    patron = make_patron(library, "HX01P00001")
    lent, other, third = (make_item(library, f"HX01B{i:06d}") for i in range(3))
    assert check_out(volunteer, patron.card_number, lent.barcode).loan
    volunteer.clock.advance(days=1)
    assert renew(volunteer, lent.barcode)
    assert check_in(volunteer, lent.barcode).outcome
    assert record_in_house_use(volunteer, other.barcode)
    check_out(volunteer, patron.card_number, third.barcode)
    hold = place_hold(volunteer, patron.card_number, other.bib_id, home(library))
    cancel_hold(volunteer, hold.id)
    assert declare_damaged(volunteer, other.barcode).status == "damaged"
    change_setting(volunteer, "language", "en")
    assert record_visits(volunteer, library.branch.code, library.clock.today(), {10: 5}) >= 0


VOLUNTEER_SERVICES = [(n, f) for n, f in SERVICES if f.min_role == VOLUNTEER]


@pytest.mark.parametrize("name,fn", VOLUNTEER_SERVICES, ids=[n for n, _ in VOLUNTEER_SERVICES])
def test_volunteer_services_do_not_refuse_for_the_role(as_role, name, fn):
    """Called with dummy arguments they may fail on the arguments, never on the role."""
    args, kwargs = _dummies(fn)
    try:
        fn(as_role(VOLUNTEER), *args, **kwargs)
    except PermissionDenied as exc:
        # Some refuse a volunteer for what the arguments ask (another's record): not for None.
        pytest.fail(f"{name} refused a volunteer: {exc.message}")
    except (CountyLibError, TypeError, AttributeError, ValueError, KeyError):
        pass
