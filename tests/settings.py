"""Settings for the test suite: development mode, set explicitly (production is the default)."""

import copy
import os
import tempfile
from pathlib import Path

os.environ.setdefault("DJANGO_DEBUG", "1")

from sop_portal.settings import *  # noqa: E402,F403
from sop_portal.settings import DATABASES  # noqa: E402

# Many tests open the public pages from one address; the rate-limit tests lower this themselves.
PUBLIC_RATE_LIMIT = 100_000
# Cached public SOP PDFs: a fresh folder per test run, never the project's var/.
SOP_PDF_CACHE_DIR = Path(tempfile.mkdtemp(prefix="sop-pdf-"))

# Digital signatures: the suite issues letters without one (most tests read the text, not the
# signature); tests/cases/test_pades.py turns the local signer on with keys made once per session.
DOCUMENT_SIGNER = "none"
SIGNING_KEY_PASSPHRASE = "kata-sandi-kunci-uji"
SIGNING_KEYS_DIR = Path(tempfile.mkdtemp(prefix="sop-keys-"))
SIGNING_TSA_URL = ""
BSRE_URL = ""
# Tasks run at once here: rendering every SOP the fixtures save would take minutes.
SOP_PDF_PRERENDER = False
# Tasks run at once, in the test's own process (the worker tests switch to the database backend).
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
MAIL_RETRY_SECONDS = 0

# A "replica" alias that mirrors the test database (Django's TEST MIRROR: another connection to the
# same database, never a copy of its own), whatever DATABASE_REPLICA_URL says; the router is off
# for the suite and on only where tests/test_replica.py turns it on (override_settings).
DATABASES["replica"] = {**copy.deepcopy(DATABASES["default"]), "TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS: list[str] = []
