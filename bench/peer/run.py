"""One step completion here against django-viewflow 2.x and against the database's floor, in one run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_peer \\
        .venv/bin/python bench/peer/run.py [COMPLETIONS_PER_BATCH] [BATCHES]

(`make bench` runs it through bench/peer/run.sh, which installs the `bench` extra and recreates
the database.) Single thread, in process, the same PostgreSQL and connection for every system.
Each batch times COMPLETIONS_PER_BATCH (default 300) completions of each system, the systems
interleaved one completion at a time, so that a slower or busier moment of the shared machine
falls on all of them alike; the rate reported is the median of BATCHES (default 3) batches.

Systems:

- ours, three kinds of completion of the Lumajang SPM, as the completion request does it
  (in one transaction `selectors.case_for_action(lock=True)`, then `workflow.complete_step`):
  a step followed by one at the same desk (stay), the front desk forwarding to the Kasi
  (forward), the Kasi forwarding to the Kabid, which initials the draft letter (paraf);
- viewflow, the same shape (bench/peer/flows.py), a human task assigned and executed as its
  AssignTaskView and UpdateProcessView do on POST (two transactions under SelectForUpdateLock),
  with a proxy process (fields in JSON) and with a multi-table process;
- the floor: SELECT … FOR UPDATE and UPDATE of one row in one transaction, through the ORM.

Every completion starts with the user loaded afresh, as a request's would be (not timed, not
counted), then its desk permissions taken from the per-user cache as this application's
UserCacheMiddleware does for every request (timed and counted, for every system alike: viewflow's
permission check then still reads the user's own permissions, as Django's backend does).
Statements are all that Django sent for one completion (CaptureQueriesContext): BEGIN, COMMIT and
SAVEPOINTs included. Python CPU is this process's CPU time per completion (time.process_time), the
rest of the wall time being PostgreSQL and the round trips.
"""

import os
import secrets
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.peer.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

OURS = ("stay", "forward", "paraf")
# (kind, acting desk, next desk): the SPM's first process step with that move.
MOVES = {"stay": ("petugas", "petugas"), "forward": ("petugas", "kasi"), "paraf": ("kasi", "kabid")}
USERS = {"petugas": "lumajang-petugas", "kasi": "lumajang-kasi", "kabid": "lumajang-kabid"}


def setup():
    call_command("migrate", verbosity=0)
    call_command("load_agencies", verbosity=0)
    call_command("load_sops", verbosity=0)
    call_command("load_letters", verbosity=0)
    call_command("create_demo_users", verbosity=0)


def layout():
    from cases.workflow import desks_of
    from sop_catalog.models import SOP

    sop = SOP.objects.get(slug="lumajang-spm", is_current=True)
    SOP.objects.filter(pk=sop.pk).update(locked=True)  # as a version in use is
    flow = sop.flows.get()
    steps = flow.steps.prefetch_related("actors", "branches").order_by("no")
    return sop, flow, [(s, desk) for s in steps for desk in desks_of(s)]


