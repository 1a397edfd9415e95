from django.core.management.base import BaseCommand

from cases import intake


class Command(BaseCommand):
    help = "Menutup rekap kecamatan yang tidak selesai dalam 24 jam dan menghapus baris yang menunggu (untuk cron)."

    def handle(self, *args, **options):
        self.stdout.write(f"Rekap ditutup: {intake.close_stale_jobs()}")
