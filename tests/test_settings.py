import os
import subprocess
import sys

from django.conf import settings

STRONG_KEY = "k3J9-vq!pZ2x8Lw0_rT5yB7nM1cH4dF6gS9aQeUiOoPlKjHgFdSaZxCvBnM"
PRODUCTION_KEYS = {
    "DJANGO_SECRET_KEY": STRONG_KEY,
    "DJANGO_FIELD_KEY": "field-Q7mZ2rX9pL4vK8sN3tB6yH1cW5dF0gJ",
    "DJANGO_INDEX_KEY": "index-T4nV8bM2kR6xP9wL3sD7fH1qZ5cG0jY",
}


def run_django(code, **env):
    """Run `code` in a fresh interpreter with only `env` changed, once the settings are read (`settings`
    is imported; code that needs the apps calls django.setup() itself)."""
    base = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "DATABASE_REPLICA_URL"))
    }
    base.update(env)
    return subprocess.run(
        [sys.executable, "-c", f"from django.conf import settings; settings.INSTALLED_APPS; {code}"],
        cwd=settings.BASE_DIR,
        env={**base, "DJANGO_SETTINGS_MODULE": "sop_portal.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_defaults_to_sqlite_in_the_project():
    result = run_django(
        "print(settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['NAME'])", DJANGO_DEBUG="1"
    )

    engine, name = result.stdout.split()
    assert engine == "django.db.backends.sqlite3"
    assert name == str(settings.BASE_DIR / "db.sqlite3")


def test_it_reads_a_postgresql_url():
    result = run_django(
        "d = settings.DATABASES['default']; print(d['ENGINE'], d['NAME'], d['USER'], d['HOST'], d['PORT'])",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/test",
        DJANGO_DEBUG="1",
    )

    assert result.stdout.split() == ["django.db.backends.postgresql", "test", "postgres", "127.0.0.1", "5432"]


def test_it_speaks_indonesian_in_jakarta_time_by_default():
    result = run_django("print(settings.LANGUAGE_CODE, settings.TIME_ZONE)", DJANGO_DEBUG="1")

    assert result.stdout.split() == ["id", "Asia/Jakarta"]


def test_time_zone_comes_from_the_environment():
    result = run_django("print(settings.TIME_ZONE)", TIME_ZONE="Asia/Makassar", DJANGO_DEBUG="1")

    assert result.stdout.strip() == "Asia/Makassar"


def test_production_refuses_to_start_without_a_secret_key():
    result = run_django("print('started')", DJANGO_DEBUG="0")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr
    assert "started" not in result.stdout


def test_production_refuses_the_development_key():
    result = run_django("print('started')", **{**PRODUCTION_KEYS, "DJANGO_SECRET_KEY": settings.INSECURE_DEV_KEY})

    assert result.returncode != 0
    assert "too weak" in result.stderr


def test_production_passes_check_deploy_without_warnings():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(PRODUCTION_KEYS, DJANGO_ALLOWED_HOSTS="sop.dinsos.example.go.id")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
