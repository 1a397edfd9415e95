"""`make run` queues again the tasks a killed worker left "running" before it starts its own worker
(db_worker never does: docs/deployment.md)."""

import shutil
import subprocess

import pytest
from django.conf import settings


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_run_requeues_stale_tasks_before_it_starts_the_worker():
    dry_run = subprocess.run(
        ["make", "-n", "run"], cwd=settings.BASE_DIR, capture_output=True, text=True, check=True, timeout=60
    )
    lines = dry_run.stdout.splitlines()
    requeue = [i for i, line in enumerate(lines) if "manage.py requeue_stale_tasks" in line]
    worker = [i for i, line in enumerate(lines) if "manage.py db_worker" in line]

    assert len(requeue) == len(worker) == 1, dry_run.stdout
    assert requeue[0] < worker[0]
