from django.core.management.base import BaseCommand
from django.utils import timezone

from agencies.desks import SUPERIOR
from cases.models import Case, CaseStep, Notification
from cases.notifications import notify_desk


class Command(BaseCommand):
    help = (
        "Memberi tahu meja dan atasannya tentang langkah yang terlambat, dan mengingatkan permohonan yang "
        "menunggu pihak luar pada tanggal perkiraan jawabannya (sekali sehari; untuk cron)."
    )

    def handle(self, *args, **options):
        now = timezone.now()
        today = timezone.localdate()
        overdue = (
            CaseStep.objects.filter(status=CaseStep.CURRENT, due_at__lt=now, case__state__in=Case.OPEN_STATES)
            .exclude(case__state=Case.WAITING_EXTERNAL)
            .exclude(overdue_notified_on=today)
            .select_related("case__sop", "sop_step")
        )
        count = 0
        for step in overdue:
            notify_desk(step.case, step.desk, kind=Notification.OVERDUE, step=step)
            if SUPERIOR[step.desk] != step.desk:
                notify_desk(step.case, SUPERIOR[step.desk], kind=Notification.OVERDUE, step=step)
            CaseStep.objects.filter(pk=step.pk).update(overdue_notified_on=today)
            count += 1
        self.stdout.write(f"Langkah terlambat diberitahukan: {count}")
        self.stdout.write(f"Pengingat pihak luar dikirim: {remind_waiting(today)}")


def remind_waiting(today):
    """Once, on the expected date of an outside party's answer (or the first sweep after it), the desk
    holding the parked case is reminded; a parked case is never "terlambat"."""
    due = Case.objects.filter(
        state=Case.WAITING_EXTERNAL, waiting_until__lte=today, waiting_reminded_on__isnull=True
    ).select_related("sop", "current_step__sop_step")
    count = 0
    for case in due:
        step = case.current_step
        if step is None:
            continue
        notify_desk(case, step.desk, kind=Notification.REMINDER, step=step, reason=case.waiting_for)
        Case.objects.filter(pk=case.pk).update(waiting_reminded_on=today)
        count += 1
    return count
