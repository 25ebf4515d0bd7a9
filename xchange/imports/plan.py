"""Deciding each imported row's fate against the register, without writing anything.

`build_plan` takes the validated table (`rules.validate`'s output, indexed by spreadsheet row)
and the issues found so far, and settles for every row: refused (it has an error), create (no
stored record under its partnership and reference), update (the stored record differs) or
unchanged. It adds the import's own errors: a stale `version`, an unreadable one, a pseudonym
where a name belongs. Organisations and representatives are resolved as the service resolves
them (`service.upsert_organisation`, `service.person_for`), for the whole table at once.

Values are kept as the audit trail spells them (`service.AUDITED`: dates as ISO text, ids as
integers), so that comparing with the stored record, writing and auditing use one form.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.compute as pc
import sqlalchemy as sa
from pandas.arrays import ArrowStringArray
from sqlmodel import Session, SQLModel

from xchange.db.lookup import CHUNK, keyed_rows
from xchange.imports.orgplan import NEW_ID, OrgPlan, resolve_organisations
from xchange.imports.reading import VERSION, ReadResult
from xchange.models import Exchange, Organisation, Person
from xchange.plaincolumns import (
    arrow_column,
    encode,
    iso_dates,
    plain,
    rows_at,
    with_blank,
)
from xchange.plaincolumns import objects as objects
from xchange.register.context import RuleContext
from xchange.register.parsing import Issue, field_label
from xchange.register.service import _DERIVED, _LOGGED  # what every write path copies onto a record

EXCHANGE = SQLModel.metadata.tables["exchange"]
AUDIT = SQLModel.metadata.tables["audit_event"]
# What an import sets on a record: the logged values, the resolved ids, the derived facts.
IMPORTED = ("partnership_id", *_LOGGED, "visitor_org_id", "host_org_id", "representative_id")
STORED = (*IMPORTED, *_DERIVED)
DATE_VALUES = ("start_date", "end_date")
PSEUDONYM = re.compile(r"person-[0-9a-f]{10}")
# How pandas stores a column of Python strings (its `str` dtype, Arrow-backed, by default).
TEXT = pd.Series(np.array(["text"], dtype=object)).dtype
# The stored values a plan resolves, rather than reads from the table.
RESOLVED = ("visitor_org_id", "host_org_id", "representative_id")
# What `ImportPlan.values` holds: the stored values, and which of the plan's new organisations
# (its row in `OrgPlan.new`) and people (the name) a row names.
VALUES = (*STORED, "visitor_new", "host_new", "representative")
# Text columns of few distinct values (enumerations, codes, quarters, names that recur).
REPEATED = frozenset(
    (
        "status",
        "modality",
        "visitor_type",
        "host_type",
        "visitor_country",
        "host_country",
        "visitor_community",
        "host_community",
        "ecosystem",
        "activity",
        "end_quarter",
    )
)


def _max_length(model: type[SQLModel], name: str) -> int:
    """The `max_length` a model gives a text field."""
    return next(
        int(m.max_length) for m in model.model_fields[name].metadata if hasattr(m, "max_length")
    )


# The longest text each column holds, as the models declare it.
MAX_LENGTHS = {
    "reference": _max_length(Exchange, "reference"),
    "visitor_organisation": _max_length(Organisation, "name"),
    "host_organisation": _max_length(Organisation, "name"),
    "representative": _max_length(Person, "name"),
    "cancellation_reason": _max_length(Exchange, "cancellation_reason"),
    "notes": _max_length(Exchange, "notes"),
}


@dataclass
class ImportPlan:
    """What an import will do, row by row; `values` holds the rows to create and update."""

    table: pd.DataFrame
    issues: list[Issue]
    refused: set[int]
    create: pd.Index
    update: pd.Index
    unchanged: pd.Index
    values: pd.DataFrame
    stored: pd.DataFrame
    orgs: OrgPlan
    people: list[str]
    partnership_ids: set[int]
    seconds: dict[str, float] = field(default_factory=dict)


def build_plan(
    session: Session,
    source: ReadResult,
    table: pd.DataFrame,
    issues: list[Issue],
    ctx: RuleContext,
) -> ImportPlan:
    """Each row's fate; `issues` are those found so far (reading, rules, permissions), `ctx`
    the context the rules ran with (its stored organisations are the ones the rows name)."""
    issues = list(issues) + _length_issues(table)
    # The import's own checks run on every row, so that each row's every error is listed.
    ids = table["exchange_id"].dropna().astype(int)
    stored = _stored(session, ids)
    issues += _version_issues(session, source, table, ids, stored)
    kept_people = _pseudonyms(table, stored, issues)
    kept_people = pd.concat([kept_people, _own_people(session, table, stored, kept_people)])
    refused = _error_rows(issues, table.index)
    rows = table.index.difference(pd.Index(sorted(refused)))
    # Positions, in `table`, of the rows that stay; None when every row stays, in order.
    at = None if rows.equals(table.index) else table.index.get_indexer(rows)
    kept_people = kept_people[~kept_people.index.isin(list(refused))]
    kept_at = rows.get_indexer(kept_people.index)
    orgs, values = resolve_organisations(ctx, table, at)
    people = _people(session, table["representative"], at, kept_at, values)
    _values(table, at, values)
    values["representative_id"][kept_at] = kept_people.to_numpy(dtype=object)
    values["representative"][kept_at] = None
    existing = table["exchange_id"].notna().to_numpy(dtype=bool)
    existing = existing if at is None else existing[at]
    updates = rows[existing]
    old = stored.rows.get_indexer(updates)
    differs = _differs(values, existing, stored, old)
    changed = updates[differs]
    unchanged = updates.difference(changed)
    writes = rows.difference(unchanged)
    if not writes.equals(rows):
        kept = rows.get_indexer(writes)
        values = {name: column[kept] for name, column in values.items()}
    return ImportPlan(
        table=table,
        issues=issues,
        refused=refused,
        create=rows[~existing],
        update=changed,
        unchanged=unchanged,
        values=pd.DataFrame({name: values[name] for name in VALUES}, index=writes, dtype=object),
        stored=stored.frame(old[differs]),
        orgs=orgs,
        people=people,
        partnership_ids={int(p) for p in set(values["partnership_id"].tolist())},
    )


def _length_issues(table: pd.DataFrame) -> list[Issue]:
    """An error for each text longer than its column holds (PostgreSQL would refuse it)."""
    issues = []
    for name, limit in MAX_LENGTHS.items():
        column = table[name]
        if isinstance(column.array, ArrowStringArray):
            # No text has more characters than bytes: most columns need no count at all.
            size = pc.binary_length(arrow_column(column))
            longest = pc.max(size).as_py()
            if longest is None or longest <= limit:
                continue
            column = column[size.fill_null(0).to_numpy(zero_copy_only=False) > limit]
        lengths = column.str.len()
        for row in column.index[(lengths > limit).fillna(False).to_numpy(dtype=bool)]:
            text = str(table.at[row, name])
            issues.append(
                Issue(
                    "too_long",
                    "error",
                    name,
                    text[:40] + "...",
                    f"{field_label(name)} is {len(text):,} characters long: at most {limit:,} fit",
                    int(row),
                )
            )
    return issues


def _error_rows(issues: list[Issue], index: pd.Index) -> set[int]:
    errors = [i for i in issues if i.severity == "error"]
    if any(i.row is None for i in errors):  # a problem with the whole file refuses every row
        return {int(r) for r in index}
    return {int(i.row) for i in errors if i.row is not None}


def chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class _Stored:
    """The stored records that rows rewrite, in audit spelling: a block of plain values, one
    row per `rows` (the rows that carry an exchange id), one column per `names`."""

    rows: pd.Index
    names: tuple[str, ...]
    block: np.ndarray

    def column(self, name: str) -> np.ndarray:
        return self.block[:, self.names.index(name)]

    def series(self, name: str) -> pd.Series:
        return pd.Series(self.column(name), index=self.rows, dtype=object)

    def frame(self, at: np.ndarray) -> pd.DataFrame:
        """The records at positions `at`, indexed by their rows."""
        return pd.DataFrame(
            self.block[at], index=self.rows[at], columns=list(self.names), dtype=object
        )


def _stored(session: Session, ids: pd.Series) -> _Stored:
    """The stored records that rows rewrite, aligned with `ids` (by row); a record gone
    meanwhile gives None in every column."""
    names = ("id", "version", "import_batch_id", *STORED)
    wanted = sorted(set(ids.tolist()))
    if wanted:
        block = _fetch_block(session.connection(), names, wanted)
    else:
        block = np.empty((0, len(names)), dtype=object)
    found = pd.Index(block[:, 0].astype(np.int64))
    at = found.get_indexer(pd.Index(ids.to_numpy()))
    if len(at) != len(found) or (at != np.arange(len(at))).any():
        extended = np.empty((len(found) + 1, len(names)), dtype=object)
        extended[:-1] = block
        block = extended[at]  # -1, a record gone meanwhile, takes the last row: all None
    return _Stored(rows=ids.index, names=names, block=block)


def fetch_exchanges(
    connection: sa.Connection, columns: tuple[str, ...], ids: list[int]
) -> pd.DataFrame:
    """Stored exchanges by id, in audit spelling (ISO dates), plain values, dtype object."""
    return pd.DataFrame(_fetch_block(connection, columns, ids), columns=list(columns), dtype=object)


def _fetch_block(connection: sa.Connection, columns: tuple[str, ...], ids: list[int]) -> np.ndarray:
    """Stored exchanges by id, one row each, in audit spelling: booleans as bool (SQLite gives
    0/1), dates as ISO text (SQLite gives text already), every blank as None."""
    select = f"SELECT {', '.join(columns)} FROM exchange"  # noqa: S608 (our own names)
    rows = keyed_rows(connection, select, "id", ids)
    block = np.empty((len(rows), len(columns)), dtype=object)
    if rows:
        block[:] = rows  # the driver's tuples copied at once: a tenth of a row-wise frame's cost
    for j, name in enumerate(columns):
        kind = EXCHANGE.c[name].type
        kind = getattr(kind, "impl_instance", kind)  # AutoString and the like: their base type
        values = block[:, j]
        if isinstance(kind, sa.Boolean):
            blank = pd.isna(values)
            values[:] = values.astype(bool)
            values[blank] = None
        elif isinstance(kind, sa.Date):
            if not set(map(type, values)) <= {str, type(None)}:
                values[:] = [
                    d if d is None or isinstance(d, str) else d.isoformat() for d in values
                ]
        elif not isinstance(kind, (sa.Integer, sa.String)):  # a float may be NaN: a blank
            values[pd.isna(values)] = None
    return block


def _version_issues(
    session: Session, source: ReadResult, table: pd.DataFrame, ids: pd.Series, stored: _Stored
) -> list[Issue]:
    """An error for each unreadable version, and for each row whose record changed since."""
    if not source.has_version:
        return []
    text = source.frame[VERSION].astype("string").str.strip().loc[table.index]
    number = pd.to_numeric(text.str.replace(r"\.0+$", "", regex=True), errors="coerce")
    bad = text.notna() & text.ne("") & ~(number.notna() & (number % 1 == 0) & (number >= 1))
    issues = [
        Issue(
            "unreadable_version",
            "error",
            VERSION,
            str(text[row]),
            f"Version {text[row]!r} is not a record version (a whole number): leave the cell "
            "as exported, or empty it to make this row overwrite the register",
            int(row),
        )
        for row in table.index[bad.to_numpy()]
    ]
    given = number.loc[ids.index]
    now = stored.series("version")
    stale = given.notna() & given.ne(now.astype(float))
    fields = _changed_since(session, ids[stale], given[stale])
    for row in ids.index[stale.to_numpy()]:
        moved = fields.get(int(ids[row]), [])
        what = f" ({', '.join(field_label(f) for f in moved)} changed)" if moved else ""
        issues.append(
            Issue(
                "stale_record",
                "error",
                VERSION,
                str(int(given[row])),
                f"{table.at[row, 'partnership']!s}/{table.at[row, 'reference']!s} changed in the "
                f"register since this file was exported: version {int(given[row])} in the "
                f"file, {int(now[row])} now{what}. Export it again and redo the change, or "
                "empty the version cell to overwrite the register with this row",
                int(row),
            )
        )
    return issues


def _changed_since(session: Session, ids: pd.Series, versions: pd.Series) -> dict[int, list[str]]:
    """For each stale record, the fields changed after the file's version (audit trail)."""
    since = dict(zip(ids.astype(int).tolist(), versions.astype(int).tolist(), strict=True))
    fields: dict[int, list[str]] = {}
    for chunk in chunks(sorted(since)):
        events = session.connection().execute(
            sa.select(AUDIT.c.entity_id, AUDIT.c.changes)
            .where(AUDIT.c.entity == "exchange", AUDIT.c.entity_id.in_(chunk))
            .order_by(AUDIT.c.id)
        )
        for entity_id, changes in events:
            version = (changes or {}).get("version", [None, None])[1]
            if isinstance(version, int) and version > since[entity_id]:
                names = fields.setdefault(entity_id, [])
                for name in changes:
                    if name not in ("version", "import_batch_id") and name not in names:
                        names.append(name)
    return fields


