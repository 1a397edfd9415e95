"""Two app nodes on one PostgreSQL database and one media folder, with a task worker.

Two gunicorn instances on loopback ports (two workers each) stand for two machines: they share
the database, the media folder and a cache folder (DJANGO_CACHE=file; on two real machines the
`db` or a Redis cache). A login, a transition on node A and its inbox on node B; a desk revoked
and refused on B at the next request; letters signed on both nodes at once get gap-free numbers;
the worker sends every notice.
"""

import shutil
import tempfile
import threading
import time
from pathlib import Path

import pytest

from tests import nodes

pytestmark = pytest.mark.postgres

PARALLEL_LETTERS = 6


@pytest.fixture
def database_url():
    with nodes.fresh_postgres("nodes") as url:
        yield url


@pytest.fixture
def cluster(database_url):
    folder = Path(tempfile.mkdtemp(prefix="sop-two-nodes-"))
    env = nodes.node_env(folder, database_url)
    env["DB_CONN_MAX_AGE"] = "60"
    nodes.run_step(env, "setup")
    nodes.run_step(env, "catalog")
    started = [nodes.Node(env, "a", workers=2), nodes.Node(env, "b", workers=2)]
    worker = nodes.Worker(env)
    try:
        yield env, [node.wait() for node in started]
    finally:
        worker.stop()
        for node in started:
            node.stop()
        shutil.rmtree(folder, ignore_errors=True)


def complete(node, session, csrf, case_id, step_id, branch=""):
    return node.request(
        f"/permohonan/{case_id}/tindakan/selesai/",
        session=session,
        csrf=csrf,
        data={"step": step_id, "branch": branch, "note": "dua node"},
    )


def wait_until_sent(env, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        total, unsent = map(int, nodes.run_step(env, "unsent").split())
        if unsent == 0:
            return total
        time.sleep(1)
    raise AssertionError(f"{unsent} of {total} notices still unsent after {timeout} s")


def test_two_nodes_share_sessions_transitions_desks_and_letter_numbers(cluster):
    env, (a, b) = cluster

    # A login (the session is read by either node) and a transition on A, seen in B's inbox.
    case_id, step_id, desk, branch = nodes.run_step(env, "registered").split()
    front = nodes.run_step(env, "session", f"lumajang-{desk}")
    csrf = a.csrf_token(front)
    status, _body, _headers = complete(a, front, csrf, case_id, step_id, "" if branch == "-" else branch)
    assert status == 302
    status, page, _headers = b.request(f"/permohonan/{case_id}/", session=front)
    assert status == 200 and "dua node" in page

    # Letters signed on both nodes at once: gap-free numbers, none twice.
    pending = [line.split() for line in nodes.run_step(env, "at_kadis", str(PARALLEL_LETTERS)).splitlines()]
    assert len(pending) == PARALLEL_LETTERS
    kadis = nodes.run_step(env, "session", "lumajang-kadis")
    kadis_csrf = a.csrf_token(kadis)
    barrier = threading.Barrier(len(pending))
    statuses = []

    def sign(index, case, step):
        barrier.wait()
        node = (a, b)[index % 2]
        statuses.append(complete(node, kadis, kadis_csrf, case, step)[0])

    threads = [threading.Thread(target=sign, args=(i, *row)) for i, row in enumerate(pending)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [302] * len(pending)
    numbers = sorted(int(number.split("/")[1]) for number in nodes.run_step(env, "numbers").splitlines())
    assert numbers == list(range(1, len(pending) + 1))

    # The worker beside the nodes sent every notice of those transitions.
    assert wait_until_sent(env) > 0

    # A desk revoked (here by a third process, as the admin on A would) is refused on B at once.
    kasi = nodes.run_step(env, "session", "lumajang-kasi")
    assert b.request("/kotak-masuk/", session=kasi)[0] == 200
    assert a.request("/kotak-masuk/", session=kasi)[0] == 200
    nodes.run_step(env, "revoke", "lumajang-kasi", "kasi")
    assert b.request("/kotak-masuk/", session=kasi)[0] == 403
