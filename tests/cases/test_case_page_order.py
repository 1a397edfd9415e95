"""The case page leads with what this user can do now; the draft's preview comes before the sign button."""

from cases.models import Case
from tests.cases.test_letters import spm_case, walk_to_kadis


def test_the_checklist_and_actions_come_before_the_details_and_the_timeline(petugas_client, draft):
    page = petugas_client.get(f"/permohonan/{draft.pk}/").content.decode()

    order = [page.index(marker) for marker in ('id="berkas"', 'id="tindakan"', "<h2>Pemohon</h2>")]
    assert order == sorted(order)


def test_after_registering_the_action_panel_leads(petugas_client, registered):
    page = petugas_client.get(f"/permohonan/{registered.pk}/").content.decode()

    assert page.index('id="tindakan"') < page.index('id="berkas"') < page.index("<h2>Langkah SOP</h2>")


def test_completing_a_step_goes_back_to_the_action_panel(petugas_client, registered):
    response = petugas_client.post(
        f"/permohonan/{registered.pk}/tindakan/selesai/", {"step": registered.current_step_id, "note": "cek"}
    )

    assert response["Location"] == f"/permohonan/{registered.pk}/#tindakan"
    assert Case.objects.get(pk=registered.pk).current_step_id != registered.current_step_id


def test_the_kadis_sees_the_draft_preview_before_the_sign_button(catalog, demo_users, walk, client):
    case = walk_to_kadis(spm_case(demo_users), walk)
    client.force_login(demo_users["lumajang-kadis"])

    page = client.get(f"/permohonan/{case.pk}/").content.decode()

    assert page.index('data-testid="action-letter-draft"') < page.index('data-testid="complete"')
    assert page.index('data-testid="complete"') < page.index("<h2>Langkah SOP</h2>")
