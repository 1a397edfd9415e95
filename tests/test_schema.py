"""The migrations build the schema the models describe.

On SQLite the suite's database is made from the models, with the migrations recorded as applied
(tests/conftest.py): this test is what makes that sound. The walk of every migration
(tests/migrating.py) reads the schema of the database made from the models, empties the
database, runs every migration from nothing (stopping on the way for the data-migration tests)
and reads the schema again; this test compares the two table by table: columns with their types,
nullability, defaults and keys; every constraint and index by its columns; the text of every
column's and table constraint's definition (types, NOT NULL, defaults, REFERENCES, UNIQUE, every
CHECK); and the SQL of every index (conditions included), trigger and view.
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
    """Every table: its columns, its constraints and indexes without their names (SQLite names an
    inline UNIQUE by its position), and the text of each column's and each table constraint's
    definition, in any order (a column added by a migration comes last); every index, trigger and
    view by its SQL. Read from sqlite_master and SQLite's PRAGMAs (Django's introspection parses each
    statement with sqlparse, 1.6 s a read of this schema)."""
    tables = {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name != 'sqlite_sequence'")
        for name, sql in cursor.fetchall():
            tables[name] = {
                "columns": columns_of(cursor, name),
                "constraints": constraints_of(cursor, name),
                "definitions": definitions_of(sql),
            }
        cursor.execute("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type != 'table'")
        for kind, name, table, sql in cursor.fetchall():
            if sql is not None:  # an automatic index (inline UNIQUE, PRIMARY KEY) has none
                tables.setdefault(f"{kind} {name}", {})["sql"] = (table, " ".join(sql.split()))
    return tables


def pragma(cursor, name, argument):
    return cursor.execute(f"PRAGMA {name}({connection.ops.quote_name(argument)})").fetchall()


def columns_of(cursor, table):
    """Each column's type, nullability, default and whether it is the primary key (as Django's
    get_table_description reads PRAGMA table_xinfo: not a column of a composite key alone)."""
    rows = [row for row in pragma(cursor, "table_xinfo", table) if row[6] != 1]  # 1: hidden
    composite = sum(1 for row in rows if row[5]) > 1
    return {
        name: (kind.lower(), not notnull, default, bool(pk) and not composite)
        for _, name, kind, notnull, default, pk, _ in rows
    }


def constraints_of(cursor, table):
    """(columns, primary key, unique, foreign key, check, index, orders) for the primary key, each
    foreign key, each UNIQUE constraint and each index; the CHECKs are in definitions_of."""
    found = []
    key = tuple(row[1] for row in pragma(cursor, "table_info", table) if row[5])
    if key:
        found.append((key, True, False, (), False, False, ()))
    for _, _, target, column, target_column, *_ in pragma(cursor, "foreign_key_list", table):
        found.append(((column,), False, False, (target, target_column), False, False, ()))
    for _, index, unique, origin, _ in pragma(cursor, "index_list", table):
        if origin == "pk":  # the index of a primary key that is not the rowid: the key above
            continue
        parts = [row for row in pragma(cursor, "index_xinfo", index) if row[5]]  # 5: a key column
        columns = tuple(row[2] for row in parts)
        if origin == "u":  # a UNIQUE constraint, inline or of the table
            found.append((columns, False, True, (), False, False, ()))
        else:
            orders = tuple("DESC" if row[3] else "ASC" for row in parts)
            found.append((columns, False, bool(unique), (), False, True, orders))
    return sorted(found, key=repr)


def definitions_of(sql):
    """The CREATE TABLE statement's column and table-constraint definitions, whitespace folded and
    sorted (columns come in any order), and what follows them (WITHOUT ROWID, STRICT)."""
    start, end = sql.index("("), sql.rindex(")")
    found, depth, quote, begin = [], 0, "", start + 1
    for at in range(start + 1, end):
        char = sql[at]
        if quote:
            quote = "" if char == quote else quote  # a doubled quote closes and opens again
        elif char in "'\"`":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            found.append(" ".join(sql[begin:at].split()))
            begin = at + 1
    found.append(" ".join(sql[begin:end].split()))
    return sorted(found) + [" ".join(sql[end + 1 :].split())]


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
