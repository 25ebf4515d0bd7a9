"""The same rows as `.xls`, `.xlsb` and `.ods` files, and hostile files of each format.

    xls_bytes(cells), xlsb_bytes(cells), ods_bytes(cells)   # typed cells, one sheet `exchanges`
    ods_from_rows(xml)                                       # any `content.xml` rows

`.xls` is written by xlwt and `.ods` by odfpy. No Python library writes `.xlsb` and LibreOffice
only reads it, so `xlsb_bytes` writes the few records a workbook needs by hand (MS-XLSB:
BrtBeginBook ... BrtEndBook, BrtRowHdr and cell records); calamine and LibreOffice both read it.
Dates in it are Excel day numbers without a date format, as a workbook that lost its formats
holds them (the reader turns them back into dates in date columns).
"""

from __future__ import annotations

import io
import struct
import zipfile
from datetime import date, datetime
from typing import Any

_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
_PACKAGE = "http://schemas.openxmlformats.org/package/2006"
_OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_XLSB_TYPES = (
    f'{_XML}<Types xmlns="{_PACKAGE}/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.bin" '
    'ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/>'
    '<Override PartName="/xl/worksheets/sheet1.bin" ContentType="application/vnd.ms-excel.worksheet"/>'
    "</Types>"
)
_XLSB_RELS = (
    f'{_XML}<Relationships xmlns="{_PACKAGE}/relationships"><Relationship Id="rId1" '
    f'Type="{_OFFICE}/officeDocument" Target="xl/workbook.bin"/></Relationships>'
)
_XLSB_BOOK_RELS = (
    f'{_XML}<Relationships xmlns="{_PACKAGE}/relationships"><Relationship Id="rId1" '
    f'Type="{_OFFICE}/worksheet" Target="worksheets/sheet1.bin"/></Relationships>'
)
_EXCEL_EPOCH = date(1899, 12, 30)
_ODS_NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"'
)
ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
_ODS_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
    '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
    f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{ODS_MIMETYPE}"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


