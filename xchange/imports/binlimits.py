"""What a binary workbook may cost, checked before calamine reads it: `.xls` and `.xlsb`.

    check_xls(data, "x.xls", limits)     # FileRefused before calamine sees the OLE2 file
    check_xlsb(data, "x.xlsb", limits)   # the same for the zip of binary records

calamine turns the range from A1 to a sheet's last cell into a dense grid, as for XLSX (see
`limits`), and for `.xls` it also reserves room for the range that a sheet's DIMENSIONS record
declares, true or not: a record claiming 4 billion rows aborts the process. So both the
declared range (`.xls`) and the real one, from every cell record, are checked here. Both
formats are sequences of small records; walking them costs about a microsecond each, some
1.5 s for the 65,536 rows an `.xls` can hold, well within the reading time limit.
"""

from __future__ import annotations

import io
import struct

from xchange.imports.limits import FileRefused, Limits, check_range, check_zip, read_part

# BIFF8 records that hold one cell: row (u16) and column (u16) come first.
_XLS_CELLS = frozenset({0x0006, 0x00D6, 0x00FD, 0x0203, 0x0204, 0x0205, 0x027E})
_XLS_MULTI = 0x00BD  # MULRK: row, first column, ..., last column (u16) in its last two bytes
_XLS_DIMENSIONS, _XLS_BOF, _XLS_EOF = 0x0200, 0x0809, 0x000A
_U16, _U16X2 = struct.Struct("<H"), struct.Struct("<HH")

# XLSB: BrtRowHdr (0) starts a row with its index; cell records 1 to 11 start with their column.
_XLSB_ROW = 0
_U32 = struct.Struct("<I")


def check_xls(data: bytes, filename: str, limits: Limits) -> None:
    """Refuse an `.xls` file that is no OLE2 workbook, or one of whose sheets declares or holds
    a range beyond `limits`."""
    import olefile

    try:
        container = olefile.OleFileIO(io.BytesIO(data))
        name = next(n for n in ("Workbook", "Book") if container.exists(n))
        stream = container.openstream(name).read()
    except Exception:  # olefile raises its own types, or none (StopIteration), for damage
        raise FileRefused(
            f"{filename} is not a readable Excel 97-2003 workbook: save it again from Excel"
        ) from None
    rows = columns = 0
    position, end = 0, len(stream)
    pair, one, cells = _U16X2.unpack_from, _U16.unpack_from, _XLS_CELLS
    while position + 4 <= end:
        kind, size = pair(stream, position)
        body = position + 4
        position = body + size
        if kind in cells:  # most records: the shortest path
            if size >= 4:
                row, column = pair(stream, body)
                if row >= rows:
                    rows = row + 1
                if column >= columns:
                    columns = column + 1
        elif kind == _XLS_MULTI and size >= 6:
            row, last = one(stream, body)[0], one(stream, body + size - 2)[0]
            rows, columns = max(rows, row + 1), max(columns, last + 1)
        elif kind == _XLS_DIMENSIONS and size >= 14:
            # BIFF8: first row, last row + 1 (u32), first column, last column + 1 (u16).
            declared_rows = _U32.unpack_from(stream, body + 4)[0]
            declared_columns = one(stream, body + 10)[0]
            check_range(declared_rows, declared_columns, filename, limits)
        elif kind in (_XLS_BOF, _XLS_EOF):  # a sheet starts or ends: its range is its own
            check_range(rows, columns, filename, limits)
            rows = columns = 0
    check_range(rows, columns, filename, limits)


def check_xlsb(data: bytes, filename: str, limits: Limits) -> None:
    """Refuse an `.xlsb` file whose parts unpack to too much (see `check_zip`) or one of whose
    sheets holds cells beyond `limits`. (calamine ignores the declared dimension of an XLSB
    sheet, so only the cells count.)"""
    book = check_zip(data, filename, limits, "Excel binary workbook")
    for part in book.infolist():
        if part.filename.startswith("xl/worksheets/") and part.filename.endswith(".bin"):
            rows, columns = xlsb_range(read_part(book, part, filename))
            check_range(rows, columns, filename, limits)


def xlsb_range(sheet: bytes) -> tuple[int, int]:
    """(rows, columns) from A1 to the last cell of an XLSB sheet's records.

    One pass in Python over every record (some 2 million for 100,000 rows), so the common case
    (type and size of one byte each) takes the shortest path."""
    row = rows = columns = 0
    position, end = 0, len(sheet)
    unpack = _U32.unpack_from
    try:
        while position < end:
            # A record's type (1-2 bytes) and size (1-4 bytes): 7 bits a byte, high bit = more.
            kind = sheet[position]
            if kind & 0x80:
                kind = (kind & 0x7F) | (sheet[position + 1] & 0x7F) << 7
                position += 2
            else:
                position += 1
            size = sheet[position]
            position += 1
            if size & 0x80:
                size &= 0x7F
                for shift in (7, 14, 21):
                    byte = sheet[position]
                    position += 1
                    size |= (byte & 0x7F) << shift
                    if not byte & 0x80:
                        break
            if kind <= 11 and size >= 4:  # BrtRowHdr (0) or a cell (1 to 11)
                if kind == _XLSB_ROW:
                    row = unpack(sheet, position)[0]
                else:
                    column = unpack(sheet, position)[0]
                    if column >= columns:
                        columns = column + 1
                    if row >= rows:
                        rows = row + 1
            position += size
    except (IndexError, struct.error):
        pass  # a record cut short: calamine refuses the sheet with its own sentence
    return rows, columns
