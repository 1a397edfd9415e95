import pytest

from agencies.models import Agency, User
from tests.factories import PersonFactory


@pytest.fixture
def admin_desk(client, demo_users):
    client.force_login(demo_users["lumajang-admin"])
    return client


def test_an_admin_desk_sees_only_its_agency(admin_desk, demo_users, agencies):
    PersonFactory(agency=Agency.objects.get(slug="solok"), name="Warga Solok")
    PersonFactory(name="Warga Lumajang")

    users = admin_desk.get("/admin/agencies/user/").content.decode()
    persons = admin_desk.get("/admin/cases/person/").content.decode()
    other = admin_desk.get(f"/admin/agencies/user/{demo_users['solok-kadis'].pk}/change/")

    assert "lumajang-kasi" in users and "solok-kasi" not in users
    assert "Warga Lumajang" in persons and "Warga Solok" not in persons
    assert other.status_code == 302  # Django admin: object not found → back to the list


def test_an_admin_desk_can_not_make_itself_superuser(admin_desk, demo_users):
    me = demo_users["lumajang-admin"]
    page = admin_desk.get(f"/admin/agencies/user/{me.pk}/change/").content.decode()

    admin_desk.post(
        f"/admin/agencies/user/{me.pk}/change/",
        {"username": me.username, "is_active": "on", "is_superuser": "on", "is_staff": "on", "groups": [],
         "first_name": "x", "last_name": "y", "email": "", "nip": "", "last_login_0": "", "last_login_1": "",
         "date_joined_0": "2026-11-23", "date_joined_1": "08:00:00"},
    )  # fmt: skip

    assert 'name="is_superuser"' not in page and 'name="user_permissions"' not in page
    assert not User.objects.get(pk=me.pk).is_superuser


def test_a_superuser_still_sees_every_agency(admin_client, demo_users):
    assert "solok-kasi" in admin_client.get("/admin/agencies/user/").content.decode()
