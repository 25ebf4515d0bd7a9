"""Text columns as Arrow string arrays: the few questions an import asks of every cell, answered
for a whole column at once.

A CSV's columns reach pandas as Arrow strings. Reading 100,000 cells one Python call at a time
costs more than the rest of a validation, so the readers ask Arrow (or the array's own buffers)
what is certain for most cells, and send only the others through their Python function of one
value, once per distinct value:

    values = arrow_text(column)            # None for a column pandas keeps as Python objects
    text, first, last = edges(values)      # non-empty cells, their first and last byte
    by_distinct(values.filter(mask), one, pa.string())
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa


def arrow_text(column: pd.Series) -> pa.Array | None:
    """The column's cells as one Arrow string array when pandas keeps them so (a CSV's columns,
    parsed text), else None (a form's typed cells, a workbook's mixed ones)."""
    dtype = column.dtype
    if not (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"):
        return None
    values = pa.array(column.array)
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def is_utf8(data: bytes) -> bool:
    """True when `data` is UTF-8, exactly as `data.decode("utf-8")` would find it: Arrow checks
    the bytes in place, without building a Python str (for 25 MB, 2 ms rather than 30)."""
    offsets = pa.array([0, len(data)], pa.int64()).buffers()[1]
    text = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def by_distinct(values: pa.Array, one: Callable[[object], object], type: pa.DataType) -> pa.Array:
    """`one` applied to each distinct non-null value of `values` once, as an array of `type`
    aligned with `values` (null where `values` is null)."""
    encoded = values.dictionary_encode()
    results = [one(value) for value in encoded.dictionary.to_pylist()]
    return pa.array(results, type=type).take(encoded.indices)


def to_numpy(values: pa.Array, null: object) -> np.ndarray:
    """`values` as numpy, nulls as `null`."""
    return values.fill_null(null).to_numpy(zero_copy_only=False)


def where(values: pa.Array, mask: np.ndarray) -> tuple[pa.Array, pa.Array]:
    """The cells of `values` where `mask` holds, and the mask as Arrow (for replace_with_mask)."""
    arrow_mask = pa.array(mask, type=pa.bool_())
    return values.filter(arrow_mask), arrow_mask


def _buffers(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The cells' byte offsets (len + 1 of them) into the UTF-8 data, both as numpy views."""
    if values.type not in (pa.string(), pa.large_string()):
        values = values.cast(pa.large_string())
    _, offsets_buffer, data_buffer = values.buffers()
    width = np.int64 if values.type == pa.large_string() else np.int32
    start = values.offset
    offsets = np.frombuffer(offsets_buffer, dtype=width)[start : start + len(values) + 1]
    if data_buffer is None:
        return offsets.astype(np.int64), np.zeros(0, dtype=np.uint8)
    return offsets.astype(np.int64), np.frombuffer(data_buffer, dtype=np.uint8)


def compact(values: pa.Array) -> pa.Array:
    """`values` with offsets that start at 0. A CSV column read below its header does not have
    them, and some pyarrow kernels misread such an array (pyarrow 26's ascii_lower writes NUL
    bytes), so a column handed on to other code is compacted first."""
    if len(values) and _buffers(values)[0][0] != 0:
        return pa.concat_arrays([values])
    return values


def edges(values: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each cell: whether it holds text (not null, not empty), and its first and last byte
    (0 for a cell without text). In UTF-8 a byte below 0x80 is a whole ASCII character, so
    these say what `str.strip()` would find at each end of most cells."""
    count = len(values)
    if count == 0:
        empty = np.zeros(0, dtype=np.uint8)
        return np.zeros(0, dtype=bool), empty, empty
    offsets, data = _buffers(values)
    starts, ends = offsets[:-1], offsets[1:]
    text = ends > starts
    if values.null_count:
        text &= to_numpy(values.is_valid(), False)
    if not len(data):
        return text, np.zeros(count, dtype=np.uint8), np.zeros(count, dtype=np.uint8)
    # Read at every cell's ends, then blank the cells without text: faster than picking the
    # cells with text out first (an empty cell's index may fall outside the data, hence clip).
    first = data.take(starts, mode="clip")
    last = data.take(ends - 1, mode="clip")
    if not text.all():
        first[~text] = 0
        last[~text] = 0
    return text, first, last


def printable(byte: np.ndarray) -> np.ndarray:
    """True for a byte that is a printable ASCII character other than a space (`!` to `~`)."""
    return (byte >= 0x21) & (byte <= 0x7E)


def double_space(values: pa.Array) -> np.ndarray:
    """True for each cell holding two spaces in a row."""
    count = len(values)
    if count == 0:
        return np.zeros(0, dtype=bool)
    offsets, data = _buffers(values)
    found = np.zeros(count, dtype=bool)
    pairs = np.flatnonzero((data[:-1] == 0x20) & (data[1:] == 0x20))
    pairs = pairs[(pairs >= offsets[0]) & (pairs + 1 < offsets[-1])]
    if len(pairs):
        rows = np.searchsorted(offsets, pairs, side="right") - 1
        inside = pairs + 1 < offsets[rows + 1]  # both spaces in the same cell
        found[rows[inside]] = True
    if values.null_count:
        found &= to_numpy(values.is_valid(), False)
    return found


def duplicated(values: pa.Array) -> np.ndarray:
    """True for each cell whose value (null included) appeared in an earlier cell, as pandas'
    `duplicated(keep="first")` says, from Arrow's dictionary encoding."""
    codes = to_numpy(values.dictionary_encode().indices, -1)
    repeated = np.zeros(len(codes), dtype=bool)
    known = codes >= 0
    if known.any():
        # Codes are numbered in order of first appearance: a value is new exactly where its
        # code exceeds every code before it.
        seen = codes[known]
        before = np.maximum.accumulate(np.concatenate(([-1], seen[:-1])))
        repeated[known] = seen <= before
    nulls = ~known
    repeated[nulls] = np.cumsum(nulls)[nulls] > 1
    return repeated


__all__ = [
    "arrow_text",
    "by_distinct",
    "compact",
    "double_space",
    "duplicated",
    "edges",
    "is_utf8",
    "printable",
    "to_numpy",
    "where",
]