def xls_bytes(cells: list[list[Any]]) -> bytes:
    """An Excel 97-2003 workbook (xlwt): dates as formatted date cells, numbers as numbers."""
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("exchanges")
    dated = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for r, values in enumerate(cells):
        for c, value in enumerate(values):
            if isinstance(value, date):
                sheet.write(r, c, datetime(value.year, value.month, value.day), dated)
            elif value is not None:
                sheet.write(r, c, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def ods_bytes(cells: list[list[Any]]) -> bytes:
    """An OpenDocument spreadsheet (odfpy) with typed cells."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    table = Table(name="exchanges")
    for values in cells:
        row = TableRow()
        for value in values:
            if value is None:
                row.addElement(TableCell())
                continue
            if isinstance(value, date):
                cell = TableCell(valuetype="date", datevalue=value.isoformat())
            elif isinstance(value, int | float) and not isinstance(value, bool):
                cell = TableCell(valuetype="float", value=value)
            else:
                cell = TableCell(valuetype="string")
            cell.addElement(P(text=str(value)))
            row.addElement(cell)
        table.addElement(row)
    document.spreadsheet.addElement(table)
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


def ods_from_rows(rows_xml: str) -> bytes:
    """An `.ods` whose one sheet holds `rows_xml` (table rows as LibreOffice writes them)."""
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODS_NAMESPACES}>'
        '<office:body><office:spreadsheet><table:table table:name="exchanges">'
        f"{rows_xml}</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as book:
        book.writestr("mimetype", ODS_MIMETYPE)  # first and stored, as the format asks
        book.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        book.writestr("META-INF/manifest.xml", _ODS_MANIFEST)  # calamine looks for it
    return buffer.getvalue()


def ods_text_row(*texts: str, repeated: int = 1) -> str:
    """A row of text cells, the row repeated `repeated` times."""
    cells = "".join(
        f'<table:table-cell office:value-type="string"><text:p>{t}</text:p></table:table-cell>'
        for t in texts
    )
    times = f' table:number-rows-repeated="{repeated}"' if repeated > 1 else ""
    return f"<table:table-row{times}>{cells}</table:table-row>"


# --- XLSB, record by record ------------------------------------------------------------------


def record(kind: int, body: bytes = b"") -> bytes:
    """One XLSB record: type and size as 7-bit groups (high bit: another byte follows)."""
    return _seven_bits(kind) + _seven_bits(len(body)) + body


def _seven_bits(number: int) -> bytes:
    out = bytearray()
    while True:
        byte, number = number & 0x7F, number >> 7
        out.append(byte | (0x80 if number else 0))
        if not number:
            return bytes(out)


def _wide(text: str) -> bytes:
    return struct.pack("<I", len(text)) + text.encode("utf-16-le")


def row_header(row: int) -> bytes:
    """BrtRowHdr: the row's index, style, height, flags and no column spans."""
    return record(0, struct.pack("<IIH", row, 0, 300) + b"\0\0\0" + struct.pack("<I", 0))


def xlsb_cell(column: int, value: Any) -> bytes:
    """BrtCellReal (5) for a number or a date (as its day number), BrtCellSt (6) for text."""
    head = struct.pack("<I", column) + b"\0\0\0\0"  # column, style 0, no flags
    if isinstance(value, date):
        value = float((value - _EXCEL_EPOCH).days)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return record(5, head + struct.pack("<d", float(value)))
    return record(6, head + _wide(str(value)))


def xlsb_sheet(cells: list[list[Any]]) -> bytes:
    """BrtBeginSheet, BrtWsDim, the rows of `cells`, BrtEndSheet."""
    width = max((len(r) for r in cells), default=1)
    parts = [record(129), record(148, struct.pack("<4I", 0, len(cells) - 1, 0, width - 1))]
    parts.append(record(145))  # BrtBeginSheetData
    for r, values in enumerate(cells):
        parts.append(row_header(r))
        parts += [xlsb_cell(c, v) for c, v in enumerate(values) if v is not None]
    parts += [record(146), record(130)]
    return b"".join(parts)


def xlsb_bytes(cells: list[list[Any]] | None = None, *, sheet: bytes | None = None) -> bytes:
    """An Excel binary workbook of one sheet `exchanges`: `cells`, or the records `sheet`."""
    book = (
        record(131)  # BrtBeginBook
        + record(143)  # BrtBeginBundleShs
        + record(156, struct.pack("<II", 0, 1) + _wide("rId1") + _wide("exchanges"))
        + record(144)
        + record(132)
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", _XLSB_TYPES)
        package.writestr("_rels/.rels", _XLSB_RELS)
        package.writestr("xl/workbook.bin", book)
        package.writestr("xl/_rels/workbook.bin.rels", _XLSB_BOOK_RELS)
        package.writestr("xl/worksheets/sheet1.bin", sheet or xlsb_sheet(cells or [[]]))
    return buffer.getvalue()


def xlsb_far_cell(row: int, column: int) -> bytes:
    """A header cell in A1 and one number at (`row`, `column`), 0-based: some 600 bytes."""
    sheet = b"".join(
        [
            record(129),
            record(148, struct.pack("<4I", 0, 1, 0, 1)),  # a dimension that lies: A1:B2
            record(145),
            row_header(0),
            xlsb_cell(0, "reference"),
            row_header(row),
            xlsb_cell(column, 1.0),
            record(146),
            record(130),
        ]
    )
    return xlsb_bytes(sheet=sheet)


def xls_with_dimensions(rows: int, columns: int) -> bytes:
    """A small `.xls` whose sheet's DIMENSIONS record declares `rows` x `columns`."""
    data = bytearray(xls_bytes([["reference"], ["R-001"]]))
    # The record (type 0x0200, 14 bytes) sits in the Workbook stream's sectors as written.
    at = data.find(b"\x00\x02\x0e\x00")
    data[at + 4 : at + 16] = struct.pack("<IIHH", 0, rows, 0, columns)
    return bytes(data)
