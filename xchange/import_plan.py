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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from xchange.filereader import VERSION, ReadResult
from xchange.lookup import CHUNK, keyed_rows
from xchange.models import Exchange, Organisation, Person
from xchange.parsing import Issue, field_label
from xchange.rules import RuleContext
from xchange.service import _DERIVED, _LOGGED  # what every write path copies onto a record

EXCHANGE = SQLModel.metadata.tables["exchange"]
AUDIT = SQLModel.metadata.tables["audit_event"]
# What an import sets on a record: the logged values, the resolved ids, the derived facts.
IMPORTED = ("partnership_id", *_LOGGED, "visitor_org_id", "host_org_id", "representative_id")
STORED = (*IMPORTED, *_DERIVED)
DATE_VALUES = ("start_date", "end_date")
PSEUDONYM = re.compile(r"person-[0-9a-f]{10}")


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
# The id of an organisation or person the import will create, until the writer inserts it.
NEW_ID = -1


@dataclass
class OrgPlan:
    """Organisations the rows name: stored ids by key, new ones, profiles to bring up to date."""

    ids: dict[str, int] = field(default_factory=dict)  # "name_key|CC" -> stored id
    new: pd.DataFrame = field(default_factory=pd.DataFrame)  # key, name, name_key, type...
    profiles: list[tuple[int, str, bool]] = field(default_factory=list)  # id, type, is_sme


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
    kept_people = _pseudonyms(table, ids, stored, issues)
    kept_people.update(_own_people(session, table, stored, kept_people))
    refused = _error_rows(issues, table.index)
    rows = table.index.difference(pd.Index(sorted(refused)))
    kept_people = {row: person for row, person in kept_people.items() if row in rows}
    orgs = _organisations(ctx, table.loc[rows])
    people, person_ids = _people(session, table.loc[rows, "representative"].drop(kept_people))
    values = _values(table.loc[rows], orgs, person_ids)
    if kept_people:
        rows_kept = pd.Index(list(kept_people), dtype=values.index.dtype)
        values.loc[rows_kept, "representative_id"] = pd.Series(kept_people, dtype=object)
        values.loc[rows_kept, "representative"] = None
    existing = table.loc[rows, "exchange_id"].notna()
    updates = rows[existing.to_numpy()]
    before = stored.loc[updates]
    changed = _changed(values.loc[updates], before)
    unchanged = updates.difference(changed)
    writes = rows.difference(unchanged)
    return ImportPlan(
        table=table,
        issues=issues,
        refused=refused,
        create=rows[~existing.to_numpy()],
        update=changed,
        unchanged=unchanged,
        values=values.loc[writes],
        stored=before.loc[changed],
        orgs=orgs,
        people=people,
        partnership_ids={int(p) for p in values.loc[writes, "partnership_id"]},
    )


def _length_issues(table: pd.DataFrame) -> list[Issue]:
    """An error for each text longer than its column holds (PostgreSQL would refuse it)."""
    issues = []
    for name, limit in MAX_LENGTHS.items():
        lengths = table[name].str.len()
        for row in table.index[(lengths > limit).fillna(False).to_numpy(dtype=bool)]:
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


def _stored(session: Session, ids: pd.Series) -> pd.DataFrame:
    """The stored records that rows rewrite, in audit spelling, indexed like `ids` (by row)."""
    columns = ("id", "version", "import_batch_id", *STORED)
    wanted = sorted(set(ids.tolist()))
    frame = fetch_exchanges(session.connection(), columns, wanted)
    complete = len(frame) == len(wanted)
    frame = frame.set_index("id", drop=False).reindex(ids.to_numpy())
    frame.index = ids.index
    # A record gone meanwhile leaves NaN cells: spell them None like every other blank.
    return frame if complete else objects(frame)


