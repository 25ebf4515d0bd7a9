"""Hostile files: refused with one sentence, within limits, by a reading process that may die
without taking the test process (or the server) with it."""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.imports.test_importer import BASE, csv_bytes, rows, xlsx_bytes
from tests.imports.workbooks import (
    HEADER,
    header_row,
    shared_strings_bomb,
    sparse_workbook,
    xlsx_from_xml,
    zip_bomb,
)
from xchange.imports import guarded
from xchange.imports.arrowframe import from_ipc, to_ipc
from xchange.imports.files import read_file
from xchange.imports.guarded import read_untrusted
from xchange.imports.limits import FileRefused, Limits, column_letters, used_range
from xchange.imports.reading import ReadResult

LIMITS = Limits(file_bytes=20 * 1024 * 1024)
# The checks before calamine lifted: what the reading process alone must survive.
UNCHECKED = dataclasses.replace(LIMITS, columns=10**6, cells=10**12, seconds=60)


def readers() -> list[Any]:
    return [p for p in multiprocessing.active_children() if isinstance(p, guarded.ReadingProcess)]


@pytest.fixture(autouse=True)
def no_reader_left() -> Any:
    yield
    assert readers() == []  # every reading process was joined


@pytest.mark.parametrize("corner", ["XFD1048576", "A1048576", "AAA5000"])
def test_a_sparse_workbook_is_refused_before_calamine_reads_it(corner: str) -> None:
    # Before: XFD1048576 aborted the process (512 GiB), A1048576 cost 8 s and 1.5 GB.
    data = sparse_workbook(corner)
    assert len(data) < 3000
    for read in (read_file, read_untrusted):
        with pytest.raises(FileRefused, match=r"cells up to row [\d,]+ .*delete the cells after"):
            read(data, "sparse.xlsx")


def test_the_used_range_comes_from_the_cells_not_the_declared_dimension() -> None:
    # Declared small, a cell far away: the cell counts. Declared huge, cells small: fine.
    lying = xlsx_from_xml(
        header_row() + '<row r="900000"><c r="Z900000"><v>1</v></c></row>',
        dimension="A1:C1",
        shared=list(HEADER),
    )
    with pytest.raises(FileRefused, match="900,000 rows"):
        read_file(lying, "lying.xlsx")
    boasting = xlsx_from_xml(header_row(), dimension="A1:XFD1048576", shared=list(HEADER))
    with pytest.raises(FileRefused, match="lacks required columns"):
        read_file(boasting, "boasting.xlsx")


@pytest.mark.parametrize(
    "cells",
    [
        '<row r="1"><c r="A1"/><c r="zz3"/></row>',  # lower case, as calamine reads it
        "<row r='1'><c r='B2'/><c r = 'ZZ3'/></row>",  # other quotes and spaces
        '<x:row r="1"><x:c r="ZZ3"/></x:row>',  # a prefix
        '<row><c/><c/></row><row r="3"><c/><c/><c/>' + "<c/>" * 700 + "</row>",  # no r
    ],
)
def test_any_spelling_of_a_reference_counts(cells: str) -> None:
    rows_, columns = used_range(f"<sheetData>{cells}</sheetData>".encode())
    assert columns >= 702 and rows_ == 3


def test_shared_strings_bombs_are_refused() -> None:
    # Before: a 300 KB table of shared strings cost 1.66 GB.
    with pytest.raises(FileRefused, match="compressed .* to 1"):
        read_untrusted(shared_strings_bomb(5_000_000), "bomb.xlsx")
    few = dataclasses.replace(LIMITS, cells=1_000)
    with pytest.raises(FileRefused, match="2,003 shared texts: at most 1,000"):
        read_file(shared_strings_bomb(2_000), "strings.xlsx", limits=few)


def test_a_zip_bomb_is_refused_from_its_directory() -> None:
    with pytest.raises(FileRefused, match="unpacks to 300 MB"):
        read_untrusted(zip_bomb(300), "bomb.xlsx")
    with pytest.raises(FileRefused, match="compressed .* to 1"):
        read_untrusted(zip_bomb(50), "bomb.xlsx")


