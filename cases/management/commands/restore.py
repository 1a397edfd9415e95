import shutil
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cases.models import Case, rebuild_queues
from sop_catalog.signals import one_drop_per_sop


class Command(BaseCommand):
    help = "Memulihkan basis data dan berkas dari arsip buatan `backup`. Data yang ada diganti."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--yes", action="store_true", help="jangan tanya konfirmasi")

    def handle(self, *args, path, yes, **options):
        source = Path(path)
        if not source.is_file():
            raise CommandError(f"Arsip {source} tidak ditemukan.")
        try:
            archive = tarfile.open(source, "r:gz")
        except (tarfile.TarError, OSError) as exc:
            raise CommandError(f"{source} bukan arsip cadangan SOP Portal ({exc}).") from exc
        with archive, tempfile.TemporaryDirectory() as folder:
            names = archive.getnames()
            if "db.json" not in names:
                raise CommandError(f"{source} tidak berisi db.json: bukan arsip cadangan SOP Portal.")
            if not yes:
                answer = input(
                    "Semua data di basis data ini dan berkas di MEDIA_ROOT akan DIGANTI isi arsip. Ketik YA: "
                )
                if answer.strip() != "YA":
                    raise CommandError("Dibatalkan; tidak ada yang diubah.")
            archive.extractall(folder, filter="data")
            self.stdout.write("Mengosongkan basis data …")
            with transaction.atomic():
                call_command("flush", interactive=False, verbosity=0)
                self.stdout.write("Memuat data …")
                # Each SOP's cached PDF dropped once at the end, not once per row of its parts.
                with one_drop_per_sop():
                    call_command("loaddata", str(Path(folder) / "db.json"), verbosity=0)
                # loaddata does not go through Case.save(): an archive made before the inbox
                # queue columns existed would otherwise leave every inbox empty.
                rebuild_queues()
            media = Path(settings.MEDIA_ROOT)
            restored = Path(folder) / "media"
            if media.exists():
                shutil.rmtree(media)
            if restored.exists():
                shutil.copytree(restored, media)
            count = sum(1 for p in media.rglob("*") if p.is_file()) if media.exists() else 0
            keys, restored_keys = Path(settings.SIGNING_KEYS_DIR), Path(folder) / "keys"
            if restored_keys.exists():  # an archive without keys (older) leaves the keys folder alone
                if keys.exists():
                    shutil.rmtree(keys)
                shutil.copytree(restored_keys, keys)
                keys.chmod(0o700)
        self.stdout.write(f"Pemulihan selesai: {Case.objects.count()} permohonan, {count} berkas.")