def _own_people(
    session: Session, table: pd.DataFrame, stored: _Stored, kept: pd.Series
) -> pd.Series:
    """Rows naming their record's own representative keep that person (row -> person id):
    two people may share a name, and a re-import must not swap one for the other."""
    person = stored.series("representative_id").dropna().astype(int)
    person = person[~person.index.isin(kept.index)]
    if person.empty:
        return _no_people()
    rows = keyed_rows(session.connection(), "SELECT id, name FROM person", "id", person.tolist())
    found = pd.Index(np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)))
    names = np.array([r[1] for r in rows] + [None], dtype=object)
    at = found.get_indexer(pd.Index(person.to_numpy()))
    given = plain(table["representative"])[table.index.get_indexer(person.index)]
    same = (names[at] == given).astype(bool)
    return person[same]


def _no_people() -> pd.Series:
    """No row keeps a person: an empty row -> person id series."""
    return pd.Series(np.empty(0, dtype=np.int64), index=pd.Index([], dtype=np.int64))


def _pseudonyms(table: pd.DataFrame, stored: _Stored, issues: list[Issue]) -> pd.Series:
    """Rows whose representative is an export's pseudonym: the stored person where it is that
    record's own (returned, row -> person id), else an error (appended)."""
    from xchange.exports.exchanges import pseudonym

    names = table["representative"]
    if not _any_starts_with(names, "person-"):  # a tenth of a regex's time
        return _no_people()
    marked = names.str.fullmatch(PSEUDONYM.pattern).fillna(False)
    person = stored.series("representative_id")
    kept: dict[int, int] = {}
    for row in names.index[marked.to_numpy()]:
        own = person.get(row)
        if own is not None and not pd.isna(own) and pseudonym(int(own)) == names[row]:
            kept[int(row)] = int(own)
            continue
        issues.append(
            Issue(
                "pseudonym_representative",
                "error",
                "representative",
                str(names[row]),
                f"Representative {names[row]!r} is a pseudonym from an export without personal "
                "data, not a name: write the name, or leave the cell empty",
                int(row),
            )
        )
    if not kept:
        return _no_people()
    return pd.Series(list(kept.values()), index=pd.Index(list(kept), dtype=np.int64))


