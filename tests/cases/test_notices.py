"""Notices that mean something: per event, with number and service, never to the actor; reasons on the inbox row;
waiting for an outside party with an expected date, a reminder and a recorded answer."""

import datetime
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from cases import workflow
from cases.models import AuditEntry, Case, Notification
from cases.notifications import notice_text, shorten
from tests.conftest import give_all_documents
from tests.files import BLANK_PDF


def to_kasi(registered, walk, petugas):
    give_all_documents(registered, petugas)
    return walk(walk(registered), branch="Ya")


def test_registering_does_not_notify_the_one_who_registered(registered, petugas):
    assert not Notification.objects.filter(user=petugas).exists()


def test_a_return_for_revision_tells_why_and_who_on_the_notice_and_the_inbox_row(
    registered, walk, petugas, demo_users, client
):
    case = to_kasi(registered, walk, petugas)
    kasi = demo_users["lumajang-kasi"]
    workflow.return_for_revision(
        case=case, user=kasi, step_id=case.current_step_id, note="Foto KTP buram, minta pindai ulang"
    )

    notice = Notification.objects.filter(user=petugas, kind=Notification.RETURNED).get()
    assert notice.message.startswith(f"{case.number} · {case.sop.name}"[:40])
    assert "dikembalikan untuk revisi oleh" in notice.message and kasi.display_name in notice.message
    assert "Foto KTP buram, minta pindai ulang" in notice.message
    assert not Notification.objects.filter(user=kasi, kind=Notification.RETURNED).exists()  # not to the actor

    client.force_login(petugas)
    inbox = client.get("/kotak-masuk/").content.decode()
    row = inbox[inbox.index(case.number) :]
    row = row[: row.index("</tr>")]
    assert f"Dikembalikan oleh {kasi.display_name}" in row and "Foto KTP buram, minta pindai ulang" in row


def test_each_event_has_its_own_wording(registered, walk, petugas, demo_users):
    case = to_kasi(registered, walk, petugas)
    arrived = Notification.objects.filter(user=demo_users["lumajang-kasi"], case=case).get()
    assert arrived.kind == Notification.ARRIVED and "masuk ke meja Anda" in arrived.message
    assert case.number in arrived.message and case.sop.name[:30] in arrived.message


def test_long_texts_are_cut_at_a_word_with_an_ellipsis():
    text = "Permohonan keringanan biaya rawat inap di rumah sakit umum daerah dokter Haryoto"
    short = shorten(text, 40)
    assert short.endswith("…") and len(short) <= 40
    assert text.startswith(short[:-1]) and text[len(short) - 1] == " "


def test_notices_are_grouped_per_case(registered, walk, petugas, demo_users, client):
    case = to_kasi(registered, walk, petugas)
    kasi = demo_users["lumajang-kasi"]
    workflow.return_for_revision(case=case, user=kasi, step_id=case.current_step_id, note="lengkapi")
    walk(Case.objects.get(pk=case.pk), branch="Ya")  # the petugas sends it back up
    assert Notification.objects.filter(user=kasi, case=case).count() == 2

    client.force_login(kasi)
    page = client.get("/pemberitahuan/").content.decode()

    assert page.count('data-testid="notice-group"') == 1 and "1 pemberitahuan sebelumnya" in page


def park(case, user, until):
    return workflow.wait_external(
        case=case, user=user, step_id=case.current_step_id, waiting_for="Jawaban BPJS", until=until
    )


