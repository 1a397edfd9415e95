from django.core.management.base import BaseCommand

from cases.tasks import requeue_stale


class Command(BaseCommand):
    help = (
        "Mengembalikan ke antrean tugas yang masih 'berjalan' lebih lama dari TASK_STALE_MINUTES: worker-nya "
        "mati di tengah jalan (kill, mesin mati). Untuk cron atau ExecStartPre worker."
    )

    def add_arguments(self, parser):
        parser.add_argument("--minutes", type=int, default=None, help="anggap macet setelah sekian menit")

    def handle(self, *args, **options):
        count = requeue_stale(minutes=options["minutes"])
        self.stdout.write(f"Tugas dikembalikan ke antrean: {count}")
