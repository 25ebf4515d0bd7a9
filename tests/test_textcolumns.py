"""`textcolumns` answers for a whole Arrow column what Python answers cell by cell."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xchange.textcolumns import blank, double_space, is_utf8, starts_with, stripped

CELLS = [
    "Acme",
    " x ",
    "",
    None,
    "é",
    "a  b",
    "  ",
    "ab ",
    " a  b",
    "z",
    "\x1cq\x1f",
    "\u3000é\xa0",
]


def arrays() -> list[pa.Array]:
    """The cells as plain, large and sliced arrays (a CSV column below its header)."""
    return [
        pa.array(CELLS),
        pa.array(CELLS, type=pa.large_string()),
        pa.array(["header", *CELLS]).slice(1).cast(pa.large_string()),
        pa.array(["a  b", *CELLS, "c  d"]).slice(1, len(CELLS)),
    ]


@pytest.mark.parametrize("values", arrays(), ids=["string", "large", "cast", "sliced"])
def test_cells_stripped_blank_and_double_spaces(values: pa.Array) -> None:
    assert stripped(values).to_pylist() == [(c or "").strip() or None for c in CELLS]
    assert blank(values).tolist() == [not (c or "").strip() for c in CELLS]
    assert double_space(values).tolist() == ["  " in (c or "") for c in CELLS]
    assert starts_with(values, " ").tolist() == [(c or "").startswith(" ") for c in CELLS]


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


@settings(max_examples=200, deadline=None)
@given(
    cells=st.lists(st.none() | st.text(max_size=4), max_size=12),
    start=st.integers(0, 3),
    large=st.booleans(),
)
def test_stripped_and_blank_agree_with_python(
    cells: list[str | None], start: int, large: bool
) -> None:
    # Slices too (a column below its header), every whitespace Python knows at either end.
    values = pa.array(cells, type=pa.large_string() if large else pa.string())[start:]
    kept = cells[start:]
    assert stripped(values).to_pylist() == [(c or "").strip() or None for c in kept]
    assert blank(values).tolist() == [not (c or "").strip() for c in kept]
