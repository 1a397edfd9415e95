"""An SOP's page shows the unit kerja that runs it (issue #14, item 1)."""

import re

import pytest

from sop_catalog.models import SOP

pytestmark = pytest.mark.django_db

UNIT = "Seksi Pelayanan dan Rehabilitasi Sosial Anak dan Lanjut Usia"
BIDANG = "Bidang Pelayanan dan Rehabilitasi Sosial"


def org_unit_line(html):
    found = re.search(r'data-testid="org-unit">([^<]*)</div>', html)
    return " ".join(found.group(1).split()) if found else None


@pytest.mark.parametrize("page", ["detail", "version"])
def test_the_public_sop_page_shows_its_unit_and_bidang(catalog, client, page):
    sop = SOP.objects.get(slug="lumajang-lansia-terlantar-griya-lansia", is_current=True)
    assert sop.org_unit.name == UNIT  # the fixture's org_unit, a seksi of a bidang
    url = f"/katalog/{sop.slug}/" if page == "detail" else f"/katalog/{sop.slug}/v{sop.version}/"

    response = client.get(url)  # anonymous: the catalog is public

    assert response.status_code == 200
    assert org_unit_line(response.content.decode()) == f"Unit pelaksana: {UNIT} ({BIDANG})"


def test_the_catalog_list_names_each_sops_unit(catalog, client):
    sop = SOP.objects.get(slug="lumajang-lansia-terlantar-griya-lansia", is_current=True)
    html = client.get("/katalog/", {"instansi": "lumajang"}).content.decode()

    row = re.search(rf'<a href="/katalog/{sop.slug}/">[^<]*</a><br><span class="muted">([^<]*)</span>', html)
    assert row is not None and row.group(1) == UNIT
