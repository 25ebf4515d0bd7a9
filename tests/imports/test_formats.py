"""Every spreadsheet program's files: `.xls`, `.xlsb` and `.ods` read as the `.xlsx` does,
recognised by content whatever their name, and each format's hostile files refused before
calamine reads them (and, through the guarded reader, with one sentence)."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from tests.imports.formats import (
    ODS_MIMETYPE,
    ods_bytes,
    ods_from_rows,
    ods_text_row,
    xls_bytes,
    xls_with_dimensions,
    xlsb_bytes,
    xlsb_far_cell,
)
from tests.imports.test_importer import BASE, Register, make_register, rows, xlsx_bytes
from xchange.db import engine as db
from xchange.imports import guarded
from xchange.imports.files import read_file
from xchange.imports.guarded import read_untrusted
from xchange.imports.importer import annotated_copy, annotated_name, run_import
from xchange.imports.kinds import kind_of
from xchange.imports.limits import FileRefused, Limits

WRITERS: dict[str, Callable[[list[list[Any]]], bytes]] = {
    "xlsx": lambda cells: xlsx_bytes({"exchanges": cells}),
    "xls": xls_bytes,
    "xlsb": xlsb_bytes,
    "ods": ods_bytes,
}


def typed_cells(records: list[dict[str, str]]) -> list[list[Any]]:
    """The header and `records` as a spreadsheet program holds them: dates as dates, the
    distance as a number, everything else as text."""
    header = list(BASE)
    body = []
    for one in records:
        values: list[Any] = []
        for name in header:
            text = one[name]
            if name.endswith("_date"):
                values.append(date.fromisoformat(text))
            elif name == "distance_km":
                values.append(float(text))
            else:
                values.append(text or None)
        body.append(values)
    return [header, *body]


@pytest.fixture
def register(engine: Engine) -> Register:
    return make_register(engine)


@pytest.mark.parametrize("kind", ["xls", "xlsb", "ods"])
def test_each_format_reads_as_the_xlsx_does(kind: str) -> None:
    cells = typed_cells(rows(3, lump_sum_eur="550"))
    expected = read_file(WRITERS["xlsx"](cells), "exchanges.xlsx")
    got = read_file(WRITERS[kind](cells), f"exchanges.{kind}")
    assert (got.kind, got.sheet, got.rows) == (kind, "exchanges", 3)
    assert got.describe() == f"{kind.upper()}, sheet 'exchanges', 3 rows"
    assert got.frame.astype(str).to_dict() == expected.frame.astype(str).to_dict()


def test_an_xls_an_xlsb_and_an_ods_import_to_the_same_figures_as_the_xlsx(
    register: Register,
) -> None:
    cells = typed_cells(rows(4) + [{**rows(5)[4], "status": "confirmed"}])
    first = register.load(WRITERS["xlsx"](cells), "exchanges.xlsx")
    assert (first.rows_created, first.errors) == (5, [])
    stored = {r: (x.status, x.end_date, x.lump_sum_cents) for r, x in register.exchanges().items()}
    for kind in ("xls", "xlsb", "ods"):
        again = register.load(WRITERS[kind](cells), f"exchanges.{kind}")
        # Every row reads to the values stored from the .xlsx: nothing to write.
        assert (again.rows_unchanged, again.rows_updated, again.errors) == (5, 0, []), kind
    assert {
        r: (x.status, x.end_date, x.lump_sum_cents) for r, x in register.exchanges().items()
    } == stored


@pytest.mark.parametrize("kind", ["xlsx", "xls", "xlsb", "ods"])
@pytest.mark.parametrize("name", ["exchanges.csv", "exchanges.xlsx", "exchanges"])
def test_the_content_decides_not_the_name(kind: str, name: str) -> None:
    data = WRITERS[kind](typed_cells(rows(1)))
    assert kind_of(data, name) == kind
    assert read_file(data, name).rows == 1


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("x.xls", "x.xls is not a readable Excel 97-2003 workbook"),
        ("x.xlsb", "x.xlsb is not a readable Excel binary workbook"),
        ("x.ods", "x.ods is not a readable OpenDocument spreadsheet"),
        ("x.xlsm", "x.xlsm is not a readable Excel workbook"),
    ],
)
def test_a_workbook_name_on_text_is_refused_not_read_as_csv(name: str, message: str) -> None:
    with pytest.raises(FileRefused, match=message):
        read_file(b"reference,partnership\r\nR-1,GTEX\r\n", name)


def test_a_zip_that_says_opendocument_is_read_as_ods_even_without_content() -> None:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as book:
        book.writestr("mimetype", ODS_MIMETYPE)
    with pytest.raises(FileRefused, match="x.xlsx is not a readable OpenDocument spreadsheet"):
        read_file(data.getvalue(), "x.xlsx")


# --- hostile files, one format at a time -----------------------------------------------------

LIMITS = Limits(file_bytes=10 * 1024 * 1024)
HEAD = ods_text_row("reference", "partnership")


def _hostile() -> list[Any]:
    return [
        pytest.param(
            ods_from_rows(HEAD + ods_text_row("w", "x", "y", "z", repeated=1_048_575)),
            "x.ods",
            "cells up to row 1,048,576 and up to column D",
            id="ods: a value in a row repeated a million times",
        ),
        pytest.param(
            ods_from_rows(
                HEAD + '<table:table-row table:number-rows-repeated="4000">'
                '<table:table-cell table:number-columns-repeated="1000" office:value-type='
                '"float" office:value="1"/></table:table-row>'
            ),
            "x.ods",
            "a sheet of 1,000 columns by 4,001 rows",
            id="ods: repeated rows of repeated cells",
        ),
        pytest.param(
            ods_from_rows(
                HEAD + '<table:table-row><table:table-cell table:number-columns-repeated="16384">'
                "<text:p>x</text:p></table:table-cell></table:table-row>"
            ),
            "x.ods",
            "up to column XFD",
            id="ods: a cell repeated across every column",
        ),
        pytest.param(
            ods_from_rows(
                HEAD + "<table:table-row>" + " " * (8 * 1024 * 1024) + "</table:table-row>"
            ),
            "x.ods",
            "is compressed",
            id="ods: a zip bomb",
        ),
        pytest.param(
            xls_with_dimensions(0xFFFFFFF0, 0xFFFF),
            "x.xls",
            "cells up to row 4,294,967,280",
            id="xls: a DIMENSIONS record that claims 4 billion rows",
        ),
        pytest.param(
            xls_bytes([["reference"], *([[None]] * 64_000), [None] * 255 + ["x"]]),
            "x.xls",
            "a sheet of 256 columns by 64,002 rows",
            id="xls: one cell in the last column, 64,000 rows down",
        ),
        pytest.param(
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
            "x.xls",
            "x.xls is not a readable Excel 97-2003 workbook",
            id="xls: an OLE2 header and nothing else",
        ),
        pytest.param(
            xlsb_far_cell(1_048_575, 16_383),
            "x.xlsb",
            "cells up to row 1,048,576 and up to column XFD",
            id="xlsb: one cell in the sheet's last corner, the dimension lying",
        ),
    ]


@pytest.mark.parametrize(("data", "name", "message"), _hostile())
def test_hostile_files_are_refused_before_calamine_reads_them(
    data: bytes, name: str, message: str
) -> None:
    assert len(data) < 1024 * 1024  # small on disk: the harm is in what they expand to
    with pytest.raises(FileRefused) as refused:
        read_file(data, name, limits=LIMITS)
    assert message in str(refused.value)


@pytest.mark.parametrize(
    ("data", "name"),
    [
        pytest.param(
            ods_from_rows(HEAD + ods_text_row("w", "x", "y", "z", repeated=1_048_575)),
            "x.ods",
            id="ods",
        ),
        pytest.param(xls_with_dimensions(0xFFFFFFF0, 0xFFFF), "x.xls", id="xls"),
        pytest.param(xlsb_far_cell(1_048_575, 16_383), "x.xlsb", id="xlsb"),
    ],
)
def test_the_guarded_reader_refuses_them_in_one_sentence(data: bytes, name: str) -> None:
    with pytest.raises(FileRefused, match=f"^{name} has cells up to row"):
        read_untrusted(data, name, limits=LIMITS)


def test_libreoffices_million_empty_rows_at_the_end_of_a_sheet_are_not_counted() -> None:
    cells = typed_cells(rows(2))
    data = bytearray(ods_bytes(cells))
    tail = (
        '<table:table-row table:number-rows-repeated="1048573"><table:table-cell '
        'table:number-columns-repeated="16384"/></table:table-row></table:table>'
    )
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as book:
        parts = {p.filename: book.read(p) for p in book.infolist()}
    parts["content.xml"] = parts["content.xml"].replace(b"</table:table>", tail.encode(), 1)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        for name, body in parts.items():
            book.writestr(name, body)
    assert read_file(out.getvalue(), "x.ods", limits=LIMITS).rows == 2


# --- the command and the page ----------------------------------------------------------------


def test_the_command_imports_each_format_and_marks_a_workbook_as_xlsx(
    register: Register, tmp_path: Any
) -> None:
    import shlex

    from click.testing import CliRunner

    from xchange.cli import cli

    url = register.engine.url.render_as_string(hide_password=False)
    cells = typed_cells(rows(2))
    for kind in ("xls", "xlsb", "ods"):
        path = tmp_path / f"exchanges.{kind}"
        path.write_bytes(WRITERS[kind](cells))
        result = CliRunner().invoke(
            cli, ["--db", url, *shlex.split(f"import {path} --dry-run")], prog_name="xchange"
        )
        assert result.exit_code == 0, result.output
        assert f"Read exchanges.{kind}: {kind.upper()}, sheet 'exchanges', 2 rows" in result.output
    bad = typed_cells([{**rows(1)[0], "status": "finished"}])
    source = read_file(ods_bytes(bad), "bad.ods")
    with db.read_session(register.engine) as session:
        report = run_import(session=session, actor=register.user(), source=source, dry_run=True)
    assert annotated_name(source) == "marked-bad.xlsx"
    assert annotated_copy(source, report).startswith(b"PK")  # a workbook, readable as XLSX
    assert read_file(annotated_copy(source, report), "marked-bad.xlsx").rows == 1


# --- damaged files ---------------------------------------------------------------------------

_SMALL = typed_cells(rows(2))
_VALID = {kind: WRITERS[kind](_SMALL) for kind in ("xls", "xlsb", "ods")}


@st.composite
def damaged(draw: st.DrawFn) -> tuple[str, bytes]:
    """A valid `.xls`, `.xlsb` or `.ods` with bytes overwritten or its tail cut off."""
    kind = draw(st.sampled_from(sorted(_VALID)))
    data = bytearray(_VALID[kind])
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(data) - 1))
        data[at] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        data = data[: draw(st.integers(8, len(data)))]
    return kind, bytes(data)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged())
def test_a_damaged_file_of_any_format_is_read_or_refused_in_one_sentence(
    case: tuple[str, bytes],
) -> None:
    kind, data = case
    guarded.start()  # the forkserver's one-time start is not timed
    began = time.monotonic()
    try:
        read_untrusted(data, f"damaged.{kind}", limits=LIMITS)
    except FileRefused as refused:
        assert "\n" not in str(refused) and str(refused).startswith("damaged.")
    assert time.monotonic() - began < LIMITS.seconds + 5