def test_a_csv_with_100000_empty_columns_is_refused_at_once() -> None:
    # Before: 38.7 s and 1.35 GB for a dry run, growing with the columns.
    header = ",".join(BASE) + "," * 100_000
    data = (header + "\r\n" + ",".join(BASE.values()) + "," * 100_000 + "\r\n").encode()
    guarded.start()  # the forkserver's one-time start, slower the busier the machine, is not timed
    began = time.monotonic()
    with pytest.raises(FileRefused, match="100,023 columns: at most 1,000"):
        read_untrusted(data, "wide.csv")
    assert time.monotonic() - began < 10  # generous: it takes milliseconds


def test_a_cell_longer_than_a_spreadsheet_cell_is_refused() -> None:
    data = csv_bytes([{**BASE, "notes": "x" * 40_000}])
    with pytest.raises(FileRefused, match="cell of 40,000 characters in column notes"):
        read_untrusted(data, "long.csv")


def test_a_reader_that_aborts_gives_one_sentence() -> None:
    # The checks lifted, calamine asks for 512 GiB; the capped address space makes it fail
    # at once and Rust aborts (SIGABRT): that process dies, not ours.
    with pytest.raises(FileRefused, match=r"stopped on it \(signal SIGABRT\)"):
        read_untrusted(sparse_workbook("XFD1048576"), "sparse.xlsx", limits=UNCHECKED)


def test_a_reader_killed_by_a_signal_gives_one_sentence() -> None:
    # A1048576 with the checks lifted takes the reader a second or more: kill it meanwhile.
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            read_untrusted(sparse_workbook("A1048576"), "sparse.xlsx", limits=UNCHECKED)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=read)
    thread.start()
    deadline = time.monotonic() + 30
    while not readers() and time.monotonic() < deadline:
        time.sleep(0.005)
    (process,) = readers()
    os.kill(process.pid, signal.SIGKILL)
    thread.join(30)
    assert len(outcome) == 1 and isinstance(outcome[0], FileRefused)
    assert str(outcome[0]) == (
        "sparse.xlsx could not be read: the reader stopped on it (signal SIGKILL), as it "
        "does on a damaged or hostile file; save it again from Excel, or as CSV"
    )


def test_memory_and_time_limits_stop_the_reader() -> None:
    data = sparse_workbook("A1048576")
    small = dataclasses.replace(UNCHECKED, memory_bytes=260 * 1024 * 1024)
    with pytest.raises(FileRefused, match="needs more than 260 MB of memory"):
        read_untrusted(data, "sparse.xlsx", limits=small)
    quick = dataclasses.replace(UNCHECKED, seconds=0.2)
    with pytest.raises(FileRefused, match="within 0.2 seconds"):
        read_untrusted(data, "sparse.xlsx", limits=quick)


