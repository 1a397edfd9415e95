"""What every task of the worker shares: trying again with backoff after a failure.

A task that fails (the database busy, the disk full, a bug fixed meanwhile) is queued again with
`attempt + 1`, after MAIL_RETRY_SECONDS doubling per attempt (capped at MAIL_RETRY_MAX_SECONDS), up
to MAIL_MAX_ATTEMPTS runs: the backoff of an e-mail (cases/tasks.py), for the notices, the overdue
sweep and the PDFs alike. Every task may run twice without a second effect, so a retry is safe.
"""

import datetime
import logging

from django.conf import settings
from django.utils import timezone
from django_tasks import task_backends

log = logging.getLogger(__name__)


def retry_delay(attempts):
    """Seconds to wait after the `attempts`-th failure: doubling from MAIL_RETRY_SECONDS, capped."""
    return min(settings.MAIL_RETRY_SECONDS * 2 ** max(attempts - 1, 0), settings.MAIL_RETRY_MAX_SECONDS)


def can_defer(task_object):
    return task_backends[task_object.backend].supports_defer


def retry_later(task_object, attempt, what, **arguments):
    """Call in the `except` of a failed run (its `attempt`-th): queue `task_object` again with
    `arguments` and attempt + 1 once retry_delay(attempt) has passed, and log the failure. False,
    queuing nothing, after MAIL_MAX_ATTEMPTS runs or where the backend cannot wait (the immediate
    backend of development): the caller then re-raises, and the failure is the task's result."""
    if attempt >= settings.MAIL_MAX_ATTEMPTS or not can_defer(task_object):
        return False
    log.exception("%s gagal (percobaan %s); dicoba lagi", what, attempt)
    run_after = timezone.now() + datetime.timedelta(seconds=retry_delay(attempt))
    task_object.using(run_after=run_after).enqueue(attempt=attempt + 1, **arguments)
    return True
