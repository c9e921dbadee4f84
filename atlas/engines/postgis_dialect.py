"""The store's SQL, written once in DuckDB's dialect, said in PostgreSQL's.

sqlglot does the translation (types, casts, ``strftime``, ``epoch``, upserts, ``?``
placeholders); this module only adds what sqlglot cannot know about our SQL: PostGIS's
names for the spatial functions DuckDB spells differently, arrays where DuckDB's ``len``
means a list's length, an empty list literal that needs a type, and ``%`` in string
literals, which psycopg would read as a placeholder. Each statement is translated once
and remembered.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import sqlglot
from sqlglot import exp
from sqlglot.dialects.postgres import Postgres
from sqlglot.generators.postgres import PostgresGenerator

_SPATIAL_NAMES = {
    "ST_ASWKB": "ST_AsBinary",
    "STRIP_ACCENTS": "unaccent",
}
"""DuckDB's names for functions PostgreSQL and PostGIS spell differently (all else matches)."""

_ARRAY_FUNCTIONS = {"LEN", "ARRAY_LENGTH", "LENGTH"}


def _array_contains(self: PostgresGenerator, e: exp.ArrayContains) -> str:
    # DuckDB's list_contains(list, x); sqlglot's version repeats x, and NULL handling
    # differs only for a NULL x, which our queries never pass.
    return f"{self.sql(e, 'expression')} = ANY({self.sql(e, 'this')})"


def _array(self: PostgresGenerator, e: exp.Array) -> str:
    if not e.expressions:
        return "'{}'"  # an empty list literal: PostgreSQL infers the type from the column
    return f"ARRAY[{self.expressions(e, flat=True)}]"


def _arg_max(self: PostgresGenerator, e: exp.ArgMax) -> str:
    return f"(ARRAY_AGG({self.sql(e, 'this')} ORDER BY {self.sql(e, 'expression')} DESC))[1]"


def _arg_min(self: PostgresGenerator, e: exp.ArgMin) -> str:
    return f"(ARRAY_AGG({self.sql(e, 'this')} ORDER BY {self.sql(e, 'expression')}))[1]"


class _Dialect(Postgres):
    class Generator(PostgresGenerator):  # what Postgres.Generator names
        TRANSFORMS = {
            **PostgresGenerator.TRANSFORMS,
            exp.ArgMax: _arg_max,
            exp.ArgMin: _arg_min,
            exp.ArrayContains: _array_contains,
            exp.Array: _array,
        }


def _adjust(node: exp.Expression) -> exp.Expr:
    if isinstance(node, exp.Table) and node.catalog.lower() == "temp" and node.db.lower() == "main":
        # DuckDB's temporary schema, temp.main, is PostgreSQL's pg_temp.
        return exp.table_(node.name, db="pg_temp", alias=node.alias or None)
    if isinstance(node, exp.Anonymous) and node.name.upper() in _SPATIAL_NAMES:
        return exp.Anonymous(this=_SPATIAL_NAMES[node.name.upper()], expressions=node.expressions)
    if isinstance(node, exp.Anonymous) and node.name.upper() == "LIST_POSITION":
        items, value = node.expressions
        if isinstance(items, exp.Placeholder):  # a Python list of words: say it is text[]
            items = exp.cast(items, "TEXT[]")
        return exp.Anonymous(this="array_position", expressions=[items, value])
    if isinstance(node, exp.Contains):  # DuckDB's contains(text, part)
        parts = [node.this.transform(_adjust), node.expression.transform(_adjust)]
        return exp.GT(this=exp.Anonymous(this="strpos", expressions=parts), expression=exp.Literal.number(0))
    if isinstance(node, exp.IgnoreNulls) and isinstance(node.this, exp.AnyValue):
        node = node.this  # DuckDB's any_value ignores NULLs; so does MIN, below
    if isinstance(node, exp.AnyValue):  # any_value arrives in PostgreSQL 16; any value will do
        value = node.this.this if isinstance(node.this, exp.IgnoreNulls) else node.this
        return exp.Min(this=value)  # which ignores NULLs, as DuckDB's any_value does
    if isinstance(node, exp.Round) and node.args.get("decimals") is not None:
        # PostgreSQL rounds to decimals only in numeric; back to a double, as DuckDB gives
        inner = exp.Round(this=exp.cast(node.this.transform(_adjust), "NUMERIC"), decimals=node.args["decimals"])
        return exp.cast(inner, "DOUBLE PRECISION")
    if isinstance(node, exp.Is) and isinstance(node.this, exp.Placeholder):
        # "? IS NULL" (an optional filter): PostgreSQL must know the parameter's type, and
        # whether a value is NULL does not depend on it.
        return exp.Is(this=exp.cast(node.this, "TEXT"), expression=node.expression)
    if isinstance(node, exp.JSONExtractScalar | exp.JSONExtract) and not isinstance(node.this, exp.Cast):
        node.set("this", exp.cast(node.this, "JSON"))  # our JSON is kept as text
        return node
    if isinstance(node, exp.Length) and isinstance(node.this, exp.Placeholder):
        # len(?) of a list parameter (a Python list of words)
        return exp.Anonymous(this="cardinality", expressions=[exp.cast(node.this, "TEXT[]")])
    if isinstance(node, exp.Column) and node.name == "rowid":
        # DuckDB's row number, used only to keep rows in the order they were written;
        # PostgreSQL's ctid is that order for rows written together and never updated.
        return exp.column("ctid", table=node.table or None)
    if isinstance(node, exp.Length | exp.ArraySize) and _is_list_column(node.this):
        return exp.Anonymous(this="cardinality", expressions=[node.this])
    if isinstance(node, exp.Subquery) and not node.alias and isinstance(node.parent, exp.From | exp.Join):
        return exp.alias_(node, f"_{id(node):x}", table=True)  # PostgreSQL names every subquery
    if isinstance(node, exp.Literal) and node.is_string and "%" in node.this:
        return exp.Literal.string(node.this.replace("%", "%%"))
    return node


