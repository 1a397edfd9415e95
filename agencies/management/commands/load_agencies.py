from django.conf import settings
from django.core.management.base import BaseCommand

from agencies.services import load_agencies


class Command(BaseCommand):
    help = "Memuat instansi, jabatan dan pejabat dari fixtures/agencies.json (aman diulang)."

    def add_arguments(self, parser):
        parser.add_argument("--path", default=str(settings.BASE_DIR / "fixtures" / "agencies.json"))

    def handle(self, *args, path, **options):
        counts = load_agencies(path=path)
        self.stdout.write(
            f"Instansi: {counts['agencies']}, jabatan: {counts['positions']}, pejabat: {counts['officials']}"
        )
