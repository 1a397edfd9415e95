"""The whole checklist in one submit: ticks and scans of any number of lines; errors on their line."""

from django.core.files.uploadedfile import SimpleUploadedFile

from cases import formats
from cases.models import Case
from tests.files import BLANK_PDF


def pdf(name):
    return SimpleUploadedFile(name, BLANK_PDF, "application/pdf")


def test_ticks_and_three_scans_are_saved_in_one_submit(petugas_client, draft, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    docs = list(draft.documents.order_by("pk"))
    assert len(docs) >= 4
    data = {f"received-{docs[0].pk}": "on", f"received-{docs[1].pk}": "on"}
    data |= {f"scan-{doc.pk}": pdf(f"{doc.pk}.pdf") for doc in docs[2:5]}

    response = petugas_client.post(f"/permohonan/{draft.pk}/berkas/", data)

    assert response.status_code == 302 and response["Location"].endswith("#berkas")
    received = {doc.pk: (doc.received, bool(doc.file)) for doc in draft.documents.all()}
    assert received[docs[0].pk] == (True, False) and received[docs[1].pk] == (True, False)
    assert all(received[doc.pk] == (True, True) for doc in docs[2:5])


def test_a_refused_scan_is_told_on_its_line_and_drops_nothing_else(petugas_client, draft, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    first, second, third = list(draft.documents.order_by("pk"))[:3]
    fake = SimpleUploadedFile("sktm.pdf", b"MZ" + b"\x00" * 100, "application/pdf")

    response = petugas_client.post(
        f"/permohonan/{draft.pk}/berkas/",
        {f"received-{first.pk}": "on", f"scan-{second.pk}": fake, f"scan-{third.pk}": pdf("c.pdf")},
    )

    page = response.content.decode()
    assert response.status_code == 400
    line = page[page.index(f'name="scan-{second.pk}"') :]
    assert "bukan PDF, JPEG atau PNG" in line[: line.index("</tr>")]
    first.refresh_from_db(), second.refresh_from_db(), third.refresh_from_db()
    assert first.received and not second.file and third.file and third.received


def test_unticking_a_line_is_kept(petugas_client, draft):
    document = draft.documents.first()
    document.received = True
    document.save()

    petugas_client.post(f"/permohonan/{draft.pk}/berkas/", {})

    document.refresh_from_db()
    assert not document.received


def test_save_and_register_gives_the_number(petugas_client, draft):
    data = {f"received-{doc.pk}": "on" for doc in draft.documents.all()}

    response = petugas_client.post(f"/permohonan/{draft.pk}/berkas/", {**data, "then": "register"})

    draft.refresh_from_db()
    assert response.status_code == 302 and draft.state == Case.AT_PETUGAS and draft.number


def test_indonesian_file_sizes():
    assert formats.file_size(30 * 1048576) == "30,0 MB"
    assert formats.file_size(1536) == "1,5 KB"
    assert formats.number(1234567.5, 1) == "1.234.567,5"
