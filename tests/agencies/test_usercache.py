"""The desks of a signed-in user come from a cache that never keeps a revoked desk alive."""

import datetime
import shutil
import tempfile
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies.models import Agency, Official, User
from tests import nodes


def login(client, demo_users, username):
    client.force_login(demo_users[username])
    return client


def test_a_cached_page_reads_no_permission_or_agency(client, demo_users, db):
    login(client, demo_users, "lumajang-peksos").get("/kotak-masuk/")

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/kotak-masuk/").status_code == 200

    sql = " ".join(query["sql"] for query in queries.captured_queries)
    assert "auth_permission" not in sql and "agencies_agency" not in sql and "cases_notification" not in sql


def test_a_revoked_desk_is_refused_at_the_next_request(client, demo_users, db):
    login(client, demo_users, "lumajang-peksos")
    assert client.get("/kotak-masuk/").status_code == 200

    User.objects.get(username="lumajang-peksos").groups.remove(Group.objects.get(name="peksos"))

    assert client.get("/kotak-masuk/").status_code == 403


def test_a_desk_taken_from_the_group_is_refused(client, demo_users, db):
    login(client, demo_users, "lumajang-peksos")
    assert client.get("/kotak-masuk/").status_code == 200

    Group.objects.get(name="peksos").permissions.remove(Permission.objects.get(codename="desk_peksos"))

    assert client.get("/kotak-masuk/").status_code == 403


def test_a_group_emptied_from_its_side_bumps_its_members(demo_users, db):
    before = User.objects.get(username="lumajang-peksos").cache_version

    Group.objects.get(name="peksos").user_set.clear()

    assert User.objects.get(username="lumajang-peksos").cache_version > before


def test_a_renamed_agency_shows_at_once(client, demo_users, db):
    login(client, demo_users, "lumajang-peksos").get("/kotak-masuk/")
    agency = Agency.objects.get(slug="lumajang")
    agency.name = "Dinas Sosial yang Baru Dinamai"
    agency.save()

    assert "Dinas Sosial yang Baru Dinamai" in client.get("/kotak-masuk/").content.decode()


def test_a_full_save_of_a_stale_row_does_not_write_back_its_version(demo_users, db):
    stale = User.objects.get(username="lumajang-peksos")
    stale.groups.remove(Group.objects.get(name="peksos"))
    bumped = User.objects.get(pk=stale.pk).cache_version

    stale.first_name = "Nama Baru"
    stale.save()

    assert User.objects.get(pk=stale.pk).cache_version == bumped > stale.cache_version


@pytest.fixture
def database_url():
    with nodes.fresh_postgres("usercache") as url:
        yield url


@pytest.fixture
def two_nodes(database_url):
    """Two gunicorn processes on one PostgreSQL database and one cache folder (DJANGO_CACHE=file)."""
    folder = Path(tempfile.mkdtemp(prefix="sop-nodes-"))
    env = nodes.node_env(folder, database_url)
    nodes.run_step(env, "setup")
    started = [nodes.Node(env, "a"), nodes.Node(env, "b")]
    try:
        yield env, [node.wait() for node in started]
    finally:
        for node in started:
            node.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.postgres
def test_across_processes_a_revoked_desk_or_a_deactivated_user_is_never_served_from_the_cache(two_nodes):
    env, (a, b) = two_nodes
    session = nodes.run_step(env, "session", "lumajang-peksos")
    assert a.request("/kotak-masuk/", session=session)[0] == 200
    assert b.request("/kotak-masuk/", session=session)[0] == 200  # B has the desks cached now

    nodes.run_step(env, "revoke", "lumajang-peksos", "peksos")  # in a third process: B's memory knows nothing
    assert b.request("/kotak-masuk/", session=session)[0] == 403
    assert a.request("/kotak-masuk/", session=session)[0] == 403

    other = nodes.run_step(env, "session", "lumajang-petugas")
    assert b.request("/orang/", session=other)[0] == 200
    nodes.run_step(env, "deactivate", "lumajang-petugas")
    status, _body, headers = b.request("/orang/", session=other)
    assert status == 302 and "/masuk/" in headers["Location"]


def test_a_demoted_superuser_loses_every_desk_at_once(client, demo_users, db):
    boss = User.objects.get(username="lumajang-peksos")
    boss.groups.clear()
    boss.is_superuser = True
    boss.save()
    client.force_login(boss)
    assert client.get("/kotak-masuk/").status_code == 200  # a superuser's permissions hold every desk

    boss.is_superuser = False
    boss.save()

    assert client.get("/kotak-masuk/").status_code == 403


def test_a_deleted_desk_group_is_refused_at_the_next_request(client, demo_users, db):
    login(client, demo_users, "lumajang-peksos")
    assert client.get("/kotak-masuk/").status_code == 200

    Group.objects.get(name="peksos").delete()

    assert client.get("/kotak-masuk/").status_code == 403


def test_a_holding_ended_or_handed_over_is_refused_at_the_next_request(client, demo_users, db):
    """A Kasi works at the desk through the position: ending the holding takes the desk on the next
    request, and a Plt. entered over the definitive holder takes it from them too."""
    login(client, demo_users, "lumajang-kasi")
    assert client.get("/kotak-masuk/").status_code == 200
    holding = Official.objects.get(user__username="lumajang-kasi")

    holding.end = timezone.localdate() - datetime.timedelta(days=1)
    holding.save()
    assert client.get("/kotak-masuk/").status_code == 403

    holding.end = None
    holding.save()
    assert client.get("/kotak-masuk/").status_code == 200
    Official.objects.create(position=holding.position, name="PLH KASI", acting=Official.PLH, start=timezone.localdate())
    assert client.get("/kotak-masuk/").status_code == 403