def test_a_parked_case_has_its_own_tab_is_never_late_and_is_reminded_on_its_date(
    registered, petugas, petugas_client, capsys
):
    today = timezone.localdate()
    case = park(registered, petugas, today + datetime.timedelta(days=3))
    Case.objects.filter(pk=case.pk).update()
    case.current_step.due_at = timezone.now() - datetime.timedelta(days=1)
    case.current_step.save()

    inbox = petugas_client.get("/kotak-masuk/").content.decode()
    parked = petugas_client.get("/kotak-masuk/?tab=pihak-luar").content.decode()
    page = petugas_client.get(f"/permohonan/{case.pk}/").content.decode()
    assert case.number not in inbox and case.number in parked and "Jawaban BPJS" in parked
    assert "terlambat" not in parked[parked.index('data-testid="inbox"') :]
    assert 'class="badge late"' not in page

    call_command("notify_overdue")
    assert not Notification.objects.filter(kind=Notification.REMINDER).exists()  # not yet its date
    Case.objects.filter(pk=case.pk).update(waiting_until=today)
    call_command("notify_overdue")
    call_command("notify_overdue")
    reminders = Notification.objects.filter(kind=Notification.REMINDER, case=case)
    assert reminders.filter(user=petugas).count() == 1 and "Jawaban BPJS" in reminders.first().message
    assert "Pengingat pihak luar dikirim: 1" in capsys.readouterr().out


def test_parking_needs_an_expected_date(registered, petugas_client):
    response = petugas_client.post(
        f"/permohonan/{registered.pk}/tindakan/tunggu/",
        {"step": registered.current_step_id, "text": "Jawaban BPJS"},
        follow=True,
    )
    assert "Isi perkiraan tanggal jawaban" in response.content.decode()
    assert Case.objects.get(pk=registered.pk).state != Case.WAITING_EXTERNAL


