"""Which organisation each row of an import names: a stored one (by name key and country, as
the rules' context found them) or a new one the writer creates, and the stored profiles the rows
bring up to date."""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.arrays import ArrowStringArray

from xchange.plaincolumns import arrow_column, encode, rows_at
from xchange.register.context import RuleContext

# How pandas stores a column of Python strings (its `str` dtype, Arrow-backed, by default).
TEXT = pd.Series(np.array(["text"], dtype=object)).dtype

# The id of an organisation or person the import will create, until the writer inserts it.
NEW_ID = -1


@dataclass
class OrgPlan:
    """Organisations the rows name: stored ids by key, new ones, profiles to bring up to date."""

    ids: dict[str, int] = field(default_factory=dict)  # "name_key|CC" -> stored id
    new: pd.DataFrame = field(default_factory=pd.DataFrame)  # key, name, name_key, type...
    profiles: list[tuple[int, str, bool]] = field(default_factory=list)  # id, type, is_sme


def resolve_organisations(
    ctx: RuleContext, table: pd.DataFrame, at: np.ndarray | None
) -> tuple[OrgPlan, dict[str, np.ndarray]]:
    """Organisations by (name key, country): stored ones, new ones, profiles that changed;
    with each row's `visitor_org_id` and `host_org_id` (NEW_ID for a new organisation) and
    `visitor_new` and `host_new` (that organisation's row in `OrgPlan.new`), by name.

    As `service.upsert_organisation` leaves them after writing the rows in order, a new
    organisation keeps its first spelling, and every organisation the last row's type and SME
    flag. The stored ones come from the rules' context, which read every organisation the
    table names.
    """
    # The cells in the order the rows write them, row by row, visitor then host: a cell's
    # position is row * 2 + side. Each key is numbered once, in the order of its first cell.
    codes, dictionary = encode(_interleaved(table, "key", at))
    cells = np.flatnonzero(codes >= 0)
    first = cells[np.diff(np.maximum.accumulate(codes[cells]), prepend=-1) > 0]
    last = np.zeros(len(dictionary), dtype=np.int64)
    np.maximum.at(last, codes[cells], cells)
    ids = _stored_ids(ctx.org_ids, dictionary)
    known = ids != NEW_ID
    smes = _sme_cells(table, at, last)
    plan = OrgPlan()
    if known.any():  # only the stored organisations' keys are needed as Python strings
        keys = dictionary.filter(pa.array(known)).to_numpy(zero_copy_only=False)
        plan.ids = dict(zip(keys.tolist(), ids[known].tolist(), strict=True))
        plan.profiles = _profiles(ctx, keys, ids[known], table, at, last[known], smes[known])
    new = ~known
    new_keys = dictionary if not known.any() else dictionary.filter(pa.array(new))
    plan.new = pd.DataFrame(
        {
            "key": _text(new_keys),
            "name": _text(_cells(table, "organisation", at, first[new])),
            # A key is "name_key|CC": the country code is always two letters.
            "name_key": _text(pc.utf8_slice_codeunits(new_keys, 0, -3)),
            "type": _text(_cells(table, "type", at, last[new])),
            "country": _text(_cells(table, "country", at, first[new])),
            "is_sme": smes[new],
        }
    )
    # A blank key (code -1, which np.take wraps to the last entry) gives None and NEW_ID.
    # The writer numbers new organisations by their row in `plan.new`: no key to look up.
    new_by_code = np.empty(len(new) + 1, dtype=object)  # None: a stored one, or a blank
    new_by_code[np.flatnonzero(new)] = np.arange(np.count_nonzero(new)).astype(object)
    id_by_code = np.append(ids, NEW_ID).astype(object)
    columns: dict[str, np.ndarray] = {}
    for side, cell in (("visitor", 0), ("host", 1)):
        side_codes = codes[cell::2]
        columns[f"{side}_new"] = np.take(new_by_code, side_codes, mode="wrap")
        columns[f"{side}_org_id"] = np.take(id_by_code, side_codes, mode="wrap")
    return plan, columns


