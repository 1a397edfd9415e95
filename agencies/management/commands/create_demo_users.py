from django.core.management.base import BaseCommand

from agencies.services import DEMO_PASSWORD, create_demo_users


class Command(BaseCommand):
    help = "Membuat pengguna demo untuk setiap meja di setiap instansi (aman diulang)."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEMO_PASSWORD)

    def handle(self, *args, password, **options):
        users = create_demo_users(password=password)
        self.stdout.write(f"Pengguna demo: {len(users)} (kata sandi: {password})")
