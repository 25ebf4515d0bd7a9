"""`arrowtext` answers from an Arrow string array's buffers what Python answers cell by cell."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from xchange.arrowtext import compact, double_space, duplicated, edges, is_utf8, printable

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


def _utf8_like() -> st.SearchStrategy[bytes]:
    """Bytes near the edges of UTF-8: text, lead and continuation bytes, overlong forms,
    surrogates and code points beyond U+10FFFF, in long runs too (Arrow checks in blocks)."""
    pieces = [b"a", b"\x00", b"\x7f", *(bytes([b]) for b in (0x80, 0xBF, 0xC0, 0xC1, 0xC2))]
    pieces += [bytes([b]) for b in (0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF, 0x9F, 0xA0)]
    pieces += ["é€😀".encode(), b"x" * 70]
    return st.lists(st.sampled_from(pieces), max_size=12).map(b"".join) | st.binary()


@given(data=_utf8_like())
@pytest.mark.parametrize(
    "example",
    [b"", "Société".encode(), b"\xc0\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"ok\xe2\x82"],
)
def test_is_utf8_agrees_with_python(example: bytes, data: bytes) -> None:
    for candidate in (example, data, example + data):
        try:
            candidate.decode("utf-8")
        except UnicodeDecodeError:
            assert not is_utf8(candidate)
        else:
            assert is_utf8(candidate)


@given(
    cells=st.lists(st.none() | st.text(max_size=3), max_size=12),
    start=st.integers(0, 3),
    large=st.booleans(),
)
def test_edges_agree_with_python(cells: list[str | None], start: int, large: bool) -> None:
    # Slices too (a column below its header), empty and null cells at either end of the data.
    values = pa.array(cells, type=pa.large_string() if large else pa.string())[start:]
    text, first, last = edges(values)
    encoded = [(cell or "").encode() for cell in cells[start:]]
    assert text.tolist() == [bool(e) for e in encoded]
    assert first.tolist() == [e[0] if e else 0 for e in encoded]
    assert last.tolist() == [e[-1] if e else 0 for e in encoded]
