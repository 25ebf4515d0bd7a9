"""An import file handed back with each problem marked: fix it there and import it again.

The copy keeps the file's format, its columns and its row numbers (blank rows included), so
the report's "row 12" is row 12 of the copy too. Two columns are added, `import_status` (error,
warning or ok) and `import_messages`; the importer ignores both, so a corrected copy imports as
it is. In a workbook each problem is also a comment on its cell, errors in red, warnings in amber.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

import pandas as pd

from xchange.exports.exchanges import neutralise
from xchange.imports.reading import ANNOTATIONS, ReadResult
from xchange.register.parsing import Issue

_COLOURS = {"error": "#F4C7C3", "warning": "#FCE8B2"}


def _by_row(source: ReadResult, issues: list[Issue]) -> dict[int, list[Issue]]:
    rows: dict[int, list[Issue]] = {}
    for issue in issues:
        if issue.row is not None:
            rows.setdefault(issue.row, []).append(issue)
    return rows


def _status(issues: list[Issue]) -> str:
    if any(i.severity == "error" for i in issues):
        return "error"
    return "warning" if issues else "ok"


def _messages(source: ReadResult, issues: list[Issue]) -> str:
    parts = []
    for issue in issues:
        column = source.headers.get(issue.field, issue.field)
        where = f"{column}: " if column else ""
        parts.append(f"{issue.severity}: {where}{issue.message}")
    return " | ".join(parts)


def _layout(source: ReadResult) -> tuple[list[str], list[str | None]]:
    """The header as written, position by position, and the canonical column at each one."""
    header = [""] * source.width
    names: list[str | None] = [None] * source.width
    for name, position in source.positions.items():
        header[position], names[position] = source.headers[name], name
    return header, names


def annotated_csv(source: ReadResult, issues: list[Issue]) -> bytes:
    """The CSV again (UTF-8 with BOM, the file's own delimiter) with the two added columns."""
    by_row = _by_row(source, issues)
    header, names = _layout(source)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=source.delimiter or ",", lineterminator="\r\n")
    for _ in range(source.header_row - 1):
        writer.writerow([])
    writer.writerow([neutralise(title) for title in [*header, *ANNOTATIONS]])
    frame = source.frame
    last = int(frame.index.max()) if len(frame) else source.header_row
    records = frame.to_dict("index")
    for row in range(source.header_row + 1, last + 1):
        record = records.get(row)
        if record is None:
            writer.writerow([])
            continue
        cells = ["" if n is None else _text(record.get(n)) for n in names]
        found = by_row.get(row, [])
        writer.writerow([*cells, _status(found), neutralise(_messages(source, found))])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _text(value: Any) -> Any:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return neutralise(value) if isinstance(value, str) else value


def annotated_xlsx(source: ReadResult, issues: list[Issue]) -> bytes:
    """The sheet that was read, as a new workbook, with the two columns and a comment on each
    cell that has a problem (a problem with no column of its own goes on the row's status)."""
    import xlsxwriter

    by_row = _by_row(source, issues)
    header, names = _layout(source)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet((source.sheet or "exchanges")[:31])
    bold = book.add_format({"bold": True})
    dated = book.add_format({"num_format": "yyyy-mm-dd"})
    fills = {k: book.add_format({"bg_color": v}) for k, v in _COLOURS.items()}
    top = source.header_row - 1
    for col, title in enumerate([*header, *ANNOTATIONS]):
        sheet.write_string(top, col, str(neutralise(title)), bold)
    status_col = len(header)
    for label, record in source.frame.to_dict("index").items():
        row = int(str(label))
        at = row - 1
        found = by_row.get(row, [])
        worst: dict[str, str] = {i.field: i.severity for i in found if i.severity == "warning"}
        worst |= {i.field: i.severity for i in found if i.severity == "error"}
        for col, name in enumerate(names):
            if name is None:
                continue
            _write(sheet, at, col, record.get(name), fills.get(worst.get(name, "")), dated)
        sheet.write_string(at, status_col, _status(found), fills.get(_status(found)))
        sheet.write_string(at, status_col + 1, str(neutralise(_messages(source, found))))
        for issue in found:
            col = source.positions.get(issue.field, status_col)
            sheet.write_comment(at, col, f"{issue.severity}: {issue.message}")
    sheet.freeze_panes(top + 1, 0)
    book.close()
    return buffer.getvalue()


def _write(sheet: Any, row: int, col: int, value: Any, fill: Any, dated: Any) -> None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        if fill is not None:
            sheet.write_blank(row, col, None, fill)
        return
    if isinstance(value, datetime | date):
        moment = (
            value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
        )
        sheet.write_datetime(row, col, moment, fill or dated)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value, fill)
    elif isinstance(value, int | float):
        sheet.write_number(row, col, value, fill)
    else:
        sheet.write_string(row, col, str(neutralise(value)), fill)
