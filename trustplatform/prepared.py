"""Read queries compiled to SQL once per process, then run with each request's values.

Building an aggregate queryset of twenty columns and compiling it to SQL costs several
milliseconds of CPU, the same on every request, while the database answers it in less. A
`Prepared` query is built and compiled by the ORM once per shape of its values (each list's
length), with sentinel values standing for the real ones; each run puts the real values in the
sentinels' places and executes the same SQL, on the database the router chooses for reads then
(the replica inside `replica_reads()`), with the ORM's converters applied.

A query that locks its rows (`select_for_update()`) is made with `writing=True`: it runs where
the router sends writes, inside the caller's transaction, as the queryset itself would.

Only for `values()` querysets whose values are ints, dates or lists of ints: what the caller
passes is a parameter of the SQL, never part of its text. Compiling refuses a builder whose
sentinel does not reach the SQL as a parameter (an empty list, say), rather than run a query
that would ignore a value.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connections, router
from django.db.models import Model, QuerySet

Values = dict[str, int | dt.date | list[int] | tuple[int, ...]]
Row = dict[str, Any]

# Far from any id or count a query could hold as a constant, and from any real date.
_FIRST_INT_SENTINEL = -(10**15)
_FIRST_DATE_SENTINEL = dt.date(1, 1, 1)


class PreparedQueryError(ValueError):
    """A builder whose values cannot all be found among the compiled query's parameters."""


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]  # the constants; the slots' places are overwritten on each run
    slots: tuple[tuple[int, str, int | None], ...]  # (place, value's name, index in a list)
    names: tuple[str, ...]
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...]


def _shape(values: Values) -> tuple[tuple[str, str | int], ...]:
    return tuple(
        sorted(
            (name, len(value) if isinstance(value, list | tuple) else type(value).__name__)
            for name, value in values.items()
        )
    )


def _sentinels(values: Values) -> tuple[Values, dict[Any, tuple[str, int | None]]]:
    """Stand-ins of the same shape as `values`, each distinct, and where each stands."""
    ints = itertools.count(_FIRST_INT_SENTINEL, -1)
    days = itertools.count(0)
    stand_ins: Values = {}
    where: dict[Any, tuple[str, int | None]] = {}
    for name, value in sorted(values.items()):
        if isinstance(value, bool):
            raise PreparedQueryError(f"{name}: a boolean is not a prepared query's value")
        if isinstance(value, int):
            stand_ins[name] = sentinel = next(ints)
            where[sentinel] = (name, None)
        elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            stand_ins[name] = day = _FIRST_DATE_SENTINEL + dt.timedelta(days=next(days))
            where[day] = (name, None)
        elif isinstance(value, list | tuple) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            items = [next(ints) for _ in value]
            stand_ins[name] = items
            where.update({item: (name, index) for index, item in enumerate(items)})
        else:
            raise PreparedQueryError(f"{name}: an int, a date or a list of ints")
    return stand_ins, where


class Prepared:
    """A `values()` query built by `build(**values)`, compiled once per shape of its values."""

    def __init__(
        self, build: Callable[..., QuerySet[Any]], model: type[Model], *, writing: bool = False
    ) -> None:
        self._build = build
        self._model = model
        self._route = router.db_for_write if writing else router.db_for_read
        self._compiled: dict[tuple[tuple[str, str | int], ...], _Compiled] = {}

    def _compile(self, values: Values, alias: str) -> _Compiled:
        stand_ins, where = _sentinels(values)
        queryset = self._build(**stand_ins)
        query = queryset.query
        compiler = query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        slots = tuple(
            (place, *where[param])
            for place, param in enumerate(params)
            if type(param) in (int, dt.date) and param in where
        )
        missing = {where[s] for s in where} - {(name, index) for _, name, index in slots}
        if missing:
            raise PreparedQueryError(f"not among the query's parameters: {sorted(missing)}")
        fields = [selected[0] for selected in compiler.select[: compiler.col_count]]
        return _Compiled(
            sql=sql,
            params=tuple(params),
            slots=slots,
            names=(*query.extra_select, *query.values_select, *query.annotation_select),
            converters=tuple(
                (place, tuple(functions), expression)
                for place, (functions, expression) in compiler.get_converters(fields).items()
            ),
        )

    def rows(self, **values: Any) -> list[Row]:
        """The query's rows for `values`, as the queryset's `values()` would give them."""
        alias = self._route(self._model)
        shape = _shape(values)
        compiled = self._compiled.get(shape)
        if compiled is None:
            compiled = self._compiled[shape] = self._compile(values, alias)
        params = list(compiled.params)
        for place, name, index in compiled.slots:
            value = values[name]
            params[place] = value if index is None else value[index]
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            fetched: Iterable[Any] = cursor.fetchall()
        if compiled.converters:
            fetched = [_converted(list(row), compiled.converters, connection) for row in fetched]
        return [dict(zip(compiled.names, row, strict=True)) for row in fetched]


def _converted(
    row: list[Any],
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...],
    connection: Any,
) -> list[Any]:
    for place, functions, expression in converters:
        value = row[place]
        for function in functions:
            value = function(value, expression, connection)
        row[place] = value
    return row
