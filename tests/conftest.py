import json
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from agencies.services import DEMO_PASSWORD, create_demo_users, load_agencies
from sop_catalog.services import import_sops

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
    from sop_catalog.models import SOP

    import_sops(sample_data())
    return SOP.objects.get(slug="contoh-spm", is_current=True)


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"
