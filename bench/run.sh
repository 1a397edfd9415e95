#!/usr/bin/env bash
# make bench: seed PostgreSQL with 1,000 and then BENCH_SCALE (default 100,000) cases, measure the
# busiest requests through the test client and their ratios to the floor (bench/floor.py), then
# under load on gunicorn with wrk (bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
DB=${BENCH_DB:-sop_bench}
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/${DB}"
# Seeding and the test-client timings run in development mode; bench/load.py starts gunicorn in
# production mode with the same NIK keys (the app has no default keys in production).
export DJANGO_DEBUG=1
export DJANGO_FIELD_KEY=${DJANGO_FIELD_KEY:-bench-field-Q7mZ2rX9pL4vK8sN3tB6yH1cW5dF0gJ}
export DJANGO_INDEX_KEY=${DJANGO_INDEX_KEY:-bench-index-T4nV8bM2kR6xP9wL3sD7fH1qZ5cG0jY}
RUNS=${BENCH_RUNS:-30}
SCALE=${BENCH_SCALE:-100000}
export PUBLIC_RATE_LIMIT=100000
JSON=$(mktemp -d)
OUT=${BENCH_OUT:-bench/results-$(date +%Y-%m-%d).md}
psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS ${DB}" -c "CREATE DATABASE ${DB}" test
{
  echo "# Benchmark $(date -Iseconds) on $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m)"
  echo
  # The speed of one core, to compare runs on different machines: the same pure-Python loop.
  echo "CPU reference: $(.venv/bin/python -c 'import timeit; print(round(min(timeit.repeat("sum(i*i for i in range(10**6))", number=1, repeat=5)) * 1000))') ms for sum(i*i for i in range(10**6))"
  echo "HarfBuzz subsetting for PDFs: $(ldconfig -p | grep -q libharfbuzz-subset && echo yes || echo 'no (libharfbuzz-subset0 missing: PDFs slower)')"
  echo
  .venv/bin/python bench/seed.py 1000 >&2
  echo "## 1,000 cases"; echo
  BENCH_JSON="$JSON/1k.json" .venv/bin/python bench/measure.py "$RUNS"
  echo
  .venv/bin/python bench/seed.py $((SCALE - 1000)) >&2
  echo "## ${SCALE} cases"; echo
  BENCH_COMPARE="$JSON/1k.json" .venv/bin/python bench/measure.py "$RUNS"
  echo
  echo "## Under load: gunicorn, 4 workers, wrk on loopback (${SCALE} cases)"; echo
  .venv/bin/python bench/load.py "${BENCH_LOAD_SECONDS:-20}"
} | tee "$OUT"
echo "Hasil: $OUT"
