from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from cases.letters import load_templates


class Command(BaseCommand):
    help = "Memuat templat surat dan berita acara dari fixtures/letters.json (aman diulang)."

    def add_arguments(self, parser):
        parser.add_argument("--path", default=str(settings.BASE_DIR / "fixtures" / "letters.json"))

    def handle(self, *args, path, **options):
        try:
            count = load_templates(path=path)
        except ValidationError as exc:
            raise CommandError(f"{path}: {' '.join(exc.messages)} Tidak ada yang disimpan.") from exc
        self.stdout.write(f"Templat surat: {count}")
