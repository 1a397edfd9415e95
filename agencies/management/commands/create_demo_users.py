from django.core.management.base import BaseCommand

from agencies.loading import report
from agencies.services import DEMO_PASSWORD, create_demo_users


class Command(BaseCommand):
    help = (
        "Membuat pengguna demo untuk setiap meja di setiap instansi; pengguna yang diubah admin sejak "
        "dibuat dibiarkan (aman diulang)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEMO_PASSWORD)

    def handle(self, *args, password, **options):
        loaders = []
        users = create_demo_users(password=password, report=loaders)
        report(self.stdout, "Pengguna demo", loaders)
        self.stdout.write(f"Pengguna demo: {len(users)} (kata sandi: {password}, kecuali yang diubah admin)")
