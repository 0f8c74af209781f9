"""Accounts, passwords, sign-in throttling, roles enforced in the services, the audit trail."""

from __future__ import annotations

import pytest

from countylib.auth import create_staff, hash_password, reset_password, sign_in, verify_password
from countylib.errors import AuthenticationFailed, PermissionDenied, ValidationError
from countylib.settings import change_setting, get_setting
from models import AuditLog, Staff

from tests.conftest import ADMIN_PASSWORD


def test_password_hash_is_salted_and_verifies():
    first, second = hash_password("秘密password"), hash_password("秘密password")
    assert first != second and first.startswith("scrypt$")
    assert verify_password("秘密password", first)
    assert not verify_password("wrong", first)
    assert not verify_password("x", "garbage")


def test_sign_in_returns_the_actor_and_audits(library):
    actor = sign_in(library, "admin", ADMIN_PASSWORD)
    assert (actor.username, actor.role) == ("admin", "admin")
    assert AuditLog.select().where(AuditLog.action == "login.succeeded").count() == 1


def test_wrong_password_and_unknown_user_say_the_same(library):
    with pytest.raises(AuthenticationFailed, match="Wrong user name or password") as wrong:
        sign_in(library, "admin", "nope")
    with pytest.raises(AuthenticationFailed) as unknown:
        sign_in(library, "nobody", "nope")
    assert wrong.value.message == unknown.value.message
    assert AuditLog.select().where(AuditLog.action == "login.failed").count() == 2


def test_repeated_failures_make_the_account_wait(library, clock):
    for _ in range(get_setting("max_failed_logins")):
        with pytest.raises(AuthenticationFailed):
            sign_in(library, "admin", "nope")
    with pytest.raises(AuthenticationFailed, match="try again in 5 minutes"):
        sign_in(library, "admin", ADMIN_PASSWORD)  # even the right password waits
    clock.advance(minutes=6)
    assert sign_in(library, "admin", ADMIN_PASSWORD).username == "admin"


def test_secrets_never_reach_the_audit_log(library):
    create_staff(library, "lib1", "topsecret9", "librarian")
    with pytest.raises(AuthenticationFailed):
        sign_in(library, "lib1", "wrongsecret7")
    reset_password(library, "lib1", "another8")
    dump = " ".join(str(e.details) for e in AuditLog.select())
    for secret in ("topsecret9", "wrongsecret7", "another8", Staff.get(Staff.username == "lib1").password_hash):
        assert secret not in dump


def test_volunteer_is_refused_at_the_service_layer(as_role):
    volunteer = as_role("volunteer")
    with pytest.raises(PermissionDenied, match="needs the Administrator role"):
        create_staff(volunteer, "sneaky", "password1", "admin")
    with pytest.raises(PermissionDenied):
        change_setting(volunteer, "idle_lock_minutes", 0)
    assert not Staff.select().where(Staff.username == "sneaky").exists()
    assert get_setting("idle_lock_minutes") == 10


def test_librarian_is_refused_admin_services(as_role):
    with pytest.raises(PermissionDenied):
        create_staff(as_role("librarian"), "x1", "password1", "volunteer")


def test_anyone_may_choose_the_interface_language(as_role):
    change_setting(as_role("volunteer"), "language", "en")
    assert get_setting("language") == "en"
    entry = AuditLog.select().where(AuditLog.action == "setting.changed").get()
    assert entry.details == {"old": "zh_CN", "new": "en"}


def test_bad_accounts_are_refused_with_reasons(library):
    with pytest.raises(ValidationError, match="at least 8"):
        create_staff(library, "short", "123", "librarian")
    with pytest.raises(ValidationError, match="Unknown role"):
        create_staff(library, "who", "password1", "king")
    with pytest.raises(ValidationError, match="taken"):
        create_staff(library, "admin", "password1", "librarian")
    with pytest.raises(ValidationError, match="not one of the choices"):
        change_setting(library, "language", "fr")


def test_every_area_setting_is_known_to_the_settings_screen():
    from countylib.settings import load_area_settings

    specs = load_area_settings()
    assert {"language", "timezone", "idle_lock_minutes"} <= set(specs)
    assert len(specs) > 10


def test_typed_setting_values_take_the_shape_of_their_default(library):
    from countylib.settings import load_area_settings, parse_setting_value

    load_area_settings()
    assert parse_setting_value("idle_lock_minutes", " 15 ") == 15
    assert parse_setting_value("fines_enabled", "是") is True
    assert parse_setting_value("patron_categories", "adult，child, senior") == ["adult", "child", "senior"]
    assert parse_setting_value("timezone", "Asia/Urumqi") == "Asia/Urumqi"
    for key, text in (("idle_lock_minutes", "ten"), ("fines_enabled", "maybe"), ("timezone", "Mars/Base")):
        with pytest.raises(ValidationError):
            parse_setting_value(key, text)


def test_weekday_setting_takes_numbers_only(library):
    from countylib.settings import load_area_settings, parse_setting_value

    load_area_settings()
    assert parse_setting_value("closed_weekdays", "6, 0，6") == [0, 6]
    with pytest.raises(ValidationError, match="not a weekday number"):
        parse_setting_value("closed_weekdays", "Monday")


@pytest.mark.parametrize(
    "username, password, message",
    [
        ("王 老师", "shelves12", "A user name has no spaces: write 王老师, for example."),
        ("wang", "1234567", "The password needs at least 8 characters."),
        ("wang", "12345678", "A password of digits only is guessed easily"),
        ("wang", "aaaaaaaa", "A password of one character repeated is guessed easily"),
    ],
)
def test_spaces_in_user_names_and_easily_guessed_passwords_are_refused(library, username, password, message):
    with pytest.raises(ValidationError) as refused:
        create_staff(library, username, password, "librarian")
    assert refused.value.message.startswith(message)
    create_staff(library, "wang", "shelves12", "librarian")
    with pytest.raises(ValidationError, match="digits only"):
        reset_password(library, "wang", "20261121")


def test_settings_show_the_words_their_values_were_chosen_by(library):
    from countylib import settings

    settings.load_area_settings()
    assert settings.setting_value_label("language", "zh_CN") == "简体中文"
    assert settings.setting_value_label("fines_enabled", False) == "no"
    assert settings.setting_value_label("circulation_rule_branch", "desk") == "the desk's branch"
    assert "0: never" in settings.SPECS["idle_lock_minutes"].label
    assert settings.parse_setting_value("idle_lock_minutes", "0") == 0
    with pytest.raises(ValidationError, match="write 0 to never lock"):
        settings.parse_setting_value("idle_lock_minutes", "-5")
