"""Library-wide settings, stored in the database so every desk of the branch shares them."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from countylib.audit import record_audit
from countylib.clock import DEFAULT_TIMEZONE
from countylib.context import ServiceContext, service
from countylib.errors import ValidationError
from countylib.i18n import LANGUAGES, N_
from countylib.roles import ADMIN, LIBRARIAN, VOLUNTEER
from models import Setting


@dataclass(frozen=True)
class SettingSpec:
    key: str
    default: Any
    label: str
    min_role: str = ADMIN
    choices: tuple[Any, ...] = ()


SPECS: dict[str, SettingSpec] = {}


def register_settings(*specs: SettingSpec) -> None:
    """Each area declares its own settings (with defaults) at import time."""
    for spec in specs:
        SPECS[spec.key] = spec


register_settings(
    SettingSpec("language", "zh_CN", N_("Language"), VOLUNTEER, LANGUAGES),
    SettingSpec("library_name", "", N_("Library name")),
    SettingSpec("timezone", DEFAULT_TIMEZONE, N_("Time zone")),
    SettingSpec("idle_lock_minutes", 10, N_("Lock the screen after this many idle minutes")),
    SettingSpec("max_failed_logins", 5, N_("Failed sign-ins before an account waits")),
    SettingSpec("login_lockout_minutes", 5, N_("Minutes an account waits after too many failed sign-ins")),
)


# Areas declare their settings when imported; the Settings screen imports them all first.
AREA_MODULES = (
    "countylib.activities",
    "countylib.calendar",
    "countylib.callnumbers",
    "countylib.cataloguing",
    "countylib.circulation",
    "countylib.donations",
    "countylib.holds",
    "countylib.lookups",
    "countylib.patron_import",
    "countylib.patrons",
    "countylib.replication",
    "countylib.rules",
    "countylib.shifts",
    "countylib.visits",
    "countylib.volunteer_recognition",
)


def load_area_settings() -> dict[str, SettingSpec]:
    for module in AREA_MODULES:
        importlib.import_module(module)
    return SPECS


def get_setting(key: str) -> Any:
    spec = SPECS[key]
    row = Setting.get_or_none(Setting.key == key)
    return spec.default if row is None else row.value


@service(VOLUNTEER)
def change_setting(ctx: ServiceContext, key: str, value: Any) -> None:
    """Change one setting; each setting names the role it needs (most: admins)."""
    spec = SPECS.get(key)
    if spec is None:
        raise ValidationError("There is no setting called {key}.", key=key)
    ctx.require(spec.min_role)
    if spec.choices and value not in spec.choices:
        raise ValidationError("{value} is not one of the choices for this setting.", value=value)
    old = get_setting(key)
    Setting.insert(key=key, value=value).on_conflict_replace().execute()
    record_audit(ctx, "setting.changed", "setting", key, old=old, new=value)
