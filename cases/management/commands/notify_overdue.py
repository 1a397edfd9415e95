from django.core.management.base import BaseCommand

from cases import tasks
from cases.notifications import notify_overdue_steps, remind_waiting


class Command(BaseCommand):
    help = (
        "Memberi tahu meja dan atasannya tentang langkah yang terlambat, dan mengingatkan permohonan yang "
        "menunggu pihak luar pada tanggal perkiraan jawabannya (sekali sehari; untuk cron). "
        "Dengan --queue dikerjakan oleh worker tugas (db_worker)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--queue", action="store_true", help="masukkan ke antrean tugas, jangan kerjakan di sini")

    def handle(self, *args, **options):
        if options["queue"]:
            result = tasks.notify_overdue.enqueue()
            self.stdout.write(f"Pemeriksaan langkah terlambat masuk antrean (tugas {result.id}).")
            return
        self.stdout.write(f"Langkah terlambat diberitahukan: {notify_overdue_steps()}")
        self.stdout.write(f"Pengingat pihak luar dikirim: {remind_waiting()}")