def seed_ours(kind, count, sop, flow, rows):
    """`count` cases of the SPM, each with the step of move `kind` current (bulk, as bench/seed.py)."""
    from agencies.models import Agency, User
    from cases import letters
    from cases.models import SIFAT_URGENCY, Case, CaseStep, IssuedDocument, Person

    here, there = MOVES[kind]
    at = next(
        i
        for i in range(len(rows) - 1)
        if rows[i][1] == here and rows[i + 1][1] == there and not rows[i][0].branches.all()
    )
    agency = Agency.objects.get(slug="lumajang")
    petugas = User.objects.get(username="lumajang-petugas")
    state = Case.STATE_FOR_DESK[here]
    now = timezone.now()
    status = {True: CaseStep.DONE, False: "pending"}
    with transaction.atomic():
        persons = Person.objects.bulk_create(
            Person(
                agency=agency, without_papers=True, name=f"Warga {kind} {n}", name_folded=f"warga {kind} {n}", sex="L"
            )
            for n in range(count)
        )
        cases = Case.objects.bulk_create(
            Case(agency=agency, sop=sop, flow=flow, applicant=p, beneficiary=p, purpose="bench", created_by=petugas,
                 number=f"BENCH/{kind}/{p.pk}", registered_at=now, state=state)
            for p in persons
        )  # fmt: skip
        steps = CaseStep.objects.bulk_create(
            CaseStep(case=case, sop_step=sop_step, position=position, no=sop_step.no, desk=desk,
                     status=CaseStep.CURRENT if position == at + 1 else status[position < at + 1],
                     started_at=now if position <= at + 1 else None, completed_at=now if position < at + 1 else None)
            for case in cases
            for position, (sop_step, desk) in enumerate(rows, start=1)
        )  # fmt: skip
        current = {s.case_id: s for s in steps if s.status == CaseStep.CURRENT}
        for case in cases:
            case.current_step = current[case.pk]
            case.queue_desk, case.queue_since = current[case.pk].desk, now
            case.queue_rank = SIFAT_URGENCY[case.sifat]
        Case.objects.bulk_update(cases, ["current_step", "queue_desk", "queue_rank", "queue_since"])
        templates = list(letters.templates_for(cases[0]))
        IssuedDocument.objects.bulk_create(
            IssuedDocument(case=case, template=t, title=t.title, token=secrets.token_urlsafe(32))
            for case in cases
            for t in templates
        )
    return [(case.pk, current[case.pk].pk) for case in cases]


def seed_viewflow(flow_class, count):
    """`count` processes started, each waiting at its first human task (NEW, assignable by permission)."""
    from viewflow.workflow.models import Task

    with transaction.atomic():
        processes = [flow_class.start.run() for _ in range(count)]
    tasks = dict(
        Task.objects.filter(process__in=processes, flow_task=flow_class.receive).values_list("process_id", "pk")
    )
    return [(process.pk, tasks[process.pk]) for process in processes]


def complete_ours(user, item):
    from cases import selectors, workflow

    case_id, step_id = item
    with transaction.atomic():  # as cases.views.case_complete: the case loaded once, locked
        case = selectors.case_for_action(pk=case_id, agency_id=user.agency_id, lock=True)
        workflow.complete_step(case=case, locked=True, user=user, step_id=step_id, note="bench", ip="127.0.0.1")


def complete_viewflow(flow_class):
    from django.core.exceptions import PermissionDenied

    def post(process_pk, task_pk, user, permission, act):
        """What viewflow's wrap_task_view / wrap_view do for a POST, then the view's form_valid."""
        with flow_class.lock(process_pk), transaction.atomic():
            task = flow_class.task_class.objects.get(pk=task_pk)
            if task.process.flow_class != flow_class:
                raise PermissionDenied
            activation = task.flow_task.activation_class(task)
            if not permission(user, task):
                raise PermissionDenied
            act(activation)

    def execute(activation, user):
        activation.start(None)
        activation.process.note = "bench"  # the form's save()
        activation.process.save()
        activation.execute()

    def complete(user, item):
        process_pk, task_pk = item
        node = flow_class.receive
        post(process_pk, task_pk, user, node.can_assign, lambda activation: activation.assign(user))
        post(process_pk, task_pk, user, node.can_execute, lambda activation: execute(activation, user))

    return complete


def seed_floor(count):
    from bench.peer.models import Counter

    rows = Counter.objects.bulk_create(Counter() for _ in range(count))
    return [row.pk for row in rows]


def complete_floor(user, pk):
    from bench.peer.models import Counter

    with transaction.atomic():
        row = Counter.objects.select_for_update().get(pk=pk)
        row.value += 1
        row.save(update_fields=["value"])


