"""A notice that cannot be sent never turns a saved transition into a 500."""

import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command

from agencies.models import User
from cases.models import CaseStep, OutgoingMail
from sop_catalog.models import Step
from tests.conftest import give_all_documents


class DownBackend(BaseEmailBackend):
    """The SMTP server is down."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


@pytest.fixture
def mailboxes(registered):
    User.objects.filter(agency_id=registered.agency_id).update(email="meja@dinsos.example.go.id")


@pytest.fixture
def at_last_petugas_step(registered, walk, demo_users):
    """The case at its second step, whose completion sends it to the Kasi desk (with an e-mail)."""
    give_all_documents(registered, demo_users["lumajang-petugas"])
    return walk(registered)


def complete_petugas_step(client, demo_users, case):
    client.force_login(demo_users["lumajang-petugas"])
    case.refresh_from_db()
    return client.post(f"/permohonan/{case.pk}/tindakan/selesai/", {"step": case.current_step_id, "branch": "Ya"})


def test_a_line_break_in_the_next_activity_is_not_a_500(
    transactional_db, client, demo_users, at_last_petugas_step, mailboxes
):
    Step.objects.filter(flow__sop=at_last_petugas_step.sop).update(activity="Periksa\nberkas dan\r\nwawancara pemohon")

    response = complete_petugas_step(client, demo_users, at_last_petugas_step)

    assert response.status_code == 302
    assert CaseStep.objects.get(case=at_last_petugas_step, position=2).status == CaseStep.DONE
    assert len(mail.outbox) >= 1
    assert all("\n" not in message.subject and "\r" not in message.subject for message in mail.outbox)


def test_smtp_down_keeps_the_transition_and_the_mail_for_a_retry(
    transactional_db, client, demo_users, at_last_petugas_step, mailboxes, settings
):
    settings.EMAIL_BACKEND = "tests.hostile.test_side_effects.DownBackend"

    response = complete_petugas_step(client, demo_users, at_last_petugas_step)

    assert response.status_code == 302
    assert CaseStep.objects.get(case=at_last_petugas_step, position=2).status == CaseStep.DONE
    kept = OutgoingMail.objects.get()
    assert kept.sent_at is None and kept.attempts == 1 and "SMTPServerDisconnected" in kept.last_error


def test_the_outbox_command_sends_a_kept_mail_once_smtp_is_back(
    transactional_db, client, demo_users, at_last_petugas_step, mailboxes, settings
):
    settings.EMAIL_BACKEND = "tests.hostile.test_side_effects.DownBackend"
    complete_petugas_step(client, demo_users, at_last_petugas_step)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    call_command("send_mail_outbox")

    kept = OutgoingMail.objects.get()
    assert kept.sent_at is not None and kept.attempts == 2
    assert [message.subject for message in mail.outbox] == [kept.subject]
