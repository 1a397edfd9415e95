import json

import pytest
from django.conf import settings

from registers.models import Period, Register
from registers.services import load_register_data
from sop_catalog.models import SOP
from sop_catalog.services import import_sops

FIXTURE = settings.BASE_DIR / "fixtures" / "register_checks.json"


def register_data(sops=None):
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    if sops is not None:
        data["checks"] = [mark for mark in data["checks"] if mark["sop"] in sops]
    return data


@pytest.fixture
def lumajang_spm(agencies):
    """The real Lumajang SPM SOP with its padanan marks, and the standard registers of every agency."""
    path = settings.BASE_DIR / "fixtures" / "sops" / "lumajang-spm.json"
    import_sops(json.loads(path.read_text(encoding="utf-8")))
    load_register_data(register_data(["lumajang-spm"]))
    return SOP.objects.get(slug="lumajang-spm", is_current=True)


@pytest.fixture
def periods(lumajang_spm, lumajang):
    """A current period for each of Lumajang's three standard registers."""
    return {
        register.code: Period.objects.create(register=register, label="Triwulan III 2026", is_current=True)
        for register in Register.objects.filter(agency=lumajang)
    }
