import json
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from agencies.models import Agency
from agencies.services import DEMO_PASSWORD, create_demo_users, load_agencies
from cases import services as case_services
from sop_catalog.models import SOP
from sop_catalog.services import import_sops
from tests.factories import PersonFactory

DATA = Path(__file__).parent / "data"


def pytest_configure(config):
    # Demo users are created in many tests; the production hasher would dominate the run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_collection_modifyitems(config, items):
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://… (see README)")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip)


@pytest.fixture
def agencies(db):
    load_agencies(path=settings.BASE_DIR / "fixtures" / "agencies.json")


@pytest.fixture
def demo_users(agencies):
    return {user.username: user for user in create_demo_users()}


@pytest.fixture
def demo_password():
    return DEMO_PASSWORD


def sample_data():
    return json.loads((DATA / "sample_sop.json").read_text(encoding="utf-8"))


@pytest.fixture
def sample_sop(db):
    import_sops(sample_data())
    return SOP.objects.get(slug="contoh-spm", is_current=True)


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture
def lumajang(agencies):
    return Agency.objects.get(slug="lumajang")


@pytest.fixture
def petugas(demo_users):
    return demo_users["lumajang-petugas"]


@pytest.fixture
def petugas_client(client, petugas):
    client.force_login(petugas)
    return client


@pytest.fixture
def spm(lumajang):
    """The sample SPM SOP, owned by Lumajang."""
    data = sample_data()
    data[0]["agency"] = {"name": lumajang.name, "slug": lumajang.slug, "region": lumajang.region}
    data[0]["slug"] = "lumajang-contoh-spm"
    import_sops(data)
    return SOP.objects.get(slug="lumajang-contoh-spm", is_current=True)


@pytest.fixture
def person(lumajang):
    return PersonFactory(agency=lumajang)


@pytest.fixture
def draft(spm, person, petugas):
    return case_services.open_case(
        user=petugas, sop=spm, applicant=person, beneficiary=person, channel="datang", purpose="Berobat ke RSUD"
    )


@pytest.fixture
def registered(draft, petugas):
    return case_services.register_case(case=draft, user=petugas)


@pytest.fixture
def walk(demo_users):
    """Complete the current step as the demo user of its desk; returns the refreshed case."""
    from cases import workflow
    from cases.models import Case

    def step(case, branch="", note="", username=None, **extra):
        case = Case.objects.get(pk=case.pk)
        desk = case.current_step.desk
        user = demo_users[username or f"{case.agency.slug}-{desk}"]
        return workflow.complete_step(
            case=case, user=user, step_id=case.current_step_id, branch=branch, note=note, **extra
        )

    return step


def give_all_documents(case, user):
    for document in case.documents.all():
        case_services.receive_document(document=document, user=user)
