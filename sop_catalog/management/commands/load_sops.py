from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sop_catalog.management.commands.import_sops import read_json
from sop_catalog.services import SOPFormatError, load_fixture_sops


class Command(BaseCommand):
    help = (
        "Memuat semua SOP di fixtures/sops/*.json: membuat yang belum ada dan membiarkan SOP yang diubah "
        "admin sejak dimuat (aman diulang)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dir", default=str(settings.BASE_DIR / "fixtures" / "sops"))

    def handle(self, *args, dir, **options):
        paths = sorted(Path(dir).glob("*.json"))
        if not paths:
            raise CommandError(f"Tidak ada berkas SOP di {dir}.")
        data = []
        for path in paths:
            items = read_json(path)
            if not isinstance(items, list):
                raise CommandError(f"{path}: harus berisi daftar (array) JSON.")
            data.extend(items)
        self.stdout.write(f"Memuat {len(data)} SOP dari {len(paths)} berkas …")
        loaders = []
        try:
            counts = load_fixture_sops(data, report=loaders)
        except SOPFormatError as exc:
            raise CommandError(f"{exc} Tidak ada yang disimpan.") from exc
        self.stdout.write(
            f"SOP: baru {counts['created']}, diperbarui {counts['updated']}, versi baru {counts['new_version']}, "
            f"tidak berubah {counts['unchanged']}, dilewati {counts['skipped']}"
        )
        for line in loaders[0].skipped_lines():
            self.stdout.write(line)
