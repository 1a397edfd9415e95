from django.core.management.base import BaseCommand

from cases.notifications import send_outbox


class Command(BaseCommand):
    help = "Mengirim ulang e-mail pemberitahuan yang belum terkirim (mis. SMTP mati); untuk cron, tiap 10 menit."

    def add_arguments(self, parser):
        parser.add_argument("--max-attempts", type=int, default=20, help="lewati e-mail yang sudah dicoba sekian kali")

    def handle(self, *args, **options):
        sent, waiting = send_outbox(max_attempts=options["max_attempts"])
        self.stdout.write(f"{sent} e-mail terkirim, {waiting} masih menunggu.")
