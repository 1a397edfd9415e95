import json

from django.core.management.base import BaseCommand, CommandError

from sop_catalog.services import SOPFormatError, import_sops


def read_json(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError as exc:
        raise CommandError(f"Berkas {path} tidak ditemukan.") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CommandError(f"{path}: bukan JSON yang sah ({exc}).") from exc


def report(counts):
    return (
        f"baru {counts['created']}, diperbarui {counts['updated']}, "
        f"versi baru {counts['new_version']}, tidak berubah {counts['unchanged']}"
    )


class Command(BaseCommand):
    help = "Mengimpor SOP dari berkas JSON; semua atau tidak sama sekali."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path, **options):
        data = read_json(path)
        try:
            counts = import_sops(data)
        except SOPFormatError as exc:
            raise CommandError(f"{path}: {exc} Tidak ada yang disimpan.") from exc
        self.stdout.write(f"{path}: {report(counts)}")