def _any_starts_with(texts: pd.Series, prefix: str) -> bool:
    """Whether any text in `texts` starts with `prefix`."""
    if isinstance(texts.array, ArrowStringArray):  # Arrow answers without a pandas mask
        return bool(pc.any(pc.starts_with(arrow_column(texts), prefix)).as_py())
    return bool(texts.str.startswith(prefix).fillna(False).any())


def _people(
    session: Session,
    names: pd.Series,
    at: np.ndarray | None,
    kept: np.ndarray,
    values: dict[str, np.ndarray],
) -> list[str]:
    """New representatives' names; each row's `representative` and `representative_id` go in
    `values`: a stored person's id (the first with the name), NEW_ID for one to create, None
    for no one. Rows at `kept` keep their record's person: their names are not looked up."""
    codes, dictionary = encode(arrow_column(names, at))
    distinct = dictionary.to_numpy(zero_copy_only=False)
    asked = np.zeros(len(distinct) + 1, dtype=bool)  # the last entry: blank cells (code -1)
    asked[np.delete(codes, kept) if len(kept) else codes] = True
    wanted = sorted(distinct[asked[:-1]].tolist())
    ids: dict[str, int] = {}
    for name, person_id in keyed_rows(
        session.connection(), "SELECT name, id FROM person", "name", wanted
    ):
        ids[name] = min(person_id, ids.get(name, person_id))
    by_name = np.array([*(ids.get(name, NEW_ID) for name in distinct.tolist()), None], dtype=object)
    values["representative_id"] = np.take(by_name, codes, mode="wrap")
    values["representative"] = np.take(with_blank(distinct), codes, mode="wrap")
    return [name for name in wanted if name not in ids]


