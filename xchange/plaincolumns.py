"""Table columns as plain Python values (the audit trail's spelling) and as Arrow arrays.

An import plan holds plain values: int, float, bool, str, ISO dates as text, None for every
blank, the form JSON, the drivers and the comparison with stored records take alike. The
conversions here spell a value that recurs once, so that a column of 100,000 cells costs few
Python objects.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.arrays import ArrowStringArray


def iso_dates(days: np.ndarray) -> np.ndarray:
    """Each day (datetime64[D]) as ISO text, None for NaT; each day spelt once."""
    codes, distinct = pd.factorize(days.view(np.int64))
    dates = distinct.view("datetime64[D]")
    texts = np.datetime_as_string(dates, unit="D").astype(object)
    texts[np.isnat(dates)] = None
    return np.take(texts, codes)


def rows_at(values: np.ndarray, at: np.ndarray | None) -> np.ndarray:
    return values if at is None else values[at]


def with_blank(values: np.ndarray) -> np.ndarray:
    """`values` (dtype object) and None after them, where a code of -1 points."""
    extended = np.empty(len(values) + 1, dtype=object)
    extended[:-1] = values
    extended[-1] = None
    return extended


def arrow_column(column: pd.Series, at: np.ndarray | None = None) -> pa.Array:
    """A text column as one Arrow array (no copy when Arrow holds it already), rows `at`."""
    if isinstance(column.array, ArrowStringArray):
        array = pa.array(column.array)
    else:
        array = pa.array(plain(column), type=pa.large_string())
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array if at is None else array.take(pa.array(at))


def encode(array: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Each cell's code (-1 for a blank) and the distinct values, in order of first cell."""
    encoded = array.dictionary_encode()
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, encoded.dictionary


def plain(column: pd.Series) -> np.ndarray:
    """Python values (int, float, bool, str) with None for blanks, as JSON and drivers take."""
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "iub":  # never blank
        return column.to_numpy(dtype=object)
    if isinstance(column.array, ArrowStringArray):  # Arrow gives str and None directly
        return np.asarray(arrow_column(column).to_numpy(zero_copy_only=False), dtype=object)
    values = column.to_numpy(dtype=object, copy=True)
    blank = column.isna().to_numpy(dtype=bool)  # NaN, NaT and pd.NA alike
    if blank.any():
        values[blank] = None
    return values


def objects(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with plain Python values and None for blanks in every column (dtype object)."""
    columns = {name: plain(frame[name]) for name in frame.columns}
    return pd.DataFrame(columns, index=frame.index, columns=frame.columns, dtype=object)
