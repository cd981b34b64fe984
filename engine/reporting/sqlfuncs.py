"""The few SQL expressions SQLite and PostgreSQL spell differently, as SQLAlchemy
constructs compiled per dialect, so that the engine's set-based queries run unchanged on
both. SQLite keeps timestamps as UTC text ('2026-11-26 09:30:00.000000'), PostgreSQL as
timestamptz."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Date, Float, Integer, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement


class utc_date(FunctionElement[date]):  # lower case: it reads like the SQL function it is
    """The UTC date of a timestamp column."""
    type = Date()
    inherit_cache = True


class utc_month(FunctionElement[str]):
    """``'YYYY-MM'`` of a timestamp column, in UTC."""
    type = String()
    inherit_cache = True


class days_between(FunctionElement[float]):
    """Fractional days from the first timestamp to the second."""
    type = Float()
    inherit_cache = True


def _args(element: FunctionElement[Any], compiler: Any, **kw: Any) -> list[str]:
    return [compiler.process(arg, **kw) for arg in element.clauses]


@compiles(utc_date, "sqlite")
def _utc_date_sqlite(element: utc_date, compiler: Any, **kw: Any) -> str:
    return "date({})".format(*_args(element, compiler, **kw))


@compiles(utc_date, "postgresql")
def _utc_date_postgresql(element: utc_date, compiler: Any, **kw: Any) -> str:
    return "CAST(({}) AT TIME ZONE 'UTC' AS DATE)".format(*_args(element, compiler, **kw))


@compiles(utc_month, "sqlite")
def _utc_month_sqlite(element: utc_month, compiler: Any, **kw: Any) -> str:
    return "strftime('%Y-%m', {})".format(*_args(element, compiler, **kw))


@compiles(utc_month, "postgresql")
def _utc_month_postgresql(element: utc_month, compiler: Any, **kw: Any) -> str:
    return "to_char(({}) AT TIME ZONE 'UTC', 'YYYY-MM')".format(*_args(element, compiler, **kw))


@compiles(days_between, "sqlite")
def _days_between_sqlite(element: days_between, compiler: Any, **kw: Any) -> str:
    return "(julianday({1}) - julianday({0}))".format(*_args(element, compiler, **kw))


@compiles(days_between, "postgresql")
def _days_between_postgresql(element: days_between, compiler: Any, **kw: Any) -> str:
    return "(CAST(EXTRACT(EPOCH FROM ({1}) - ({0})) AS DOUBLE PRECISION) / 86400.0)".format(
        *_args(element, compiler, **kw))


class whole_days_between(FunctionElement[int]):  # lower case: it reads like the SQL function it is
    """Whole days (rounded down) from the first timestamp to the second; as ``whole_days``."""
    type = Integer()
    inherit_cache = True


@compiles(whole_days_between, "sqlite")
def _whole_days_sqlite(element: whole_days_between, compiler: Any, **kw: Any) -> str:
    a, b = _args(element, compiler, **kw)
    # julianday keeps milliseconds: count whole milliseconds first, so that exactly N days is N
    return f"(CAST(ROUND((julianday({b}) - julianday({a})) * 86400000) AS INTEGER) / 86400000)"


@compiles(whole_days_between, "postgresql")
def _whole_days_postgresql(element: whole_days_between, compiler: Any, **kw: Any) -> str:
    a, b = _args(element, compiler, **kw)
    # date_part gives double precision (EXTRACT gives numeric since PostgreSQL 14: slower)
    return f"CAST(FLOOR(date_part('epoch', ({b}) - ({a})) / 86400) AS INTEGER)"


class greatest(FunctionElement[int]):  # lower case: it reads like the SQL function it is
    """The larger of two values, NULL only when both are (PostgreSQL's GREATEST)."""
    type = Integer()
    inherit_cache = True


@compiles(greatest, "postgresql")
def _greatest_postgresql(element: greatest, compiler: Any, **kw: Any) -> str:
    a, b = _args(element, compiler, **kw)
    return f"GREATEST({a}, {b})"


@compiles(greatest, "sqlite")
def _greatest_sqlite(element: greatest, compiler: Any, **kw: Any) -> str:
    a, b = _args(element, compiler, **kw)
    return f"max(coalesce({a}, {b}), coalesce({b}, {a}))"  # SQLite's max(x, y) is NULL if either is


class float_sum(FunctionElement[float]):
    """SUM of a float column that never raises: PostgreSQL's float8 sum fails with "value
    out of range: overflow" past 1.8e308, so it sums as numeric there (SQLite's sum of
    REAL values gives Inf). Read the result with ``engine.numbers.finite``."""
    type = Float()
    inherit_cache = True


@compiles(float_sum)
def _float_sum_default(element: float_sum, compiler: Any, **kw: Any) -> str:
    return "sum({})".format(*_args(element, compiler, **kw))


@compiles(float_sum, "postgresql")
def _float_sum_postgresql(element: float_sum, compiler: Any, **kw: Any) -> str:
    return "sum(CAST({} AS NUMERIC))".format(*_args(element, compiler, **kw))
