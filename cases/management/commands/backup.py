import io
import json
import tarfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

# Rebuilt by migrate, or not worth keeping: left out of the dump.
EXCLUDED = ["contenttypes", "auth.permission", "sessions", "axes", "admin.logentry"]


class Command(BaseCommand):
    help = "Mencadangkan basis data dan berkas (pindaian, surat) ke satu arsip .tar.gz."

    def add_arguments(self, parser):
        parser.add_argument("--output", help="berkas tujuan; bawaan var/backup/sop-portal-<waktu>.tar.gz")

    def handle(self, *args, output=None, **options):
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        path = Path(output or settings.BASE_DIR / "var" / "backup" / f"sop-portal-{stamp}.tar.gz")
        path.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        self.stdout.write("Mengekspor basis data …")
        dump = io.StringIO()
        call_command(
            "dumpdata",
            exclude=EXCLUDED,
            natural_foreign=True,
            natural_primary=True,
            indent=None,
            stdout=dump,
        )
        data = dump.getvalue().encode("utf-8")
        media = Path(settings.MEDIA_ROOT)
        files = [p for p in media.rglob("*") if p.is_file()] if media.exists() else []
        self.stdout.write(f"Menulis arsip: {len(json.loads(data))} baris data, {len(files)} berkas …")
        with tarfile.open(path, "w:gz") as archive:
            info = tarfile.TarInfo("db.json")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
            for file in files:
                archive.add(file, arcname=f"media/{file.relative_to(media)}")
            # The signing keys: PKCS#12 files encrypted with SIGNING_KEY_PASSPHRASE, which is never
            # in the archive; certificates, CRLs and the index are public.
            keys = Path(settings.SIGNING_KEYS_DIR)
            for file in sorted(keys.rglob("*")) if keys.exists() else []:
                if file.is_file() and not file.name.startswith(".tmp-"):
                    archive.add(file, arcname=f"keys/{file.relative_to(keys)}")
        self.stdout.write(
            f"Cadangan selesai: {path} ({path.stat().st_size / 1024:.0f} KB, {time.monotonic() - started:.1f} s)"
        )
