"""Where the workers' time went, from py-spy's collapsed stacks (bench/load.py with BENCH_PROFILE).

    .venv/bin/python bench/spy_summary.py /tmp/profile.txt

Prints the share of request samples (stacks under Django's WSGI handler) spent in each of a few
telling frames: waiting for PostgreSQL, the view, the workflow's parts, middleware, templates.
"""

import sys
from collections import Counter

FRAMES = [
    ("waiting for PostgreSQL (psycopg Connection.wait)", "Connection.wait"),
    ("building SQL (Django compiler as_sql)", "SQLCompiler.as_sql"),
    ("the completion view (case_complete)", "case_complete"),
    ("  loading the case (case_for_action)", "case_for_action"),
    ("  complete_step (under the row lock)", "complete_step"),
    ("    plan (steps, draft letters)", "plan"),
    ("    start_step (due time on the office calendar)", "start_step"),
    ("    notify_desk (the notice's task row)", "notify_desk"),
    ("session, user and desks (first touch of request.user)", "needs_two_factor"),
    ("template rendering", "Template.render"),
]


def main(path):
    total, hits = 0, Counter()
    for line in open(path, encoding="utf-8"):
        stack, _, count = line.rstrip().rpartition(" ")
        frames = [frame.split(" (")[0] for frame in stack.split(";")]
        if not any(frame.endswith("WSGIHandler.__call__") for frame in frames):
            continue
        total += int(count)
        for _label, name in FRAMES:
            if any(frame == name or frame.endswith("." + name) for frame in frames):
                hits[name] += int(count)
    print(f"{total} request samples")
    for label, name in FRAMES:
        print(f"{100 * hits[name] / max(total, 1):5.1f} %  {label}")


if __name__ == "__main__":
    main(sys.argv[1])
