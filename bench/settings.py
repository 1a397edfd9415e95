"""The site's settings with the benchmark floor's URL added (bench/floor.py): benchmarks only."""

from sop_portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
