import json
import sys

from django.core.management.base import BaseCommand

from sop_catalog.services import export_sops


def dump(data):
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


class Command(BaseCommand):
    help = "Mengekspor SOP (versi terkini) sebagai JSON lengkap (docs/sop-format.md)."

    def add_arguments(self, parser):
        parser.add_argument("--agency", help="kode URL instansi, misalnya lumajang")
        parser.add_argument("--output", help="berkas tujuan; tanpa ini ke layar")

    def handle(self, *args, agency=None, output=None, **options):
        data = export_sops(agency_slug=agency)
        text = dump(data)
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
            self.stderr.write(f"{len(data)} SOP ditulis ke {output}")
        else:
            sys.stdout.write(text)
