"""Reading a workbook for `xchange.imports.files.read_file`: the sheet, its header and typed cells.

Workbooks (XLSX and XLSM, XLS, XLSB, ODS) are read by calamine (Rust), ten times faster than
openpyxl on 100,000 rows, each after its own format's checks (`CHECKS`). Cells
come typed: dates as dates, numbers as floats, booleans as booleans. The rules read those
directly, except in text columns, where Excel's number 101.0 must be the reference `101`,
and in date columns, where a date cell that lost its format shows Excel's day number.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from python_calamine import CalamineWorkbook

from xchange.columns import BOOL_COLUMNS, DATE_COLUMNS, NUMBER_COLUMNS, REQUIRED, Issue
from xchange.imports.binlimits import check_xls, check_xlsb
from xchange.imports.kinds import NAMES
from xchange.imports.limits import Limits, check_workbook
from xchange.imports.odslimits import check_ods
from xchange.imports.reading import (
    ACCEPTED,
    FileRefused,
    ReadResult,
    assemble,
    column_key,
    filled,
)

# Excel stores dates as days since 1899-12-30; a date cell that lost its format shows the number.
_EXCEL_EPOCH = date(1899, 12, 30)
_EXCEL_SERIALS = (20_000, 80_000)  # 1954 to 2119: anything else is not a date of this scheme
# Each kind of workbook's checks, run before calamine reads it.
CHECKS = {"xlsx": check_workbook, "xls": check_xls, "xlsb": check_xlsb, "ods": check_ods}


def read_workbook(
    data: bytes, filename: str, limits: Limits | None = None, kind: str = "xlsx"
) -> ReadResult:
    """The first sheet of the workbook whose header names the required columns (a warning
    names it when there are several sheets); FileRefused when there is none, or when the
    workbook exceeds `limits` (checked for its `kind` before calamine reads it)."""
    limits = limits or Limits.default()
    CHECKS[kind](data, filename, limits)
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = list(book.sheet_names)
        chosen, rows = None, []
        for name in names:
            sheet = book.get_sheet_by_name(name)
            head = sheet.to_python(skip_empty_area=False, nrows=50)
            first = next((r for r in head if any(filled(c) for c in r)), None)
            keys = {column_key(c) for c in first or []}
            if set(REQUIRED) <= keys or (chosen is None and keys & set(ACCEPTED)):
                chosen, rows = name, sheet.to_python(skip_empty_area=False)
                if set(REQUIRED) <= keys:
                    break
    except FileRefused:
        raise
    except Exception as exc:  # calamine raises its own types for every kind of damage
        # (a panic is a BaseException: the reading process reports it, see `guarded`)
        raise FileRefused(f"{filename} is not a readable {NAMES[kind]} ({exc})") from None
    if chosen is None:
        if not any(book.get_sheet_by_name(n).height for n in names):
            raise FileRefused(f"{filename} is empty")
        raise FileRefused(
            f"No sheet of {filename} has the import columns in its first row "
            f"({', '.join(REQUIRED[:3])}...): sheets {', '.join(repr(n) for n in names)}"
        )
    issues: list[Issue] = []
    if len(names) > 1:
        issues.append(
            Issue(
                "sheet_chosen",
                "warning",
                "",
                "",
                f"The workbook has {len(names)} sheets: read {chosen!r}, the first with the "
                "import columns; the others were not read",
            )
        )
    header_at = next(i for i, r in enumerate(rows) if any(filled(c) for c in r))
    header: list[str] = [_header_text(c) for c in rows[header_at]]
    body = rows[header_at + 1 :]
    index = pd.RangeIndex(header_at + 2, header_at + 2 + len(body))
    frame = pd.DataFrame(body, index=index, columns=range(len(header)), dtype=object)
    result = assemble(frame, header, header_at + 1, filename, kind, issues, _typed, limits=limits)
    result.sheet = chosen
    return result


def _typed(name: str, column: pd.Series) -> pd.Series:
    """A column's typed cells as the rules read them (see the module's docstring)."""
    if name in DATE_COLUMNS:
        return column.map(_serial_to_date)
    if name in NUMBER_COLUMNS:
        # `.xls` stores whole numbers as integers (RK records): read them as the others do.
        # (Looked for in C first: other formats' number columns hold floats only.)
        if pd.api.types.infer_dtype(column, skipna=True) in ("floating", "empty"):
            return column
        return column.map(_integer_to_float)
    if name in BOOL_COLUMNS:
        return column
    return column.map(_typed_to_text)


def _integer_to_float(value: Any) -> Any:
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _header_text(cell: Any) -> str:
    return str(int(cell)) if isinstance(cell, float) and cell.is_integer() else str(cell)


def _typed_to_text(value: Any) -> Any:
    """A typed cell in a text column as the text a person sees (101.0 -> `101`)."""
    if isinstance(value, str) or value is None:
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _serial_to_date(value: Any) -> Any:
    """A date cell that lost its format (45730.0) back to its date; anything else unchanged."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number and _EXCEL_SERIALS[0] <= value <= _EXCEL_SERIALS[1] and float(value).is_integer():
        return _EXCEL_EPOCH + timedelta(days=int(value))
    return value
