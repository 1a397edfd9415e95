"""The confirmation of an irreversible decision belongs to its branch: choosing "Layak" asks nothing."""

import html
import json
import re

from cases import services
from cases.models import Case
from sop_catalog.models import SOP
from tests.conftest import give_all_documents
from tests.factories import PersonFactory


def test_only_the_rejecting_branch_asks_for_a_confirmation(catalog, demo_users, walk, client):
    petugas = demo_users["lumajang-petugas"]
    person = PersonFactory()
    sop = SOP.objects.get(slug="lumajang-izin-operasional-lksa", is_current=True)
    case = services.open_case(
        user=petugas, sop=sop, applicant=person, beneficiary=person, channel="datang", purpose="Izin LKSA"
    )
    give_all_documents(case, petugas)
    case = services.register_case(case=case, user=petugas)
    while Case.objects.get(pk=case.pk).current_step.sop_step.no != 5:
        case = walk(case, disposition={"instructions": ["Untuk diproses"]})
    case = Case.objects.get(pk=case.pk)
    client.force_login(demo_users[f"lumajang-{case.current_step.desk}"])

    page = client.get(f"/permohonan/{case.pk}/").content.decode()

    questions = json.loads(html.unescape(re.search(r'data-confirm-branches="([^"]*)"', page).group(1)))
    assert list(questions) == ["Tidak Layak"] and questions["Tidak Layak"].startswith("Tolak (tidak layak)")
    assert "data-confirm-button" not in page[page.index('data-testid="complete-form"') :].split("</form>")[0]
