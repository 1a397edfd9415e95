"""Production is the default, and production refuses to start without keys of its own."""

import pytest

from tests.test_settings import PRODUCTION_KEYS, run_django


def test_without_django_debug_it_runs_in_production_mode():
    code = "print(settings.DEBUG, settings.SESSION_COOKIE_SECURE, settings.REQUIRE_2FA)"

    result = run_django(code, **PRODUCTION_KEYS)

    assert result.stdout.split() == ["False", "True", "True"], result.stderr


def test_only_an_explicit_django_debug_turns_on_development_mode():
    result = run_django("print(settings.DEBUG)", DJANGO_DEBUG="1")

    assert result.stdout.strip() == "True"


def test_without_django_debug_and_without_keys_it_refuses_to_start():
    result = run_django("print('started')")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr
    assert "started" not in result.stdout


@pytest.mark.parametrize("missing", ["DJANGO_FIELD_KEY", "DJANGO_INDEX_KEY"])
def test_production_refuses_to_start_without_a_nik_key(missing):
    keys = {name: value for name, value in PRODUCTION_KEYS.items() if name != missing}

    result = run_django("print('started')", **keys)

    assert result.returncode != 0
    assert f"{missing} must be set" in result.stderr
    assert "started" not in result.stdout


@pytest.mark.parametrize("name", ["DJANGO_FIELD_KEY", "DJANGO_INDEX_KEY"])
def test_production_refuses_a_nik_key_equal_to_the_secret_key(name):
    result = run_django("print('started')", **{**PRODUCTION_KEYS, name: PRODUCTION_KEYS["DJANGO_SECRET_KEY"]})

    assert result.returncode != 0
    assert "must not be the DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_a_long_key_of_few_distinct_characters():
    result = run_django("print('started')", **{**PRODUCTION_KEYS, "DJANGO_SECRET_KEY": "abcde" * 12})

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is too weak" in result.stderr


def test_production_refuses_a_short_nik_key():
    result = run_django("print('started')", **{**PRODUCTION_KEYS, "DJANGO_FIELD_KEY": "abcdefgh"})

    assert result.returncode != 0
    assert "DJANGO_FIELD_KEY is too weak" in result.stderr


def test_production_uses_the_configured_nik_keys_not_the_secret_key():
    code = (
        "from cases.crypto import blind_index, fernet; "
        "print(settings.FIELD_ENCRYPTION_KEY == settings.SECRET_KEY, blind_index('3508010101900001'))"
    )
    first = run_django(code, **PRODUCTION_KEYS)
    other_index_key = run_django(
        code, **{**PRODUCTION_KEYS, "DJANGO_INDEX_KEY": "other-Z8kQ3vN7pR1xL5mT9bW2cY6dH4fJ0gS"}
    )

    same_secret, index = first.stdout.split()
    assert same_secret == "False"
    assert index != other_index_key.stdout.split()[1]