def test_at_most_two_readers_at_once() -> None:
    seen: list[int] = []
    done: list[int] = []

    def read(i: int) -> None:
        with contextlib.suppress(FileRefused):  # or read: either way it ends
            read_untrusted(sparse_workbook("A1048576"), f"{i}.xlsx", limits=UNCHECKED)
        done.append(i)

    threads = [threading.Thread(target=read, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        seen.append(len(readers()))
        time.sleep(0.01)
    assert max(seen) == 2 and sorted(done) == [0, 1, 2]


# Run as a script, as `xchange`, `streamlit run` and the benchmark are: multiprocessing would
# run the parent's main script again in the child unless told not to.
PARENT = """
import sqlalchemy, xchange.db.engine  # the server holds the database layer
from xchange.imports import guarded
from tests.imports.workbooks import send_modules

receiver, sender = guarded.reading_context().Pipe(duplex=False)
process = guarded.ReadingProcess(target=send_modules, args=(sender,))
process.start()
sender.close()
modules = receiver.recv()
process.join()
held = [m for m in modules if m.split(".")[0] in ("sqlalchemy", "sqlmodel", "psycopg")]
held += [m for m in modules if m in ("xchange.db", "xchange.models")]
assert "xchange.imports.readchild" in modules and not held, held
"""


def test_the_reading_process_imports_nothing_from_the_database_layer(tmp_path: Any) -> None:
    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=root)
    subprocess.run([sys.executable, str(script)], check=True, cwd=root, env=env, timeout=120)


def same(guarded_result: ReadResult, direct: ReadResult) -> None:
    pd.testing.assert_frame_equal(guarded_result.frame, direct.frame)
    cells = zip(
        guarded_result.frame.to_numpy().ravel(), direct.frame.to_numpy().ravel(), strict=True
    )
    assert all(type(a) is type(b) for a, b in cells)
    fields = ("headers", "positions", "header_row", "width", "issues", "encoding", "sheet")
    for name in fields:
        assert getattr(guarded_result, name) == getattr(direct, name), name
    assert guarded_result.describe() == direct.describe()


def test_the_reading_process_hands_over_what_reading_here_gives() -> None:
    book = xlsx_bytes(
        {
            "notes": [["nothing here"]],
            "exchanges": [
                list(BASE),
                [*BASE.values()],
                [
                    "R-2",
                    *list(BASE.values())[1:3],
                    date(2025, 3, 14),
                    101.0,
                    True,
                    *list(BASE.values())[6:],
                ],
            ],
        }
    )
    cp1252 = csv_bytes(rows(3, notes="Café"), delimiter=";", encoding="cp1252")
    for data, name in ((book, "book.xlsx"), (cp1252, "x.csv"), (csv_bytes(rows(5)), "y.csv")):
        result = read_untrusted(data, name)
        same(result, read_file(data, name))
        assert result.peak_bytes and result.peak_bytes < LIMITS.memory_bytes


CELLS = st.one_of(
    st.none(),
    st.text(max_size=5),
    st.booleans(),
    st.integers(-(2**62), 2**62),
    st.floats(allow_nan=False),
    st.dates(),
    st.datetimes(),
    st.times(),
    st.timedeltas(min_value=timedelta(days=-999), max_value=timedelta(days=999)),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(CELLS, min_size=3, max_size=3), max_size=8))
@example([[date(2026, 1, 1), None, None], [datetime(2026, 1, 1, 5), None, None]])
def test_typed_cells_cross_as_arrow_unchanged(cells: list[list[Any]]) -> None:
    frame = pd.DataFrame(cells, columns=["a", "b", "c"], dtype=object)
    frame.index = pd.RangeIndex(2, 2 + len(frame))
    result = ReadResult("f.xlsx", "xlsx", frame, {"a": "A"}, {"a": 0}, 1, 3, sheet="s")
    back = from_ipc(to_ipc(result))
    assert back.frame.index.tolist() == frame.index.tolist()
    for name in frame.columns:
        for a, b in zip(back.frame[name], frame[name], strict=True):
            assert type(a) is type(b) and a == b


@st.composite
def workbooks(draw: st.DrawFn) -> bytes:
    """The header and a few cells anywhere in a sheet's 16,384 x 1,048,576, some shared."""
    shared = [*HEADER, *draw(st.lists(st.text(max_size=20), max_size=50))]
    cells = draw(
        st.lists(
            st.tuples(
                st.integers(2, 1_048_576),
                st.integers(0, 16_383),
                st.one_of(st.integers(0, len(shared) - 1), st.floats(allow_nan=False)),
            ),
            max_size=6,
        )
    )
    body = "".join(
        f'<row r="{row}"><c r="{column_letters(column)}{row}"'
        + (f' t="s"><v>{value}</v></c>' if isinstance(value, int) else f"><v>{value}</v></c>")
        + "</row>"
        for row, column, value in sorted(cells)
    )
    dimension = draw(st.sampled_from([None, "A1", "A1:XFD1048576", "A1:C2"]))
    return xlsx_from_xml(header_row() + body, dimension=dimension, shared=shared)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workbooks())
def test_any_workbook_is_read_or_refused_within_limits(data: bytes) -> None:
    guarded.start()  # the forkserver's one-time start is not timed
    began = time.monotonic()
    try:
        result = read_untrusted(data, "random.xlsx")
    except FileRefused as refused:
        assert "\n" not in str(refused)
    else:
        assert result.peak_bytes is not None and result.peak_bytes < LIMITS.memory_bytes
    assert time.monotonic() - began < LIMITS.seconds + 5
