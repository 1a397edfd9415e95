"""A task worker killed (kill -9) while it sends an e-mail loses nothing, and the e-mail goes once."""

import asyncio
import email
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests import nodes


class HangingThenAcceptingHandler:
    """The mail server hangs on the first message (the worker is killed meanwhile), then accepts."""

    def __init__(self):
        self.hanging = threading.Event()
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        if not self.hanging.is_set():
            self.hanging.set()
            await asyncio.sleep(60)
            return "451 4.3.0 terlambat"
        self.received.append(email.message_from_bytes(envelope.content)["Message-ID"])
        return "250 OK"


@pytest.fixture
def database_url():
    with nodes.fresh_postgres("worker") as url:
        yield url


@pytest.fixture
def node_env(database_url):
    folder = Path(tempfile.mkdtemp(prefix="sop-worker-killed-"))
    env = nodes.node_env(folder, database_url)
    (folder / "cache").mkdir()
    nodes.run_step(env, "setup")
    yield env
    shutil.rmtree(folder, ignore_errors=True)


def manage(env, *args, timeout=120):
    return subprocess.run(
        [nodes.PYTHON, "manage.py", *args], cwd=nodes.ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.postgres
def test_a_worker_killed_mid_send_loses_no_notice_and_sends_it_once(node_env):
    handler = HangingThenAcceptingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=nodes.free_port())
    controller.start()
    env = {
        **node_env,
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "DJANGO_EMAIL_HOST": "127.0.0.1",
        "DJANGO_EMAIL_PORT": str(controller.port),
        "DJANGO_EMAIL_TIMEOUT": "30",
        "MAIL_CLAIM_SECONDS": "2",
    }
    try:
        mail_id = nodes.run_step(env, "mail")
        worker = subprocess.Popen(
            [nodes.PYTHON, "manage.py", "db_worker", "--no-reload", "--interval", "0.2", "--no-startup-delay"],
            cwd=nodes.ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert handler.hanging.wait(timeout=60), "the worker never reached the mail server"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        message_id, state, _attempts = nodes.run_step(env, "mail_state", mail_id).split()
        assert state == "unsent"

        time.sleep(2.2)  # the killed worker's hold on the e-mail (MAIL_CLAIM_SECONDS) runs out
        requeued = manage(env, "requeue_stale_tasks", "--minutes", "0")
        assert "dikembalikan ke antrean: 1" in requeued.stdout, requeued.stdout + requeued.stderr
        done = manage(env, "db_worker", "--batch", "--no-reload", "--no-startup-delay", "--interval", "0")
        assert done.returncode == 0, done.stdout + done.stderr

        assert nodes.run_step(env, "mail_state", mail_id).split()[1] == "sent"
        assert handler.received == [message_id]
    finally:
        controller.stop()
