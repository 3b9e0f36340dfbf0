"""One hash chain for every append-only trail: the platform audit log, each school's access log
and each school's chronology.

Each row carries the row_hash of the row before it (`prev_hash`; 64 zeros for the first row) and
its own `row_hash`: SHA-256 over a canonical JSON of its hashed fields and its prev_hash. Changing
a row's contents in the database breaks its row_hash; removing or inserting a row breaks the next
row's prev_hash. `chain_verify` walks a table and reports the first row where either fails.

A table may hold several chains side by side, one per value of its scope column
(`chain_scope_field`): the platform audit log keeps one chain per trust, one for anonymous
sign-in events and one for the platform's own (docs/security.md, "Audit chains"). Each scope
has its own genesis, its own lock and its own order; writers of different scopes never wait for
each other. A school's own tables need no scope column: each school's schema holds its own copy
of the table, which is a chain of its own.

The database refuses UPDATE, DELETE and TRUNCATE on these tables (a trigger, see the migrations);
the chain is what still detects a change made by someone able to switch that trigger off.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar, TypeVar, cast

from django.db import connection, models, transaction
from django_tenants.utils import get_public_schema_name, schema_context

from tenants.db import school_connection
from trustplatform.prepared import Prepared

GENESIS_HASH = "0" * 64
_HEX64 = r"^[0-9a-f]{64}$"


def chain_constraints(*, scope_field: str | None = None) -> list[models.BaseConstraint]:
    """The constraints of a chained table: hex hashes, and one successor per row of a chain."""
    return [
        models.CheckConstraint(
            condition=models.Q(prev_hash__regex=_HEX64),
            name="%(app_label)s_%(class)s_prev_hash_hex",
        ),
        models.CheckConstraint(
            condition=models.Q(row_hash__regex=_HEX64),
            name="%(app_label)s_%(class)s_row_hash_hex",
        ),
        # A fork (two rows linking to the same predecessor) is impossible, even if a writer ever
        # bypassed chain_append's lock. With scopes, each scope starts from the genesis hash, so
        # the predecessor is unique within its scope.
        models.UniqueConstraint(
            fields=[scope_field, "prev_hash"],
            name="%(app_label)s_%(class)s_one_successor_per_scope",
        )
        if scope_field
        else models.UniqueConstraint(
            fields=["prev_hash"], name="%(app_label)s_%(class)s_one_successor"
        ),
    ]


class HashChainedModel(models.Model):
    """Abstract base of an append-only, hash-chained table. Rows are added by `chain_append`."""

    prev_hash = models.CharField(max_length=64, editable=False)
    row_hash = models.CharField(max_length=64, editable=False)

    # The fields row_hash covers, besides prev_hash. Name every field that carries meaning: one
    # left out could be changed in the database without breaking the chain.
    hashed_fields: ClassVar[tuple[str, ...]] = ()
    # True for a table of the public schema: its chain is locked, read and written there, even
    # when the caller is inside a school's schema (search_path `school_x, public`).
    chain_in_public_schema: ClassVar[bool] = False
    # The column whose value names the chain a row belongs to, for a table of several chains;
    # None: the whole table (in its schema) is one chain.
    chain_scope_field: ClassVar[str | None] = None

    class Meta:
        abstract = True
        constraints = chain_constraints()

    @classmethod
    def chain_tombstones(cls) -> Collection[int]:
        """Rows whose contents were lawfully erased, checked by their links alone (see
        chain_verify); none unless a table says otherwise."""
        return frozenset()


M = TypeVar("M", bound=HashChainedModel)


@dataclass(frozen=True)
class BrokenLink:
    """The first row of a chain that does not verify, and what is wrong with it."""

    row_id: int
    problem: str


def _canonical_json_value(value: Any) -> Any:
    # JSON values are hashed as PostgreSQL gives them back (jsonb). Floats are refused: jsonb
    # keeps them as numeric and hands back different text for some (1e+20 comes back as an
    # integer), which would show an untouched row as broken. Store numbers as int or str.
    if isinstance(value, float):
        raise TypeError("Hash-chained JSON cannot hold floats; store an int or a string.")
    if isinstance(value, Mapping):
        return {str(key): _canonical_json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical_json_value(item) for item in value]
    if value is None or isinstance(value, str | int | bool):
        return value
    raise TypeError(f"Hash-chained JSON cannot hold {type(value).__name__} values.")


def _canonical_value(field: models.Field[Any, Any], value: Any) -> Any:
    """The value as stored, in one stable form: the same before the INSERT and when read back."""
    if value is None:
        return None
    if isinstance(field, models.JSONField):
        return _canonical_json_value(value)
    value = field.get_prep_value(value)  # e.g. IPv6 addresses in PostgreSQL's compressed form
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError(f"{field.name} is a naive datetime; hash-chained times are in UTC.")
        value = value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    elif isinstance(value, dt.date | dt.time):
        value = value.isoformat()
    elif isinstance(value, Decimal):
        # The column rounds to its decimal places; hash what it keeps.
        places = getattr(field, "decimal_places", None)
        value = str(value.quantize(Decimal(1).scaleb(-places)) if places is not None else value)
    elif not isinstance(value, float | str | int | bool):
        value = str(value)
    return value


def row_hash_of(model: type[HashChainedModel], values: Mapping[str, Any], prev_hash: str) -> str:
    """SHA-256 (hex) of a row's hashed fields (by name) and its prev_hash, as canonical JSON."""
    document = {
        "prev_hash": prev_hash,
        "fields": {
            name: _canonical_value(model._meta.get_field(name), values[name])  # type: ignore[arg-type]
            for name in model.hashed_fields
        },
    }
    text = json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _chain_schema(model: type[HashChainedModel]) -> str:
    return (
        get_public_schema_name() if model.chain_in_public_schema else school_connection.schema_name
    )


