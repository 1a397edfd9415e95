import hashlib
import io
import json
import shutil
import tarfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from agencies.models import Agency, User
from cases import pki, selectors, services
from cases.models import Case, CaseDocument, IssuedDocument, Person
from sop_catalog.models import SOP
from tests.cases.test_letters import spm_case, walk_to_kadis
from tests.files import blank_pdf


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_bring_back_the_database_and_the_files(demo_users, walk, settings, tmp_path, capsys):

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SIGNING_KEYS_DIR = tmp_path / "keys"
    solok = Agency.objects.get(slug="solok")
    pki.setup(solok)
    ca = pki.ca_certificate_pem(solok)
    case = spm_case(demo_users)
    scan = case.documents.first()
    services.receive_document(
        document=scan, user=demo_users["lumajang-petugas"], upload=SimpleUploadedFile("k.pdf", blank_pdf(b"asli"))
    )
    case = walk(walk_to_kadis(case, walk))
    letter = IssuedDocument.objects.get(case=case, status=IssuedDocument.ISSUED)
    before = {
        "cases": Case.objects.count(),
        "persons": Person.objects.count(),
        "users": User.objects.count(),
        "sops": SOP.objects.count(),
        "state": case.state,
        "number": case.number,
    }
    archive = tmp_path / "cadangan.tar.gz"

    call_command("backup", "--output", str(archive))
    Case.objects.all().update(purpose="rusak")  # the accident the backup is for
    (tmp_path / "media").joinpath(letter.pdf.name).write_bytes(b"rusak")
    shutil.rmtree(tmp_path / "keys")
    call_command("restore", str(archive), "--yes")

    restored = Case.objects.get(number=before["number"])
    assert {
        "cases": Case.objects.count(),
        "persons": Person.objects.count(),
        "users": User.objects.count(),
        "sops": SOP.objects.count(),
        "state": restored.state,
        "number": restored.number,
    } == before
    assert restored.purpose == "Keringanan biaya rawat inap"
    document = IssuedDocument.objects.get(number=letter.number)
    assert hashlib.sha256(document.pdf.read()).hexdigest() == letter.sha256
    assert CaseDocument.objects.get(pk=scan.pk).file.read() == blank_pdf(b"asli")
    assert User.objects.get(username="lumajang-kadis").check_password("demo-sop-2026")
    out = capsys.readouterr().out
    assert "Cadangan selesai" in out and "Pemulihan selesai: 1 permohonan" in out
    # The signing keys come back; in the archive the private keys are only encrypted PKCS#12.
    assert pki.ca_certificate_pem(solok) == ca and pki.active_for(solok, kind=pki.SEAL) is not None
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        p12 = tar.extractfile("keys/solok/ca.p12").read()
    assert "keys/solok/index.json" in names and "keys/solok/crl.pem" in names
    assert b"PRIVATE KEY" not in p12 and settings.SIGNING_KEY_PASSPHRASE.encode() not in p12


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path, db):
    bogus = tmp_path / "bukan.tar.gz"
    bogus.write_bytes(b"bukan arsip")

    with pytest.raises(CommandError, match="bukan arsip cadangan"):
        call_command("restore", str(bogus), "--yes")


def test_restore_asks_before_replacing_everything(tmp_path, db, monkeypatch, registered):
    archive = tmp_path / "c.tar.gz"
    call_command("backup", "--output", str(archive))
    monkeypatch.setattr("builtins.input", lambda prompt: "tidak")

    with pytest.raises(CommandError, match="Dibatalkan"):
        call_command("restore", str(archive))

    assert Case.objects.filter(pk=registered.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_an_archive_from_before_the_queue_columns_restores_with_full_inboxes(tmp_path, settings, registered, petugas):

    settings.MEDIA_ROOT = tmp_path / "media"
    archive = tmp_path / "c.tar.gz"
    call_command("backup", "--output", str(archive))
    # The same archive as a version without Case.queue_* would have written it.
    old = tmp_path / "lama.tar.gz"
    with tarfile.open(archive, "r:gz") as source, tarfile.open(old, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read() if member.isfile() else None
            if member.name == "db.json":
                rows = json.loads(data)
                for row in rows:
                    if row["model"] == "cases.case":
                        for field in ("queue_desk", "queue_rank", "queue_since"):
                            row["fields"].pop(field)
                data = json.dumps(rows).encode()
                member.size = len(data)
            target.addfile(member, io.BytesIO(data) if data is not None else None)

    call_command("restore", str(old), "--yes")

    assert [case.pk for case in selectors.inbox(user=petugas)] == [registered.pk]
