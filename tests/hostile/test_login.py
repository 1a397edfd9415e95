"""Second factor for every signing desk; lockout per account as well as per source address."""

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache


@pytest.fixture(autouse=True)
def clear_axes(db):
    AccessAttempt.objects.all().delete()
    cache.clear()


def login(client, username, password, address):
    return client.post("/masuk/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_a_kabid_must_pass_a_second_factor_before_signing(client, demo_users, demo_password, settings, registered):
    settings.REQUIRE_2FA = True
    login(client, "lumajang-kabid", demo_password, "10.2.0.1")

    response = client.post(f"/permohonan/{registered.pk}/berita-acara/", {})

    assert response.status_code == 302 and response["Location"].startswith("/2fa/")


def test_an_account_is_locked_from_every_address(client, demo_users, demo_password, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        login(client, "lumajang-kasi", "salah-sandi", f"10.3.0.{n + 1}")

    locked = login(client, "lumajang-kasi", demo_password, "10.3.1.1")

    assert locked.status_code == 429
    assert "untuk akun ini atau dari alamat jaringan ini" in locked.content.decode()


def test_an_address_that_tries_many_accounts_is_locked(client, demo_users, demo_password, settings):
    names = ["lumajang-kasi", "lumajang-kabid", "lumajang-kadis", "lumajang-sekdin", "lumajang-petugas"]
    for name in names[: settings.AXES_FAILURE_LIMIT]:
        login(client, name, "salah-sandi", "10.4.0.1")
    assert len(names) >= settings.AXES_FAILURE_LIMIT

    locked = login(client, "lumajang-peksos", demo_password, "10.4.0.1")

    assert locked.status_code == 429
    assert "Login dikunci sementara" in locked.content.decode()