def _in_schema(schema: str) -> contextlib.AbstractContextManager[Any]:
    # Switching costs a `SET search_path` on the way in and out: skip it when already there.
    if school_connection.schema_name == schema:
        return contextlib.nullcontext()
    return schema_context(schema)


def chain_lock_key(schema: str, table: str, scope: str = "") -> int:
    """The advisory-lock key of one chain: each school's copy of a table is a chain of its own,
    and so is each scope of a table of several chains."""
    name = f"hashchain:{schema}.{table}" + (f"#{scope}" if scope else "")
    digest = hashlib.sha256(name.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _rows_of_chain(model: type[M], scope: str | None) -> models.QuerySet[M]:
    rows = model._default_manager.all()
    if model.chain_scope_field is not None and scope is not None:
        rows = rows.filter(**{model.chain_scope_field: scope})
    return rows


# The head of each table's chain, compiled once per process (a table of one chain; a scope is
# text, which a prepared query does not take).
_HEADS: dict[type[HashChainedModel], Prepared] = {}


def _chain_head(model: type[HashChainedModel], scope: str | None) -> str | None:
    """The row_hash of the chain's last row, or None for an empty chain."""
    if model.chain_scope_field is not None:
        head: str | None = (
            _rows_of_chain(model, scope).order_by("-pk").values_list("row_hash", flat=True).first()
        )
        return head
    query = _HEADS.get(model)
    if query is None:
        query = _HEADS[model] = Prepared(
            lambda: model._default_manager.order_by("-pk").values("row_hash")[:1],
            model,
            writing=True,
        )
    rows = query.rows()
    return rows[0]["row_hash"] if rows else None


def chain_scopes(model: type[HashChainedModel]) -> list[str | None]:
    """The chains of a table (in the current school, or in public): its scopes, or [None]."""
    if model.chain_scope_field is None:
        return [None]
    with _in_schema(_chain_schema(model)):
        values = (
            model._default_manager.order_by(model.chain_scope_field)
            .values_list(model.chain_scope_field, flat=True)
            .distinct()
        )
        return [cast(str, value) for value in values]


def chain_append(model: type[M], **fields: Any) -> M:
    """Inserts a row at the end of its chain (in the current school, or in public); for a table of
    several chains, the chain named by the row's scope field."""
    return chain_append_many(model, [fields])[0]


def chain_append_many(model: type[M], rows: Sequence[Mapping[str, Any]]) -> list[M]:
    """Inserts rows at the end of their chain, in the order given, each linked to the one before:
    one lock, one read of the chain's head and one INSERT, whatever their number (a concern's
    entries on each child's chronology and those of its attachments). Every row names the same
    chain (the same scope, for a table of several chains)."""
    if not rows:
        return []
    schema = _chain_schema(model)
    scopes = {str(r[model.chain_scope_field]) for r in rows} if model.chain_scope_field else {""}
    if len(scopes) != 1:
        raise ValueError("Rows appended together belong to one chain.")
    (scope,) = scopes
    # No savepoint of its own: an append that fails fails the caller's transaction anyway, and a
    # savepoint costs two round trips on every record written.
    with _in_schema(schema), transaction.atomic(savepoint=False):
        # Held until the surrounding transaction ends, so the next writer reads these rows as
        # their predecessors only once they are committed. The lock serialises every writer of
        # this chain (and of no other chain): callers append late in their transaction to hold
        # it briefly.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s)",
                [chain_lock_key(schema, model._meta.db_table, scope)],
            )
        prev_hash = _chain_head(model, scope or None) or GENESIS_HASH
        # Relations are left to the database's foreign keys: checking each one here would cost
        # a query per relation on every append.
        relations = [f.name for f in model._meta.fields if f.is_relation]
        made: list[M] = []
        for fields in rows:
            # Built after the lock is held, so a default such as occurred_at=timezone.now
            # follows the order of the chain.
            row = model(**fields, prev_hash=prev_hash)
            # Cleaned first: cleaning may convert values (to_python), and the hash must cover
            # the values that are saved.
            row.full_clean(
                exclude=["row_hash", *relations], validate_unique=False, validate_constraints=False
            )
            row.row_hash = row_hash_of(
                model,
                {name: row.serializable_value(name) for name in model.hashed_fields},
                row.prev_hash,
            )
            prev_hash = row.row_hash
            made.append(row)
        if len(made) == 1:
            made[0].save(force_insert=True)
        else:
            # One INSERT: ids are given in the order of the rows, the order of the chain.
            model._default_manager.bulk_create(made)
    return made


