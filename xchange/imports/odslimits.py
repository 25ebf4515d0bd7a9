"""What an OpenDocument spreadsheet (.ods) may cost, checked before calamine reads it.

    check_ods(data, "x.ods", limits)   # FileRefused before calamine sees content.xml

A row or cell of `content.xml` may stand for many (`table:number-rows-repeated`,
`table:number-columns-repeated`): LibreOffice ends every sheet with a million empty rows so.
calamine drops empty rows and cells at the end of a sheet but expands repeated ones that hold
a value, so the range that counts runs to the last row and column holding a value, repeats
included: one cell of 20 bytes repeated 16,384 times in a row repeated a million times asks
for 17 billion cells. calamine reads the `table:` and `office:` names literally (a file with
other prefixes holds no sheet for it), and so does this check.
"""

from __future__ import annotations

import re

from xchange.imports.limits import FileRefused, Limits, check_range, check_zip, read_part

_ROW_START = b"<table:table-row"
_CELL = re.compile(rb"<table:(?:covered-)?table-cell\b([^>]*?)(/?)>")
_ROWS_REPEATED = re.compile(rb'table:number-rows-repeated="([0-9]+)"')
_COLUMNS_REPEATED = re.compile(rb'table:number-columns-repeated="([0-9]+)"')
_VALUE = b"office:value-type="
_TABLE_END = b"</table:table>"


def check_ods(data: bytes, filename: str, limits: Limits) -> None:
    """Refuse an `.ods` file whose parts unpack to too much (`check_zip`) or one of whose
    sheets has values beyond `limits`, repeats expanded."""
    book = check_zip(data, filename, limits, "OpenDocument spreadsheet")
    try:
        part = book.getinfo("content.xml")
    except KeyError:
        raise FileRefused(
            f"{filename} is not a readable OpenDocument spreadsheet (it has no content.xml)"
        ) from None
    content = read_part(book, part, filename)
    for sheet in content.split(_TABLE_END):
        rows, columns = ods_range(sheet)
        check_range(rows, columns, filename, limits)


def ods_range(sheet: bytes) -> tuple[int, int]:
    """(rows, columns) from A1 to the last row and column holding a value in one sheet of
    `content.xml`, repeated rows and cells expanded."""
    row = rows = columns = 0
    # Split at each row's start (one pass, however the file nests or fails to close its tags).
    for piece in sheet.split(_ROW_START)[1:]:
        if piece[:1] not in (b" ", b">", b"/", b"\n", b"\r", b"\t"):
            continue  # <table:table-rows> or <table:table-row-group>: a group, not a row
        tag_end = piece.find(b">")
        attributes = piece[:tag_end] if tag_end >= 0 else piece
        body = b"" if attributes.endswith(b"/") or tag_end < 0 else piece[tag_end + 1 :]
        row += _repeat(_ROWS_REPEATED, attributes)
        if _VALUE not in body and b"<text:" not in body:  # an empty row, however repeated
            continue
        if b"columns-repeated" not in body:
            # The usual row, one element a cell: counted in C. (Empty cells at its end count
            # too: a bound that is never below the truth is enough for a limit.)
            last = body.count(b"<table:table-cell") + body.count(b"<table:covered-table-cell")
        else:
            last = _last_filled_column(body)
        if last:
            rows, columns = row, max(columns, last)
    return rows, columns


def _last_filled_column(body: bytes) -> int:
    """The 1-based column of a row's last cell holding a value (a value type or text),
    repeated cells expanded; 0 if none."""
    column = last = 0
    for match in _CELL.finditer(body):
        column += _repeat(_COLUMNS_REPEATED, match[1])
        if _VALUE in match[1] or not match[2]:
            last = column
    return last


def _repeat(pattern: re.Pattern[bytes], attributes: bytes) -> int:
    found = pattern.search(attributes)
    return max(int(found[1]), 1) if found else 1
