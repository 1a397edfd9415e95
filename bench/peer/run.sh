#!/usr/bin/env bash
# make bench (first part): one step completion here against django-viewflow 2.x and the floor
# (bench/peer/run.py), on a fresh database BENCH_PEER_DB (default bench_peer).
set -euo pipefail
cd "$(dirname "$0")/../.."
DB=${BENCH_PEER_DB:-bench_peer}
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/${DB}"
export DJANGO_DEBUG=${DJANGO_DEBUG:-1}
export DJANGO_FIELD_KEY=${DJANGO_FIELD_KEY:-bench-field-Q7mZ2rX9pL4vK8sN3tB6yH1cW5dF0gJ}
export DJANGO_INDEX_KEY=${DJANGO_INDEX_KEY:-bench-index-T4nV8bM2kR6xP9wL3sD7fH1qZ5cG0jY}
psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS ${DB}" -c "CREATE DATABASE ${DB}" postgres
echo "# Step completion against django-viewflow $(date -Iseconds) on $(nproc) cores, $(uname -m)"
echo
echo "CPU reference: $(.venv/bin/python -c 'import timeit; print(round(min(timeit.repeat("sum(i*i for i in range(10**6))", number=1, repeat=5)) * 1000))') ms for sum(i*i for i in range(10**6))"
echo "django-viewflow $(.venv/bin/python -c 'from importlib.metadata import version; print(version("django-viewflow"))'), PostgreSQL $(psql -qAt -h 127.0.0.1 -U postgres -c 'SHOW server_version' postgres), synchronous_commit $(psql -qAt -h 127.0.0.1 -U postgres -c 'SHOW synchronous_commit' postgres)"
echo
.venv/bin/python bench/peer/run.py "${BENCH_PEER_COMPLETIONS:-300}" "${BENCH_PEER_BATCHES:-3}"