def chain_verify(
    model: type[HashChainedModel],
    scope: str | None = None,
    *,
    tombstones: Collection[int] | None = None,
) -> BrokenLink | None:
    """Walks one chain in id order (the scope's, for a table of several chains) and returns the
    first row that does not verify, or None; with no scope given, every chain of the table.

    `tombstones` are rows whose contents were lawfully erased (docs/rules.md, "Retention"): their
    stored row_hash cannot be recomputed from erased contents, so each is checked by its links
    alone. It must follow the row before it, and the row after it must name its stored hash, so a
    tombstone can be neither moved, nor removed, nor given another hash unnoticed. By default,
    the table's own `chain_tombstones()`."""
    if model.chain_scope_field is not None and scope is None:
        for each in chain_scopes(model):
            if (broken := chain_verify(model, each, tombstones=tombstones)) is not None:
                return broken
        return None
    names = model.hashed_fields
    if tombstones is None:
        with _in_schema(_chain_schema(model)):
            tombstones = model.chain_tombstones()
    columns = [model._meta.get_field(name).attname for name in names]  # type: ignore[union-attr]
    expected_prev = GENESIS_HASH
    with _in_schema(_chain_schema(model)):
        rows = (
            _rows_of_chain(model, scope)
            .order_by("pk")
            .values_list("pk", "prev_hash", "row_hash", *columns)
            .iterator(chunk_size=2000)
        )
        for pk, prev_hash, row_hash, *values in rows:
            if prev_hash != expected_prev:
                problem = (
                    "prev_hash is not the genesis hash"
                    if expected_prev == GENESIS_HASH
                    else "prev_hash does not match the row_hash of the row before it"
                )
                return BrokenLink(row_id=pk, problem=problem)
            if pk in tombstones:
                expected_prev = row_hash
                continue
            try:
                recomputed = row_hash_of(model, dict(zip(names, values, strict=True)), prev_hash)
            except (TypeError, ValueError):
                return BrokenLink(row_id=pk, problem="its contents cannot be hashed")
            if row_hash != recomputed:
                return BrokenLink(row_id=pk, problem="row_hash does not match its contents")
            expected_prev = row_hash
    return None
