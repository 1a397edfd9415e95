from django.core.management.base import BaseCommand
from django.utils import timezone

from agencies.desks import SUPERIOR
from cases.models import Case, CaseStep
from cases.notifications import notify_desk


class Command(BaseCommand):
    help = "Memberi tahu meja dan atasannya tentang langkah yang terlambat (sekali sehari; untuk cron)."

    def handle(self, *args, **options):
        now = timezone.now()
        today = timezone.localdate()
        overdue = (
            CaseStep.objects.filter(status=CaseStep.CURRENT, due_at__lt=now, case__state__in=Case.OPEN_STATES)
            .exclude(case__state=Case.WAITING_EXTERNAL)
            .exclude(overdue_notified_on=today)
            .select_related("case", "sop_step")
        )
        count = 0
        for step in overdue:
            message = (
                f"Terlambat: permohonan {step.case.number}, langkah {step.label} "
                f"(batas {timezone.localtime(step.due_at):%d-%m-%Y %H.%M}) di meja {step.desk_label}."
            )
            notify_desk(step.case, step.desk, message)
            if SUPERIOR[step.desk] != step.desk:
                notify_desk(step.case, SUPERIOR[step.desk], message)
            CaseStep.objects.filter(pk=step.pk).update(overdue_notified_on=today)
            count += 1
        self.stdout.write(f"Langkah terlambat diberitahukan: {count}")
