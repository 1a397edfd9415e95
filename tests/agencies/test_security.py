from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


@pytest.fixture(autouse=True)
def clear_axes(db):
    AccessAttempt.objects.all().delete()
    cache.clear()


def login(client, username, password):
    return client.post("/masuk/", {"username": username, "password": password})


def current_token(device):
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_a_kadis_must_set_up_and_use_a_second_factor(client, demo_users, demo_password, settings):
    settings.REQUIRE_2FA = True

    login(client, "lumajang-kadis", demo_password)
    blocked = client.get("/kotak-masuk/")
    setup = client.get(blocked["Location"])
    device = TOTPDevice.objects.get(user=demo_users["lumajang-kadis"])
    wrong = client.post(
        "/2fa/?next=/kotak-masuk/", {"token": "000000" if current_token(device) != "000000" else "111111"}
    )
    throttled = client.post("/2fa/?next=/kotak-masuk/", {"token": current_token(device)})
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    right = client.post("/2fa/?next=/kotak-masuk/", {"token": current_token(device)})

    assert blocked.status_code == 302 and blocked["Location"].startswith("/2fa/")
    assert "Pindai kode QR" in setup.content.decode() and 'data-testid="secret"' in setup.content.decode()
    assert "Kode salah" in wrong.content.decode()
    assert "Terlalu banyak kode salah" in throttled.content.decode()
    assert right.status_code == 302 and right["Location"] == "/kotak-masuk/"
    assert client.get("/kotak-masuk/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed


def test_a_returning_kadis_is_asked_for_the_code_only(client, demo_users, demo_password, settings):
    settings.REQUIRE_2FA = True
    TOTPDevice.objects.create(user=demo_users["lumajang-kadis"], name="HP", confirmed=True)

    login(client, "lumajang-kadis", demo_password)
    page = client.get("/2fa/").content.decode()

    assert "Masukkan 6 angka" in page and "Pindai kode QR" not in page


@pytest.mark.parametrize(
    "desk, required",
    [("kadis", True), ("sekdin", True), ("kabid", True), ("admin", True), ("petugas", False), ("kasi", False)],
)
def test_who_needs_a_second_factor(client, demo_users, demo_password, settings, desk, required):
    settings.REQUIRE_2FA = True

    login(client, f"solok-{desk}", demo_password)
    response = client.get("/dasbor/")

    assert (response.status_code == 302 and response["Location"].startswith("/2fa/")) is required


def test_the_admin_is_behind_the_second_factor_too(client, demo_password, demo_users, settings):
    settings.REQUIRE_2FA = True

    login(client, "lumajang-admin", demo_password)

    assert client.get("/admin/")["Location"].startswith("/2fa/")


def test_repeated_wrong_passwords_lock_the_login(client, demo_users, demo_password, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "lumajang-kasi", "salah-sandi")

    locked = login(client, "lumajang-kasi", demo_password)

    assert locked.status_code == 429
    assert "Login dikunci sementara" in locked.content.decode()
    assert client.get("/dasbor/").status_code == 302  # still not signed in


def test_a_lock_of_one_user_name_leaves_other_users_elsewhere_alone(client, demo_users, demo_password, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "lumajang-kasi", "salah-sandi")

    other = client.post("/masuk/", {"username": "lumajang-kabid", "password": demo_password}, REMOTE_ADDR="10.1.1.9")

    assert other.status_code == 302


def test_pages_carry_a_content_security_policy_without_inline_script(client, db):
    policy = client.get("/katalog/")["Content-Security-Policy"]

    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy


def test_no_template_has_inline_script():

    paths = list((Path(django_settings.BASE_DIR) / "templates").rglob("*.html"))
    assert len(paths) > 10
    for path in paths:
        text = path.read_text(encoding="utf-8")
        assert "<script>" not in text and " onclick=" not in text and " onsubmit=" not in text, path


def test_sessions_expire_and_passwords_are_validated(settings):
    assert settings.SESSION_COOKIE_AGE <= 8 * 60 * 60 and settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    with pytest.raises(ValidationError):
        validate_password("12345678")