def _values(table: pd.DataFrame, at: np.ndarray | None, values: dict[str, np.ndarray]) -> None:
    """Write each row's stored values but the resolved ids into `values`, spelt as the audit
    trail spells them."""
    for name in STORED:
        if name in RESOLVED or name in DATE_VALUES:
            continue
        column = table[name]
        if name in REPEATED and isinstance(column.array, ArrowStringArray):
            codes, dictionary = encode(arrow_column(column, at))
            distinct = with_blank(dictionary.to_numpy(zero_copy_only=False))
            values[name] = np.take(distinct, codes, mode="wrap")
        else:
            values[name] = rows_at(plain(column), at)
    for name in DATE_VALUES:
        days = rows_at(table[name].to_numpy().astype("datetime64[D]"), at)
        values[name] = iso_dates(days)


def _differs(
    values: dict[str, np.ndarray], rows: np.ndarray, stored: _Stored, at: np.ndarray
) -> np.ndarray:
    """Which of `rows` (a mask) have values that differ from the stored record (rows `at`)."""
    every = bool(rows.all())
    aligned = len(at) == len(stored.rows) and bool((at == np.arange(len(at))).all())
    differs = np.zeros(len(at), dtype=bool)
    for name in STORED:  # both hold plain values already
        new = values[name]
        old = stored.column(name)
        differs |= (new if every else new[rows]) != (old if aligned else old[at])
    return differs
