#!/usr/bin/env bash
# make bench: seed PostgreSQL with 1,000 and then 100,000 cases and measure the busiest requests.
set -euo pipefail
cd "$(dirname "$0")/.."
DB=${BENCH_DB:-sop_bench}
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/${DB}"
RUNS=${BENCH_RUNS:-30}
OUT=${BENCH_OUT:-bench/results-$(date +%Y-%m-%d).md}
psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS ${DB}" -c "CREATE DATABASE ${DB}" test
{
  echo "# Benchmark $(date -Iseconds) on $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m)"
  echo
  .venv/bin/python bench/seed.py 1000 >&2
  echo "## 1,000 cases"; echo
  .venv/bin/python bench/measure.py "$RUNS"
  echo
  .venv/bin/python bench/seed.py 99000 >&2
  echo "## 100,000 cases"; echo
  .venv/bin/python bench/measure.py "$RUNS"
} | tee "$OUT"
echo "Hasil: $OUT"