def test_lanjutkan_records_the_answer_and_its_scan(registered, petugas, petugas_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = park(registered, petugas, timezone.localdate())

    response = petugas_client.post(
        f"/permohonan/{case.pk}/tindakan/lanjutkan/",
        {
            "step": case.current_step_id,
            "text": "BPJS aktif mulai 1 Desember",
            "scan": SimpleUploadedFile("j.pdf", BLANK_PDF, "application/pdf"),
        },
    )

    case.refresh_from_db()
    assert response.status_code == 302 and case.state != Case.WAITING_EXTERNAL and case.waiting_until is None
    entry = AuditEntry.objects.filter(case=case, action="resume").get()
    assert entry.note == "Jawaban pihak luar (Jawaban BPJS): BPJS aktif mulai 1 Desember"
    scan = case.documents.get(name__startswith="Jawaban pihak luar")
    assert scan.file and not scan.required and "BPJS aktif" in scan.name


def test_a_user_who_chose_the_digest_gets_one_daily_mail_instead_of_one_per_notice(
    registered, walk, petugas, demo_users, client, django_capture_on_commit_callbacks, capsys
):
    kasi = demo_users["lumajang-kasi"]
    kasi.email = "kasi@dinsos.example"
    kasi.save()
    client.force_login(kasi)
    assert client.post("/pemberitahuan/ringkasan/", {"digest": "on"}).status_code == 302
    kasi.refresh_from_db()
    assert kasi.notice_digest

    with django_capture_on_commit_callbacks(execute=True):
        case = to_kasi(registered, walk, petugas)
    assert not [m for m in mail.outbox if "kasi@dinsos.example" in m.to]  # no mail per notice

    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_notice_digest")
    digest = [m for m in mail.outbox if m.to == ["kasi@dinsos.example"]]
    assert len(digest) == 1 and case.number in digest[0].body and "Ringkasan pemberitahuan: 1" in digest[0].subject
    assert "Ringkasan pemberitahuan dikirim: 1" in capsys.readouterr().out


WORDING = {
    Notification.ARRIVED: lambda who, step: (
        f"masuk ke meja Anda (langkah {step.label} di meja {step.desk_label}) dari {who}."
    ),
    Notification.RETURNED: lambda who, step: f"dikembalikan untuk revisi oleh {who}: “Foto KTP buram”",
    Notification.DISPOSISI: lambda who, step: f"disposisi dari {who}: “Untuk diproses — cek ke lapangan”",
    Notification.SIGNED: lambda who, step: (
        f"surat sudah ditandatangani {who}; lanjutkan langkah {step.label} di meja {step.desk_label}."
    ),
    Notification.OVERDUE: lambda who, step: (
        f"terlambat: langkah {step.label} di meja {step.desk_label}, batas 3 Desember 2026 14.05."
    ),
    Notification.REMINDER: lambda who, step: "hari ini perkiraan jawaban pihak luar: “Jawaban BPJS”",
    Notification.TAKEN_BACK: lambda who, step: f"ditarik kembali oleh {who} sebelum diproses di meja Anda.",
}
REASONS = {
    Notification.RETURNED: "Foto KTP buram",
    Notification.DISPOSISI: "Untuk diproses — cek ke lapangan",
    Notification.REMINDER: "Jawaban BPJS",
}


def test_every_kind_of_notice_has_its_wording_tested():
    assert set(WORDING) == {kind for kind, _ in Notification.KIND_CHOICES}


@pytest.mark.parametrize("kind", list(WORDING))
def test_a_notice_is_worded_for_its_event_with_the_case_number_and_service(kind, registered, demo_users):
    step = registered.current_step
    step.due_at = datetime.datetime(2026, 12, 3, 7, 5, tzinfo=datetime.UTC)  # 14.05 in Lumajang (WIB)
    kabid = demo_users["lumajang-kabid"]

    text = notice_text(kind, registered, step=step, actor=kabid, reason=REASONS.get(kind, ""))

    assert text == f"{registered.number} · {registered.sop.name} — " + WORDING[kind](kabid.display_name, step)


def test_a_disposisi_on_the_inbox_row_says_who_sent_it_and_the_instruction(registered, demo_users, petugas_client):
    kabid = demo_users["lumajang-kabid"]
    step = registered.current_step
    step.arrived_by, step.arrival_kind = kabid, Notification.DISPOSISI
    step.arrival_note = "Untuk diproses — cek ke lapangan"
    step.save()

    inbox = petugas_client.get("/kotak-masuk/").content.decode()

    row = inbox[inbox.index(registered.number) :]
    row = row[: row.index("</tr>")]
    arrival = row[row.index('data-testid="arrival"') :]
    assert arrival[arrival.index(">") + 1 : arrival.index("</div>")] == (
        f"Disposisi dari {kabid.display_name}: Untuk diproses — cek ke lapangan"
    )


def test_the_inbox_the_case_page_and_the_notices_write_a_time_one_way(registered, petugas_client, petugas):
    step = registered.current_step
    step.due_at = datetime.datetime(2026, 12, 3, 7, 5, tzinfo=datetime.UTC)  # 14.05 WIB
    step.save()
    written = "3 Desember 2026 14.05"

    inbox = petugas_client.get("/kotak-masuk/").content.decode()
    page = petugas_client.get(f"/permohonan/{registered.pk}/").content.decode()
    panel = page[page.index('id="tindakan"') :]
    timeline = page[page.index('class="timeline"') :]

    assert f"batas {written}" in panel[: panel.index("</section>")]  # the action panel
    assert f"batas {written}" in timeline[: timeline.index("</ol>")]  # the SOP timeline
    assert written in inbox[inbox.index('data-label="Batas waktu"') :]
    assert f"batas {written}." in notice_text(Notification.OVERDUE, registered, step=step)


def test_every_cell_of_an_inbox_row_is_labelled_for_the_phone_card(registered, petugas_client):
    inbox = petugas_client.get("/kotak-masuk/").content.decode()
    head = inbox[inbox.index('data-testid="inbox"') :]
    head = head[head.index("<thead>") : head.index("</thead>")]
    row = inbox[inbox.index('data-testid="inbox-row"') :]
    row = row[: row.index("</tr>")]
    headers = re.findall(r"<th>(.*?)</th>", head)
    cells = re.findall(r"<td( data-label=\"([^\"]*)\")?", row)

    assert len(headers) == 7 and len(cells) == len(headers)
    assert [label for _, label in cells] == headers  # each cell labelled, with its column's header
