"""The migrations build the schema the models describe.

On SQLite the suite's database is made from the models, with the migrations recorded as applied
(tests/conftest.py): this test is what makes that sound. The walk of every migration
(tests/migrating.py) reads the schema of the database made from the models, empties the
database, runs every migration from nothing (stopping on the way for the data-migration tests)
and reads the schema again; this test compares the two table by table: columns with their types,
nullability, defaults and keys; every constraint and index by its columns; the text of every
CHECK; and the SQL of every index (conditions included), trigger and view.
"""

import pytest
from django.db import connection

from tests import migrating

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "sqlite", reason="on PostgreSQL the suite's database is made by the migrations themselves"
    ),
]


def schema():
    """Every table: its columns, and its constraints and indexes without their names (SQLite names
    an inline UNIQUE by its position)."""
    introspection = connection.introspection
    tables = {}
    with connection.cursor() as cursor:
        for table in introspection.get_table_list(cursor):
            if table.type != "t":
                continue
            columns = {
                column.name: (column.type_code.lower(), column.null_ok, column.default, column.pk)
                for column in introspection.get_table_description(cursor, table.name)
            }
            constraints = sorted(
                (
                    tuple(found["columns"] or ()),
                    bool(found["primary_key"]),
                    bool(found["unique"]),
                    tuple(found["foreign_key"] or ()),
                    bool(found["check"]),
                    bool(found["index"]),
                    tuple(found.get("orders") or ()),
                )
                for found in introspection.get_constraints(cursor, table.name).values()
            )
            tables[table.name] = {"columns": columns, "constraints": constraints}
        cursor.execute("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type != 'table'")
        for kind, name, table, sql in cursor.fetchall():
            if sql is not None:  # an automatic index (inline UNIQUE, PRIMARY KEY) has none
                tables.setdefault(f"{kind} {name}", {})["sql"] = (table, " ".join(sql.split()))
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
        for name, sql in cursor.fetchall():
            if name in tables:
                tables[name]["checks"] = sorted(checks_of(sql))
    return tables


def checks_of(sql):
    """The text of every CHECK (…) in a CREATE TABLE statement (columns come in any order)."""
    found, start = [], 0
    while (at := sql.find("CHECK (", start)) != -1:
        depth, end = 0, at + len("CHECK ")
        for end in range(at + len("CHECK "), len(sql)):
            depth += {"(": 1, ")": -1}.get(sql[end], 0)
            if depth == 0:
                break
        found.append(sql[at : end + 1])
        start = end + 1
    return found


LOOK = __name__
if connection.vendor == "sqlite":  # schema() reads sqlite_master; on PostgreSQL the test is skipped
    migrating.look(LOOK, schema)


def test_every_migration_from_an_empty_database_builds_the_models_schema(migration_walk):
    seen = migration_walk[LOOK]
    from_models, from_migrations = seen["models"], seen["migrations"]
    assert {"cases_case", "sop_catalog_step", "agencies_position", "django_migrations"} <= set(from_models)
    assert seen["emptied"] == {}
    assert set(from_migrations) == set(from_models)
    differences = {
        table: {"migrations": from_migrations[table], "models": from_models[table]}
        for table in from_models
        if from_migrations[table] != from_models[table]
    }
    assert differences == {}
