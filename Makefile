# SOP Portal — `make run` to try it, `make test` to test it (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PYTEST_ARGS ?=
# make run, setup and bench are development: production is the default when DJANGO_DEBUG is unset.
export DJANGO_DEBUG ?= 1
# Bytecode caches on, whatever the shell says: without them every process (each xdist worker, each
# manage.py a test starts, the server and its worker) compiles Django, WeasyPrint and the project
# again, about 4 s of CPU each. uv compiles the installed packages at install, in parallel (5 s; left
# to the first imports, the two xdist workers of a fresh clone compile the same modules at once and
# its first make test takes half a minute longer); make test compiles the project's own modules.
# __pycache__ is in .gitignore.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run setup install install-dev install-bench migrate load test lint format clean bench

# The venv is made without a pip of its own (ensurepip costs 4 s of every fresh clone): the
# interpreter's pip (22.3 and later take --python) puts uv in it, Astral's installer from PyPI, which
# downloads and installs the project's packages in parallel (about 20 s with empty caches where pip
# alone takes about 60 s). Where that fails, the venv gets its own pip (21.3 or later, for editable
# pyproject installs) to install uv, and where uv cannot be had at all, that pip installs the
# packages itself. PIP_FLAGS skip pip's check for a newer version.
PIP_FLAGS := --quiet --disable-pip-version-check
UV_VERSION := uv>=0.9,<1
VENV_PIP = { [ -x $(BIN)/pip ] || $(BIN)/python -m ensurepip --default-pip >/dev/null; } \
	&& { $(BIN)/python -c 'import pip, sys; sys.exit(tuple(map(int, pip.__version__.split(".")[:2])) < (21, 3))' \
		|| $(BIN)/python -m pip install $(PIP_FLAGS) --upgrade pip; }
$(BIN)/python:
	$(PYTHON) -m venv --without-pip $(VENV)
	$(PYTHON) -m pip --python $(BIN)/python install $(PIP_FLAGS) "$(UV_VERSION)" \
		|| { $(VENV_PIP) && $(BIN)/pip install $(PIP_FLAGS) "$(UV_VERSION)"; } \
		|| echo "uv unavailable: pip installs the packages itself"

# $(1) is a variable's name (a comma in a $(call) argument would split it): uv installs, pip if it fails.
INSTALL = ( [ -x $(BIN)/uv ] && $(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python $($(1)) ) \
	|| { $(VENV_PIP) && $(BIN)/pip install $(PIP_FLAGS) $($(1)); }
APP_PACKAGES := -e .
DEV_PACKAGES := -e ".[dev]"
BENCH_PACKAGES := -e ".[dev,bench]"

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(call INSTALL,APP_PACKAGES)
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(call INSTALL,DEV_PACKAGES)
	touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(call INSTALL,BENCH_PACKAGES)
	touch $@ $(VENV)/.installed-dev $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev
install-bench: $(VENV)/.installed-bench

migrate: install
	$(BIN)/python manage.py migrate --no-input

load: migrate
	$(BIN)/python manage.py load_agencies
	$(BIN)/python manage.py load_sops
	$(BIN)/python manage.py load_registers
	$(BIN)/python manage.py load_letters
	$(BIN)/python manage.py create_demo_users
	$(BIN)/python manage.py signing_keys setup
	$(BIN)/python manage.py seed_demo --cases 120 --if-empty

setup: load

# The task worker runs beside the server and stops with it: the notices and their e-mail, the report
# and SOP PDFs, and the overdue sweep once `manage.py notify_overdue --queue` has queued it (cron
# does, daily, in production: docs/deployment.md; here run it by hand). Before it starts, the
# tasks a worker killed earlier left "running" are queued again (requeue_stale_tasks, as the
# systemd unit's ExecStartPre does). Both use the file cache, as production does: the worker's
# notices then clear the unread count the server shows (a per-process memory cache would keep it
# for up to a minute).
run: export DJANGO_CACHE ?= file
run: setup
	@echo "SOP Portal: http://127.0.0.1:$(PORT)/  (pengguna demo: lihat README.md)"
	$(BIN)/python manage.py requeue_stale_tasks
	$(BIN)/python manage.py db_worker --no-reload --interval 2 & WORKER=$$!; \
	trap 'kill $$WORKER 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# mypy (about 10 s of CPU on a cold cache) runs beside the rest: alone it would leave the second core
# idle. The others stop at the first failure; mypy's verdict counts either way. `makemigrations
# --check` is a test of the suite (tests/test_migrations_made.py), run in a worker that has Django
# loaded already.
test: install-dev
	$(BIN)/mypy > .mypy.log 2>&1 & MYPY=$$!; \
	$(BIN)/ruff check . && $(BIN)/ruff format --check . \
		&& $(BIN)/python -m compileall -q -j 0 manage.py sop_portal agencies cases sop_catalog registers tests bench \
		&& $(BIN)/pytest -m "not browser" -n auto $(PYTEST_ARGS); STATUS=$$?; \
	wait $$MYPY || STATUS=1; cat .mypy.log; rm -f .mypy.log; exit $$STATUS

# First a step completion against django-viewflow and the floor (bench/peer/), then the pages.
bench: install-bench
	bash bench/peer/run.sh
	bash bench/run.sh

clean:
	rm -rf $(VENV) db.sqlite3 var .pytest_cache .ruff_cache
