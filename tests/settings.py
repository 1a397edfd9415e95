"""Settings for the test suite: development mode, set explicitly (production is the default)."""

import os

os.environ.setdefault("DJANGO_DEBUG", "1")

from sop_portal.settings import *  # noqa: E402,F403
