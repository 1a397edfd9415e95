from django.conf import settings
from django.core.management.base import BaseCommand

from agencies.loading import report
from agencies.services import load_agencies


class Command(BaseCommand):
    help = (
        "Memuat instansi, jabatan dan pejabat dari fixtures/agencies.json: membuat yang belum ada dan "
        "membiarkan yang diubah admin sejak dimuat (aman diulang)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--path", default=str(settings.BASE_DIR / "fixtures" / "agencies.json"))

    def handle(self, *args, path, **options):
        loaders = []
        load_agencies(path=path, report=loaders)
        report(self.stdout, "Instansi", loaders)
