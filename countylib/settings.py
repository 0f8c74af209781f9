"""Library-wide settings, stored in the database so every desk of the branch shares them."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from countylib.audit import record_audit
from countylib.clock import DEFAULT_TIMEZONE
from countylib.context import ServiceContext, service
from countylib.errors import ValidationError
from countylib.i18n import LANGUAGE_NAMES, LANGUAGES, N_, _
from countylib.roles import ADMIN, VOLUNTEER
from models import Setting


@dataclass(frozen=True)
class SettingSpec:
    key: str
    default: Any
    label: str
    min_role: str = ADMIN
    choices: tuple[Any, ...] = ()
    # Turns typed text into the value, raising ValidationError; for values the default's
    # shape cannot describe (e.g. a list of weekday numbers).
    parse: Callable[[str], Any] | None = None
    # The words staff choose each of ``choices`` by (msgids); yes/no need none.
    labels: dict[Any, str] | None = None


SPECS: dict[str, SettingSpec] = {}


def register_settings(*specs: SettingSpec) -> None:
    """Each area declares its own settings (with defaults) at import time."""
    for spec in specs:
        SPECS[spec.key] = spec


def _idle_minutes(text: str) -> int:
    if not text.isdigit():
        raise ValidationError("{text} is not a number of minutes; write 0 to never lock the screen.", text=text)
    return int(text)


register_settings(
    SettingSpec("language", "zh_CN", N_("Language"), VOLUNTEER, LANGUAGES, labels=LANGUAGE_NAMES),
    SettingSpec("library_name", "", N_("Library name")),
    SettingSpec("timezone", DEFAULT_TIMEZONE, N_("Time zone")),
    # The app locks only after a positive number of minutes (App._tick).
    SettingSpec("idle_lock_minutes", 10, N_("Lock the screen after this many idle minutes (0: never)"), parse=_idle_minutes),
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


_TRUE = {"1", "true", "yes", "y", "on", "是", "开"}
_FALSE = {"0", "false", "no", "n", "off", "否", "关"}


def format_setting_value(value: Any) -> str:
    """A setting's value as staff type it (lists comma-separated, JSON for mappings)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def setting_value_label(key: str, value: Any) -> str:
    """A setting's value in the words staff chose it by (简体中文, 否), for lists and choices."""
    spec = SPECS[key]
    if spec.labels and value in spec.labels:
        return _(spec.labels[value])
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return format_setting_value(value)


def parse_setting_value(key: str, text: str) -> Any:
    """Typed text → the setting's value, shaped like its default."""
    spec = SPECS.get(key)
    if spec is None:
        raise ValidationError("There is no setting called {key}.", key=key)
    text = text.strip()
    if spec.parse is not None:
        return spec.parse(text)
    default = spec.default
    try:
        if isinstance(default, bool):
            if text.lower() in _TRUE:
                return True
            if text.lower() in _FALSE:
                return False
            raise ValueError
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
        if isinstance(default, list):
            parts = [p.strip() for p in text.replace("，", ",").split(",") if p.strip()]
            return [int(p) for p in parts] if default and all(isinstance(d, int) for d in default) else parts
        if isinstance(default, dict):
            value = json.loads(text or "{}")
            if not isinstance(value, dict):
                raise ValueError
            return value
    except ValueError as exc:
        raise ValidationError("{text} is not a valid value for this setting.", text=text) from exc
    if key == "timezone":
        try:
            ZoneInfo(text)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationError("{text} is not a time zone name such as Asia/Shanghai.", text=text) from exc
    return text


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