_LIST_COLUMNS = {"offers", "needs", "tags", "gaps", "synonyms", "related", "macro_focus"}


def _is_list_column(node: exp.Expression | None) -> bool:
    return isinstance(node, exp.Column) and node.name in _LIST_COLUMNS


def _numbered(sql: str) -> str:
    """``?`` placeholders (outside string literals) as ``$1``, ``$2`` ..., which sqlglot
    turns into psycopg's named ``%(1)s``: a placeholder sqlglot repeats keeps its value."""
    out: list[str] = []
    n = 0
    quoted = False
    for ch in sql:
        if ch == "'":
            quoted = not quoted
        if ch == "?" and not quoted:
            n += 1
            out.append(f"${n}")
        else:
            out.append(ch)
    return "".join(out)


def _refuse_duckdb_only(tree: exp.Expr, sql: str) -> None:
    """DuckDB shorthands with no PostgreSQL meaning fail here, by name, not on the server."""
    for group in tree.find_all(exp.Group):
        if group.args.get("all"):
            raise ValueError(f"GROUP BY ALL is DuckDB's alone; name the columns: {sql}")
    for order in tree.find_all(exp.Ordered):
        if isinstance(order.this, exp.Var) and order.this.name.upper() == "ALL":
            raise ValueError(f"ORDER BY ALL is DuckDB's alone; name the columns: {sql}")


@functools.lru_cache(maxsize=4096)
def translate(sql: str) -> tuple[str, ...]:
    """The PostgreSQL statements for one DuckDB-dialect ``sql`` (which may hold several)."""
    out: list[str] = []
    for tree in sqlglot.parse(_numbered(sql), read="duckdb"):
        if tree is None:
            continue
        _refuse_duckdb_only(tree, sql)
        if isinstance(tree, exp.Create) and tree.args.get("replace") and tree.kind == "TABLE":
            # CREATE OR REPLACE TABLE is DuckDB's; PostgreSQL drops and creates.
            out.append(f"DROP TABLE IF EXISTS {_Dialect().generate(tree.this.find(exp.Table))}")
            tree.set("replace", False)
        out.append(_Dialect().generate(tree.transform(_adjust), copy=False))
        if isinstance(tree, exp.Create) and tree.kind == "TABLE" and tree.expression is not None:
            # A table made from a query gets statistics at once: autovacuum never looks at
            # temporary tables, and a planner that thinks one is empty joins a million rows
            # to it by nested loop (minutes instead of a second).
            out.append(f"ANALYZE {_Dialect().generate(tree.this.find(exp.Table))}")
    return tuple(out)


def bind(params: Iterable[object] | None) -> dict[str, object]:
    """Positional parameters as the named ones :func:`translate` writes."""
    values = [] if params is None else list(params)
    # Always a mapping, even empty, so psycopg reads every statement's ``%%`` the same way.
    return {str(i + 1): v for i, v in enumerate(values)}
