"""Every model change has its migration: `makemigrations --check` inside the suite (make test ran it
as a command of its own before the suite, a second start of Django on the critical path)."""

import io

import pytest
from django.core.management import call_command


@pytest.mark.django_db  # it reads the migrations recorded as applied
def test_no_model_change_is_without_its_migration():
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exit_:  # --check exits with 1 when a migration would be written
        pytest.fail(f"makemigrations --check: a model change has no migration (exit {exit_.code}):\n{out.getvalue()}")
    assert "No changes detected" in out.getvalue()
