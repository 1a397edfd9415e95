import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from cases.notifications import send_digests


class Command(BaseCommand):
    help = "Mengirim ringkasan harian pemberitahuan yang belum dibaca kepada yang memilihnya (cron, sekali sehari)."

    def handle(self, *args, **options):
        count = send_digests(since=timezone.now() - datetime.timedelta(days=1))
        self.stdout.write(f"Ringkasan pemberitahuan dikirim: {count}")
