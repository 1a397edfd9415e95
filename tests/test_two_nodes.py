"""Two app nodes on one PostgreSQL database and one media folder, with a task worker.

Two gunicorn instances on loopback ports (two workers each) stand for two machines: they share
the database, the media folder and a cache folder (DJANGO_CACHE=file; on two real machines the
`db` or a Redis cache). Users sign in on a node's login page and their session serves on the
other; a transition on node A reaches the next desk's inbox on node B; letters signed on both
nodes at once get gap-free numbers and node B serves the PDF node A wrote; the worker tells every
desk once and a mail server receives one e-mail per event; a desk the admin revokes in the Django
admin on node A is refused on node B at the next request.
"""

import collections
import datetime
import email
import hashlib
import io
import json
import shutil
import tempfile
import threading
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from pypdf import PdfReader

from tests import nodes

pytestmark = pytest.mark.postgres

LETTERS = 6


class MailServer:
    """A mail server that keeps what it receives."""

    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def database_url():
    with nodes.fresh_postgres("nodes") as url:
        yield url


@pytest.fixture
def cluster(database_url):
    folder = Path(tempfile.mkdtemp(prefix="sop-two-nodes-"))
    mailbox = MailServer()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=nodes.free_port())
    smtp.start()
    env = nodes.node_env(folder, database_url)
    env.update(
        DB_CONN_MAX_AGE="60",
        DJANGO_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        DJANGO_EMAIL_HOST="127.0.0.1",
        DJANGO_EMAIL_PORT=str(smtp.port),
    )
    world = json.loads(nodes.run_step(env, "world", str(LETTERS)).splitlines()[-1])  # after the loaders' reports
    started = [nodes.Node(env, "a", workers=2), nodes.Node(env, "b", workers=2)]
    worker = nodes.Worker(env)
    try:
        yield world, [node.wait() for node in started], mailbox
    finally:
        for process in (worker, *started):
            process.process.terminate()  # all at once: each takes a second or two to stop
        for process in (worker, *started):
            process.stop()
        smtp.stop()
        shutil.rmtree(folder, ignore_errors=True)


def complete(node, login, case_id, step_id, branch=""):
    return node.request(
        f"/permohonan/{case_id}/tindakan/selesai/",
        session=login.session,
        csrf=login.csrf,
        data={"step": step_id, "branch": branch, "note": "dua node"},
    )