def fetch_exchanges(
    connection: sa.Connection, columns: tuple[str, ...], ids: list[int]
) -> pd.DataFrame:
    """Stored exchanges by id, in audit spelling (ISO dates), plain values, dtype object."""
    select = f"SELECT {', '.join(columns)} FROM exchange"  # noqa: S608 (our own names)
    rows = keyed_rows(connection, select, "id", ids)
    frame = pd.DataFrame(rows, columns=list(columns), dtype=object)
    # Straight from the driver: SQLite gives booleans as 0/1 and dates as ISO text already.
    for name in columns:
        kind = EXCHANGE.c[name].type
        if isinstance(kind, sa.Boolean):
            frame[name] = [None if v is None else bool(v) for v in frame[name]]
        elif isinstance(kind, sa.Date):
            frame[name] = [
                d if d is None or isinstance(d, str) else d.isoformat() for d in frame[name]
            ]
    return objects(frame)


def _version_issues(
    session: Session, source: ReadResult, table: pd.DataFrame, ids: pd.Series, stored: pd.DataFrame
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
    now = stored["version"]
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
    session: Session, table: pd.DataFrame, stored: pd.DataFrame, kept: dict[int, int]
) -> dict[int, int]:
    """Rows naming their record's own representative keep that person (row -> person id):
    two people may share a name, and a re-import must not swap one for the other."""
    person = stored["representative_id"].dropna().astype(int)
    person = person[~person.index.isin(list(kept))]
    if person.empty:
        return {}
    rows = keyed_rows(session.connection(), "SELECT id, name FROM person", "id", person.tolist())
    names: dict[int, str] = dict(rows)  # type: ignore[arg-type]
    given: dict[Any, Any] = table["representative"].to_dict()
    return {
        int(row): int(pid)
        for row, pid in dict[Any, Any](person.to_dict()).items()
        if row in given and names.get(int(pid)) == given[row]
    }


def _pseudonyms(
    table: pd.DataFrame, ids: pd.Series, stored: pd.DataFrame, issues: list[Issue]
) -> dict[int, int]:
    """Rows whose representative is an export's pseudonym: the stored person where it is that
    record's own (returned, row -> person id), else an error (appended)."""
    from xchange.export import pseudonym

    names = table["representative"]
    marked = names.str.fullmatch(PSEUDONYM.pattern).fillna(False)
    if not marked.any():
        return {}
    person = stored["representative_id"]
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
    return kept


def _organisations(ctx: RuleContext, table: pd.DataFrame) -> OrgPlan:
    """Organisations by (name key, country): stored ones, new ones, profiles that changed.

    As `service.upsert_organisation` leaves them after writing the rows in order, a new
    organisation keeps its first spelling, and every organisation the last row's type and SME
    flag. The stored ones come from the rules' context, which read every organisation the
    table names.
    """
    sides = [
        pd.DataFrame(
            {
                "key": table[f"{side}_key"].to_numpy(dtype=object),
                "name": table[f"{side}_organisation"].to_numpy(dtype=object),
                "type": table[f"{side}_type"].to_numpy(dtype=object),
                "country": table[f"{side}_country"].to_numpy(dtype=object),
                "is_sme": table[f"{side}_is_sme"].to_numpy(dtype=bool, na_value=False),
                "order": np.arange(len(table)) * 2 + offset,
            }
        )
        for offset, side in enumerate(("visitor", "host"))
    ]
    named = pd.concat(sides, ignore_index=True).sort_values("order", kind="stable")
    named = named[named["key"].notna()]
    first = named.drop_duplicates("key", keep="first").set_index("key")
    last = named.drop_duplicates("key", keep="last").set_index("key").reindex(first.index)
    keys = first.index.to_numpy(dtype=object)
    known = np.fromiter((key in ctx.org_ids for key in keys), dtype=bool, count=len(keys))
    plan = OrgPlan(ids={key: ctx.org_ids[key] for key in keys[known]})
    kinds = last["type"].to_numpy(dtype=object)[known]
    smes = last["is_sme"].to_numpy(dtype=bool)[known]
    for key, kind, sme in zip(keys[known], kinds, smes, strict=True):
        if ctx.profiles[key] != (kind, bool(sme)):
            plan.profiles.append((ctx.org_ids[key], kind, bool(sme)))
    new = first[~known]
    plan.new = pd.DataFrame(
        {
            "key": new.index.to_numpy(dtype=object),
            "name": new["name"].to_numpy(dtype=object),
            # A key is "name_key|CC": the country code is always two letters.
            "name_key": np.array([str(key)[:-3] for key in new.index], dtype=object),
            "type": last["type"][~known].to_numpy(dtype=object),
            "country": new["country"].to_numpy(dtype=object),
            "is_sme": last["is_sme"][~known].to_numpy(dtype=bool),
        }
    )
    return plan


