import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases import letters, services
from cases.models import Case, Person, PersonAccess
from tests.factories import LetterTemplateFactory
from tests.files import BLANK_PDF


def test_persons_and_cases_are_never_hard_deleted(registered):
    with pytest.raises(ValueError, match="tidak pernah dihapus"):
        registered.delete()
    with pytest.raises(ValueError, match="tidak pernah dihapus"):
        Case.objects.all().delete()
    with pytest.raises(ValueError, match="tidak pernah dihapus"):
        registered.applicant.delete()
    with pytest.raises(ValueError, match="tidak pernah dihapus"):
        Person.objects.filter(pk=registered.applicant_id).delete()
    assert Case.objects.filter(pk=registered.pk).exists()


def test_the_admin_offers_no_delete_for_persons_and_cases(admin_client, registered):
    page = admin_client.get(f"/admin/cases/case/{registered.pk}/change/").content.decode()

    assert f"/admin/cases/case/{registered.pk}/delete/" not in page
    assert admin_client.get(f"/admin/cases/case/{registered.pk}/delete/").status_code == 403
    assert admin_client.get(f"/admin/cases/person/{registered.applicant_id}/delete/").status_code == 403


def test_who_viewed_which_person_is_logged(client, demo_users, registered):
    kasi = demo_users["lumajang-kasi"]
    client.force_login(kasi)

    client.get(f"/orang/{registered.applicant_id}/")
    client.get(f"/permohonan/{registered.pk}/")

    vias = list(PersonAccess.objects.filter(user=kasi, person=registered.applicant).values_list("via", flat=True))
    assert sorted(vias) == sorted(["halaman orang", f"permohonan {registered.number}"])
    assert PersonAccess.objects.filter(user=kasi).first().ip_address == "127.0.0.1"


def test_an_export_logs_every_person_in_it(client, demo_users, registered):
    client.force_login(demo_users["lumajang-kabid"])

    client.get("/laporan/ekspor/permohonan.csv")

    assert PersonAccess.objects.filter(person=registered.applicant, via="ekspor csv").count() == 1


def test_opening_a_scan_is_logged(client, demo_users, registered, settings, tmp_path):

    settings.MEDIA_ROOT = tmp_path
    document = registered.documents.first()
    services.receive_document(
        document=document, user=demo_users["lumajang-petugas"], upload=SimpleUploadedFile("k.pdf", BLANK_PDF)
    )
    kasi = demo_users["lumajang-kasi"]
    client.force_login(kasi)

    response = client.get(f"/permohonan/{registered.pk}/berkas/{document.pk}/pindaian/")

    assert response.status_code == 200
    logged = PersonAccess.objects.filter(user=kasi, person=registered.applicant)
    assert logged.filter(via=f"pindaian {registered.number}").exists()


def test_the_person_list_and_edit_form_log_whom_they_show(client, demo_users, registered):
    petugas = demo_users["lumajang-petugas"]
    client.force_login(petugas)

    client.get(f"/orang/?q={registered.applicant.nik}")
    client.get(f"/orang/{registered.applicant_id}/ubah/")

    vias = set(PersonAccess.objects.filter(user=petugas, person=registered.applicant).values_list("via", flat=True))
    assert vias == {"daftar orang", "ubah data orang"}


def test_a_draft_letter_logs_the_persons_it_prints(client, demo_users, registered):
    LetterTemplateFactory(agency=registered.agency, sop_slug=registered.sop.slug)
    letters.open_drafts(registered)
    draft = registered.letters.get()
    kasi = demo_users["lumajang-kasi"]
    client.force_login(kasi)

    response = client.get(f"/permohonan/{registered.pk}/surat/{draft.pk}/konsep.pdf")

    assert response.status_code == 200
    assert PersonAccess.objects.filter(
        user=kasi, person=registered.beneficiary, via__startswith="konsep surat"
    ).exists()


def test_an_access_row_is_written_once_per_person_and_never_changed(petugas, person, registered):
    services.log_access(user=petugas, persons=[person, None, person, registered.beneficiary], via="uji", ip="10.0.0.1")

    rows = list(PersonAccess.objects.filter(via="uji"))
    assert [row.person_id for row in rows] == [person.pk]  # the SPM's applicant is its beneficiary
    rows[0].via = "diubah"
    with pytest.raises(ValueError, match="tidak dapat diubah"):
        rows[0].save()
    assert PersonAccess.objects.filter(via="diubah").count() == 0
