"""The application's settings plus django-viewflow and the peer flow (only for bench/peer/run.py).

Installed with the `bench` extra (`pip install -e ".[bench]"`); the application never imports viewflow.
"""

from sop_portal.settings import *  # noqa: F403
from sop_portal.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "viewflow", "viewflow.workflow", "bench.peer"]
# Timed as in production: no SQL kept per query (DJANGO_DEBUG=1 is only for the development keys);
# the statements are counted with CaptureQueriesContext, which keeps them while it is open.
DEBUG = False