def wait_for_the_worker(database_url, timeout=90):
    """Until no task is queued or running and every kept e-mail is sent."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        [(busy, unsent)] = nodes.query(
            database_url,
            "SELECT (SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status IN ('READY', 'RUNNING')),"
            " (SELECT count(*) FROM cases_outgoingmail WHERE sent_at IS NULL)",
        )
        if busy == unsent == 0:
            return
        time.sleep(0.5)
    raise AssertionError(f"after {timeout} s: {busy} tasks queued or running, {unsent} e-mails unsent")


@pytest.mark.long(100)  # mostly waiting on the nodes: started first, it leaves no xdist worker waiting at the end
def test_two_nodes_share_logins_transitions_desks_letters_and_notices(cluster, database_url):
    world, (a, b), mailbox = cluster
    case, inbox_row = world["case"], f'href="/permohonan/{world["case"]}/"'

    # A real login on A; its session cookie is good on B.
    petugas = a.login("lumajang-petugas")
    status, page, _headers = b.request("/kotak-masuk/", session=petugas.session)
    assert status == 200 and inbox_row in page
    # The next desk signs in too (on B) and has nothing of this case yet.
    assert world["next_desk"] == "kasi"
    kasi = b.login("lumajang-kasi")
    status, page, _headers = b.request("/kotak-masuk/", session=kasi.session)
    assert status == 200 and inbox_row not in page

    # A transition on A: the case is in the Kasi's inbox on B at once, with the note written on A.
    assert complete(a, petugas, case, world["step"], world["branch"])[0] == 302
    status, page, _headers = b.request("/kotak-masuk/", session=kasi.session)
    assert status == 200 and inbox_row in page and world["number"] in page
    status, page, _headers = b.request(f"/permohonan/{case}/", session=kasi.session)
    assert status == 200 and "dua node" in page

    # Letters signed on both nodes at once: gap-free numbers, none twice.
    kadis = a.login("lumajang-kadis")
    barrier = threading.Barrier(LETTERS)
    statuses = {}

    def sign(index, letter, step):
        barrier.wait()
        statuses[letter] = complete((a, b)[index % 2], kadis, letter, step)[0]

    threads = [threading.Thread(target=sign, args=(i, *row)) for i, row in enumerate(world["letters"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert list(statuses.values()) == [302] * LETTERS
    issued = nodes.query(
        database_url,
        "SELECT case_id, id, number, sha256 FROM cases_issueddocument WHERE number <> '' ORDER BY case_id",
    )
    assert sorted(int(number.split("/")[1]) for _case, _pk, number, _sha in issued) == list(range(1, LETTERS + 1))

    # B serves, byte for byte, the letter A signed and wrote to the shared media folder.
    signed_on_a = world["letters"][0][0]  # the first letter, signed on (a, b)[0]
    [(doc, number, sha256)] = [(pk, number, sha) for case_id, pk, number, sha in issued if case_id == signed_on_a]
    status, pdf, _headers = b.request(f"/permohonan/{signed_on_a}/surat/{doc}.pdf", session=kadis.session, raw=True)
    assert status == 200 and hashlib.sha256(pdf).hexdigest() == sha256
    assert number in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()

    # The worker told each desk once per event and the mail server got one e-mail per event. The
    # events: each case's registration (the other petugas of Lumajang's SPM unit is told), its
    # arrival at the kasi desk and, for the letters, at the kabid, sekdin and kadis desks (one holder
    # each), and each signed letter (both petugas of the unit).
    wait_for_the_worker(database_url)
    events = 2 + LETTERS * 6
    notices = collections.Counter(
        dict(nodes.query(database_url, "SELECT kind, count(*) FROM cases_notification GROUP BY kind"))
    )
    assert notices == {"arrived": 2 + LETTERS * 5, "signed": LETTERS * 2}
    [(distinct_events,)] = nodes.query(database_url, "SELECT count(DISTINCT event) FROM cases_notification")
    assert distinct_events == events
    kept = [message_id for (message_id,) in nodes.query(database_url, "SELECT message_id FROM cases_outgoingmail")]
    delivered = [message["Message-ID"] for message in mailbox.received]
    assert len(set(kept)) == len(kept) == events and sorted(delivered) == sorted(kept)

    # The agency's admin ends the Kasi's holding in the Django admin on A: the very next request of
    # the Kasi on B, which had the desks cached, is refused (and on A too).
    assert a.request("/kotak-masuk/", session=kasi.session)[0] == 200
    assert b.request("/kotak-masuk/", session=kasi.session)[0] == 200
    admin = a.login("lumajang-admin")
    position = f"/admin/agencies/position/{world['kasi_position']}/change/"
    _status, page, _headers = a.request(position, session=admin.session)
    [row] = [  # the prefix of the holding's row in the position's inline of officials
        name.removesuffix("-id")
        for name, value in nodes.form_fields(page, "position_form")
        if name.endswith("-id") and value == str(world["kasi_holding"])
    ]
    today = datetime.datetime.now(ZoneInfo("Asia/Jakarta")).date()  # the nodes' TIME_ZONE
    yesterday = (today - datetime.timedelta(days=1)).strftime("%d-%m-%Y")  # as the admin's date field shows
    status, _page, headers = a.submit(position, admin, "position_form", {f"{row}-end": yesterday})
    assert status == 302 and headers["Location"].startswith("/admin/agencies/position/")
    assert b.request("/kotak-masuk/", session=kasi.session)[0] == 403
    assert a.request("/kotak-masuk/", session=kasi.session)[0] == 403
