from django.conf import settings
from django.core.management.base import BaseCommand

from cases import tasks
from cases.notifications import send_outbox


class Command(BaseCommand):
    help = (
        "Mengirim ulang e-mail pemberitahuan yang belum terkirim dan sudah waktunya dicoba lagi (mis. SMTP "
        "atau worker mati); untuk cron, tiap 10 menit. Dengan --queue dikirim oleh worker tugas."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--max-attempts",
            type=int,
            default=settings.MAIL_MAX_ATTEMPTS,
            help="lewati e-mail yang sudah dicoba sekian kali",
        )
        parser.add_argument("--queue", action="store_true", help="masukkan ke antrean tugas, jangan kirim di sini")

    def handle(self, *args, **options):
        if options["queue"]:
            result = tasks.sweep_outbox.enqueue()
            self.stdout.write(f"Pengiriman ulang masuk antrean (tugas {result.id}).")
            return
        sent, waiting = send_outbox(max_attempts=options["max_attempts"])
        self.stdout.write(f"{sent} e-mail terkirim, {waiting} masih menunggu.")
