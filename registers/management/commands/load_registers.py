import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from agencies.loading import report
from registers.services import RegisterDataError, load_register_data


class Command(BaseCommand):
    help = (
        "Membuat register baku (DTKS/DTSEN, PBI) untuk setiap instansi dan menandai langkah SOP yang "
        "memadankan data (fixtures/register_checks.json; aman diulang: tanda yang diubah admin dibiarkan; "
        "jalankan setelah load_sops)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(settings.BASE_DIR / "fixtures" / "register_checks.json"))

    def handle(self, *args, file, **options):
        loaders = []
        try:
            data = json.loads(Path(file).read_text(encoding="utf-8"))
            counts = load_register_data(data, report=loaders)
        except (OSError, ValueError, RegisterDataError) as exc:
            raise CommandError(f"{file}: {exc} Tidak ada yang disimpan.") from exc
        self.stdout.write(
            f"Register baru: {counts['registers']}; "
            f"tanda padanan: {counts['checks']} pada {counts['steps']} langkah SOP."
        )
        report(self.stdout, "Register", loaders)
