"""Name search (`name_folded LIKE '%…%'`) through a trigram index on PostgreSQL.

pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it. SQLite keeps
the plain scan; nothing is done there.
"""

from django.db import migrations

INDEXES = [
    ("cases_person", "person_name_trgm_idx"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, name in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (name_folded gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _table, name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0008_case_queue"),
    ]

    operations = [migrations.RunPython(create, drop)]
