"""`arrowtext` answers from an Arrow string array's buffers what Python answers cell by cell."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from xchange.arrowtext import compact, double_space, duplicated, edges, printable

CELLS = ["Acme", " x ", "", None, "é", "a  b", "  ", "ab ", " a  b", "z"]


def arrays() -> list[pa.Array]:
    """The cells as plain, large and sliced arrays (a CSV column below its header)."""
    return [
        pa.array(CELLS),
        pa.array(CELLS, type=pa.large_string()),
        pa.array(["header", *CELLS]).slice(1).cast(pa.large_string()),
        pa.array(["a  b", *CELLS, "c  d"]).slice(1, len(CELLS)),
    ]


@pytest.mark.parametrize("values", arrays(), ids=["string", "large", "cast", "sliced"])
def test_edges_and_double_spaces(values: pa.Array) -> None:
    text, first, last = edges(values)
    assert text.tolist() == [bool(cell) for cell in CELLS]
    encoded = [(cell or "").encode() for cell in CELLS]
    assert first.tolist() == [e[0] if e else 0 for e in encoded]
    assert last.tolist() == [e[-1] if e else 0 for e in encoded]
    assert double_space(values).tolist() == ["  " in (cell or "") for cell in CELLS]


def test_printable_is_ascii_without_the_space() -> None:
    byte = np.arange(256, dtype=np.uint8)
    assert [chr(b) for b in byte[printable(byte)]] == [
        chr(c) for c in range(128) if chr(c).isprintable() and not chr(c).isspace()
    ]


def test_duplicated_as_pandas_says() -> None:
    cells = ["a", None, "b", "a", None, "c", "b", "", "", None]
    for values in (pa.array(cells), pa.array(["x", *cells]).slice(1)):
        expected = pd.Series(cells, dtype=object).duplicated(keep="first").tolist()
        assert duplicated(values).tolist() == expected


def test_compact_starts_the_offsets_at_zero() -> None:
    sliced = pa.array(["header", "Acme", "B"]).slice(1).cast(pa.large_string())
    compacted = compact(sliced)
    assert compacted.to_pylist() == ["Acme", "B"]
    assert np.frombuffer(compacted.buffers()[1], dtype=np.int64)[compacted.offset] == 0