def _people(session: Session, names: pd.Series) -> tuple[list[str], dict[str, int]]:
    """New representatives' names, and stored ones' ids (the first person with the name)."""
    wanted = sorted(set(names.dropna()))
    ids: dict[str, int] = {}
    for name, person_id in keyed_rows(
        session.connection(), "SELECT name, id FROM person", "name", wanted
    ):
        ids[name] = min(person_id, ids.get(name, person_id))
    return [name for name in wanted if name not in ids], ids


def _values(table: pd.DataFrame, orgs: OrgPlan, person_ids: dict[str, int]) -> pd.DataFrame:
    """The values each row stores, spelt as the audit trail spells them (object columns).

    An organisation or person still to be created has the id NEW_ID; `visitor_key`,
    `host_key` and `representative` say which, for the writer to fill in.
    """
    values: dict[str, np.ndarray] = {}
    for name in STORED:
        if name in table.columns and name not in DATE_VALUES:
            values[name] = plain(table[name])
    for name in DATE_VALUES:
        days = table[name].to_numpy().astype("datetime64[D]")
        texts = np.datetime_as_string(days, unit="D").astype(object)
        texts[np.isnat(days)] = None
        values[name] = texts
    for side in ("visitor", "host"):
        key = table[f"{side}_key"]
        values[f"{side}_key"] = plain(key)
        values[f"{side}_org_id"] = _lookup(key, orgs.ids).astype(object)
    names = table["representative"]
    person = _lookup(names, person_ids).astype(object)
    person[names.isna().to_numpy()] = None
    values["representative"] = plain(names)
    values["representative_id"] = person
    # dtype=object: pandas would otherwise turn text columns into its string type, blanks NaN.
    frame = pd.DataFrame(values, index=table.index, dtype=object)
    return frame[[*STORED, "visitor_key", "host_key", "representative"]]


def _lookup(column: pd.Series, ids: dict[str, int]) -> np.ndarray:
    """The id of each cell's key in `ids`, NEW_ID where it has none (a hash look-up per cell,
    without Series.map's element-by-element path for Arrow strings)."""
    known = pd.Index(list(ids), dtype=object)
    found = known.get_indexer(pd.Index(plain(column), dtype=object))
    table = np.array([*ids.values(), NEW_ID], dtype=np.int64)
    return table[np.where(found < 0, len(table) - 1, found)]


def plain(column: pd.Series) -> np.ndarray:
    """Python values (int, float, bool, str) with None for blanks, as JSON and drivers take."""
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "iub":  # never blank
        return column.to_numpy(dtype=object)
    values = column.to_numpy(dtype=object, copy=True)
    blank = column.isna().to_numpy(dtype=bool)  # NaN, NaT and pd.NA alike
    if blank.any():
        values[blank] = None
    return values


def objects(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with plain Python values and None for blanks in every column (dtype object)."""
    columns = {name: plain(frame[name]) for name in frame.columns}
    return pd.DataFrame(columns, index=frame.index, columns=frame.columns, dtype=object)


def _changed(new: pd.DataFrame, old: pd.DataFrame) -> pd.Index:
    """Rows of `new` that differ from `old` (same index) in any stored value."""
    differs = np.zeros(len(new), dtype=bool)
    for name in STORED:  # both hold plain values already (`_values`, `objects`)
        differs |= new[name].to_numpy(dtype=object) != old[name].to_numpy(dtype=object)
    return new.index[differs]


def iter_values(frame: pd.DataFrame, columns: Iterable[str]) -> Iterator[tuple[Any, ...]]:
    """Rows of `frame`'s `columns` as tuples of plain Python values."""
    return zip(*(frame[name].tolist() for name in columns), strict=True)