def main(per_batch, batches):
    from agencies.models import User
    from agencies.usercache import prime
    from bench.peer.flows import SPMCaseFlow, SPMFlow

    setup()
    sop, flow, rows = layout()
    systems = {
        **{f"ours: {kind}": (USERS[MOVES[kind][0]], complete_ours) for kind in OURS},
        "viewflow: proxy process": ("lumajang-petugas", complete_viewflow(SPMFlow)),
        "viewflow: multi-table process": ("lumajang-petugas", complete_viewflow(SPMCaseFlow)),
        "floor: SELECT FOR UPDATE + UPDATE": ("lumajang-petugas", complete_floor),
    }
    users = dict(User.objects.filter(username__in=USERS.values()).values_list("username", "pk"))
    rates = {name: [] for name in systems}
    statements = {}
    total = per_batch * batches + 2  # two warm-ups each, one of them counted
    print(f"Menyiapkan {total} kasus per sistem …", file=sys.stderr, flush=True)
    items = {f"ours: {kind}": seed_ours(kind, total, sop, flow, rows) for kind in OURS}
    items["viewflow: proxy process"] = seed_viewflow(SPMFlow, total)
    items["viewflow: multi-table process"] = seed_viewflow(SPMCaseFlow, total)
    items["floor: SELECT FOR UPDATE + UPDATE"] = seed_floor(total)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    queues = {name: iter(values) for name, values in items.items()}

    cpu = dict.fromkeys(systems, 0.0)

    def one(name):
        username, complete = systems[name]
        user = User.objects.get(pk=users[username])
        started, used = time.perf_counter(), time.process_time()
        prime(user)  # as UserCacheMiddleware does for every request, before either system's view
        complete(user, next(queues[name]))
        cpu[name] += time.process_time() - used
        return time.perf_counter() - started

    for name in systems:
        one(name)  # warm-up
        user = User.objects.get(pk=users[systems[name][0]])
        with CaptureQueriesContext(connection) as queries:
            prime(user)
            systems[name][1](user, next(queues[name]))
        statements[name] = len(queries.captured_queries)
        if os.environ.get("BENCH_PEER_SQL"):  # the statements of one completion, to read
            print(f"\n## {name}", *(q["sql"][:300] for q in queries.captured_queries), sep="\n", file=sys.stderr)
    for batch in range(batches):
        spent = dict.fromkeys(systems, 0.0)
        order = list(systems)
        for i in range(per_batch):
            for name in order[i % len(order) :] + order[: i % len(order)]:  # a different one first each time
                spent[name] += one(name)
        for name in systems:
            rates[name].append(per_batch / spent[name])
        print(f"batch {batch + 1}/{batches} selesai", file=sys.stderr, flush=True)
    report(
        rates, statements, {name: spent / (per_batch * batches + 1) for name, spent in cpu.items()}, per_batch, batches
    )


def report(rates, statements, cpu, per_batch, batches):
    median = {name: statistics.median(values) for name, values in rates.items()}
    proxy, floor = median["viewflow: proxy process"], median["floor: SELECT FOR UPDATE + UPDATE"]
    print(f"{per_batch} completions per batch, median of {batches} batches, one thread, interleaved\n")
    print("| system | completions/s (median) | batches | statements | Python CPU ms | × viewflow proxy | ÷ floor |")
    print("|---|---|---|---|---|---|---|")
    for name, rate in median.items():
        spread = " / ".join(f"{r:.1f}" for r in rates[name])
        ratios = f"{rate / proxy:.2f} | {floor / rate:.1f}"
        print(f"| {name} | {rate:.1f} | {spread} | {statements[name]} | {cpu[name] * 1000:.1f} | {ratios} |")
    slowest = min(median[f"ours: {kind}"] for kind in OURS)
    print(f"\nslowest of ours ÷ viewflow proxy: {slowest / proxy:.2f} (goal ≥ 1.5)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300, int(sys.argv[2]) if len(sys.argv) > 2 else 3)
