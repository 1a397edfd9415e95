import pytest

from agencies.desks import DESK_LABELS, DESKS


@pytest.mark.parametrize("agency", ["palangka-raya", "solok", "lumajang"])
@pytest.mark.parametrize("desk", [desk for desk, _ in DESKS])
def test_each_demo_user_can_log_in(client, demo_users, demo_password, agency, desk):
    response = client.post("/masuk/", {"username": f"{agency}-{desk}", "password": demo_password}, follow=True)

    assert response.context["user"].is_authenticated
    page = response.content.decode()
    assert demo_users[f"{agency}-{desk}"].agency.name in page
    assert DESK_LABELS[desk] in page


def test_a_wrong_password_is_refused_in_indonesian(client, demo_users):
    response = client.post("/masuk/", {"username": "lumajang-kasi", "password": "salah"})

    assert not response.wsgi_request.user.is_authenticated
    assert "Nama pengguna atau kata sandi salah" in response.content.decode()


def test_home_needs_login(client, db):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/masuk/")


def test_logout_ends_the_session(client, demo_users, demo_password):
    client.post("/masuk/", {"username": "solok-kadis", "password": demo_password})

    client.post("/keluar/")

    assert client.get("/").status_code == 302


def test_the_admin_is_in_indonesian(admin_client):
    response = admin_client.get("/admin/")

    assert "Administrasi" in response.content.decode()
    assert response.headers["Content-Language"] == "id"
