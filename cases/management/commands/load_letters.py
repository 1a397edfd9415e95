from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from agencies.loading import report
from cases.letters import load_templates


class Command(BaseCommand):
    help = (
        "Memuat templat surat dan berita acara dari fixtures/letters.json: membuat yang belum ada dan "
        "membiarkan yang diubah admin sejak dimuat (aman diulang)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--path", default=str(settings.BASE_DIR / "fixtures" / "letters.json"))

    def handle(self, *args, path, **options):
        loaders = []
        try:
            count = load_templates(path=path, report=loaders)
        except ValidationError as exc:
            raise CommandError(f"{path}: {' '.join(exc.messages)} Tidak ada yang disimpan.") from exc
        report(self.stdout, f"Templat surat ({count} di berkas)", loaders)