def _stored_ids(stored: dict[str, int], keys: pa.Array) -> np.ndarray:
    """The stored id of each key (NEW_ID for a key not stored), matched by Arrow rather than
    by a dictionary look-up per key, so that the keys need not become Python strings."""
    ids = np.full(len(keys), NEW_ID, dtype=np.int64)
    if stored:
        where = pc.index_in(keys, value_set=pa.array(list(stored), type=keys.type))
        found = where.is_valid().to_numpy(zero_copy_only=False)
        stored_ids = np.fromiter(stored.values(), dtype=np.int64, count=len(stored))
        ids[found] = stored_ids[where.drop_null().to_numpy(zero_copy_only=False)]
    return ids


def _profiles(
    ctx: RuleContext,
    keys: np.ndarray,
    ids: np.ndarray,
    table: pd.DataFrame,
    at: np.ndarray | None,
    last: np.ndarray,
    smes: np.ndarray,
) -> list[tuple[int, str, bool]]:
    """(id, type, is SME) of each stored organisation whose last cells change its profile."""
    kinds = np.empty(len(last), dtype=object)
    host = last % 2 == 1
    for side, where in (("visitor", ~host), ("host", host)):
        rows = last[where] // 2
        column = table[f"{side}_type"].take(rows if at is None else at[rows])
        kinds[where] = column.to_numpy(dtype=object)
    before = list(map(ctx.profiles.__getitem__, keys.tolist()))
    kind_before = np.fromiter(map(itemgetter(0), before), dtype=object, count=len(before))
    sme_before = np.fromiter(map(itemgetter(1), before), dtype=bool, count=len(before))
    moved = (kind_before != kinds).astype(bool) | (sme_before != smes)
    return [
        (int(i), kind, bool(sme))
        for i, kind, sme in zip(ids[moved], kinds[moved], smes[moved], strict=True)
    ]


def _interleaved(table: pd.DataFrame, name: str, at: np.ndarray | None) -> pa.Array:
    """`visitor_{name}` and `host_{name}` as one Arrow array of cells, row by row."""
    visitor = arrow_column(table[f"visitor_{name}"], at)
    order = np.empty(2 * len(visitor), dtype=np.int64)
    order[0::2] = np.arange(len(visitor))
    order[1::2] = np.arange(len(visitor), 2 * len(visitor))
    both = pa.concat_arrays([visitor, arrow_column(table[f"host_{name}"], at)])
    return both.take(pa.array(order))


def _cells(table: pd.DataFrame, name: str, at: np.ndarray | None, cells: np.ndarray) -> pa.Array:
    """The `visitor_{name}` or `host_{name}` text at each cell (row * 2 + side)."""
    visitor = arrow_column(table[f"visitor_{name}"], at)
    # Taken from both columns as they are: concatenating them first would copy every text.
    both = pa.chunked_array([visitor, arrow_column(table[f"host_{name}"], at)], visitor.type)
    return both.take(pa.array(cells % 2 * len(visitor) + cells // 2)).combine_chunks()


def _sme_cells(table: pd.DataFrame, at: np.ndarray | None, cells: np.ndarray) -> np.ndarray:
    """The SME flag (a blank as False) at each cell (row * 2 + side)."""
    flags = [
        rows_at(table[f"{side}_is_sme"].to_numpy(dtype=bool, na_value=False), at)
        for side in ("visitor", "host")
    ]
    return np.where(cells % 2 == 1, flags[1][cells // 2], flags[0][cells // 2])


def _text(array: pa.Array) -> Any:
    """Text cells as a frame column: Arrow-backed where pandas would store the same strings
    as one (as it does a column of strings), else Python strings (pd.NA for a blank)."""
    text = ArrowStringArray(array.cast(pa.large_string()))
    arrow = isinstance(TEXT, pd.StringDtype) and TEXT.storage == "pyarrow"
    if arrow and len(array) and not array.null_count:
        return text.astype(TEXT)
    return text.to_numpy(dtype=object)


__all__ = ["NEW_ID", "OrgPlan", "resolve_organisations"]
