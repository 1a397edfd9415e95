import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from agencies.models import Agency
from registers.importing import ImportRefused, stream_import
from registers.models import Period, Register


class Command(BaseCommand):
    help = (
        "Mengimpor ekstrak register besar (CSV atau XLSX) ke satu periode, semua atau tidak sama sekali, "
        "dengan memori terbatas. Contoh: import_register lumajang dtks 'Triwulan III 2026' dtks.csv --current"
    )

    def add_arguments(self, parser):
        parser.add_argument("agency", help="slug instansi, mis. lumajang")
        parser.add_argument("register", help="kode register, mis. dtks, pbi-pusat, pbi-daerah")
        parser.add_argument("period", help="label periode; dibuat bila belum ada, harus belum berisi baris")
        parser.add_argument("path")
        parser.add_argument("--current", action="store_true", help="jadikan periode ini yang berlaku setelah impor")
        parser.add_argument("--batch", type=int, default=5000)

    def handle(self, *args, agency, register, period, path, current, batch, **options):
        try:
            register_obj = Register.objects.get(agency__slug=agency, code=register)
        except Register.DoesNotExist as exc:
            known = ", ".join(Register.objects.filter(agency__slug=agency).values_list("code", flat=True)) or "-"
            if not Agency.objects.filter(slug=agency).exists():
                raise CommandError(f"Instansi {agency} tidak ada.") from exc
            raise CommandError(f"Register {register} tidak ada di {agency} (yang ada: {known}).") from exc
        target, _ = Period.objects.get_or_create(register=register_obj, label=period)
        if target.entries.exists():
            raise CommandError(f"{target} sudah berisi {target.entries.count()} baris; buat periode baru.")
        started = time.monotonic()

        def progress(stage, done):
            self.stdout.write(f"  {stage}: {done} baris ({time.monotonic() - started:.0f} detik)")

        self.stdout.write(f"Memeriksa dan mengimpor {path} ke {target} …")
        try:
            count = stream_import(period=target, path=Path(path), batch=batch, progress=progress)
        except (ImportRefused, OSError) as exc:
            raise CommandError(f"{exc}") from exc
        if current:
            with transaction.atomic():
                Period.objects.filter(register=register_obj, is_current=True).update(is_current=False)
                Period.objects.filter(pk=target.pk).update(is_current=True)
        self.stdout.write(f"Selesai: {count} baris dalam {time.monotonic() - started:.1f} detik.")
