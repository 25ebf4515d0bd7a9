"""Workbooks written by hand (zipfile and minimal XML), hostile ones included: the repository
carries no binary fixtures, and xlsxwriter would refuse to write most of these.

    sparse_workbook("XFD1048576")          # 2 KB: one cell in the sheet's last corner
    shared_strings_bomb(200_000)           # many strings in the shared table, few cells
    xlsx_from_xml(sheet_xml, shared=[...]) # any sheet body
"""

from __future__ import annotations

import io
import zipfile
from typing import Any
from xml.sax.saxutils import escape

HEADER = ("partnership", "reference", "visitor_organisation")

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="exchanges" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def xlsx_from_xml(sheet_data: str, *, dimension: str | None = None, shared: list[str]) -> bytes:
    """A one-sheet workbook whose `<sheetData>` holds `sheet_data` and whose shared string
    table holds `shared` (deflated, as Excel writes it)."""
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{_MAIN}">'
        f"{declared}<sheetData>{sheet_data}</sheetData></worksheet>"
    )
    strings = "".join(f"<si><t>{escape(text)}</t></si>" for text in shared)
    table = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="{_MAIN}" '
        f'count="{len(shared)}" uniqueCount="{len(shared)}">{strings}</sst>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", _CONTENT_TYPES)
        book.writestr("_rels/.rels", _RELS)
        book.writestr("xl/workbook.xml", _WORKBOOK)
        book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        book.writestr("xl/worksheets/sheet1.xml", sheet)
        book.writestr("xl/sharedStrings.xml", table)
    return buffer.getvalue()


def header_row() -> str:
    """Row 1 with the import's first columns, as shared strings 0, 1, 2."""
    cells = "".join(f'<c r="{chr(65 + i)}1" t="s"><v>{i}</v></c>' for i in range(len(HEADER)))
    return f'<row r="1">{cells}</row>'


def sparse_workbook(corner: str) -> bytes:
    """The header, and one cell at `corner` (`XFD1048576`), the dimension declaring the range
    up to it: some 2 KB that a reader densifying the used range turns into gigabytes."""
    row = "".join(ch for ch in corner if ch.isdigit())
    cell = f'<row r="{row}"><c r="{corner}" t="s"><v>0</v></c></row>'
    return xlsx_from_xml(header_row() + cell, dimension=f"A1:{corner}", shared=list(HEADER))


def shared_strings_bomb(strings: int, length: int = 1) -> bytes:
    """The header and `strings` shared strings of `length` characters that no cell uses:
    a deflated table that is small on disk and large once read."""
    shared = [*HEADER, *(("x" * length) for _ in range(strings))]
    return xlsx_from_xml(header_row(), shared=shared)


def zip_bomb(megabytes: int) -> bytes:
    """A workbook whose sheet inflates to `megabytes` MB of blank space (about 1,000:1),
    written a megabyte at a time."""
    sheet = xlsx_from_xml(header_row(), shared=list(HEADER))
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(sheet)) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as book,
    ):
        for part in source.infolist():
            if part.filename != "xl/worksheets/sheet1.xml":
                book.writestr(part, source.read(part))
                continue
            head, tail = source.read(part).split(b"</sheetData>")
            with book.open(part.filename, "w") as written:
                written.write(head)
                for _ in range(megabytes):
                    written.write(b" " * (1024 * 1024))
                written.write(b"</sheetData>" + tail)
    return buffer.getvalue()


def send_modules(conn: Any) -> None:
    """A reading process's target for tests: send the names of the modules it holds."""
    import sys

    conn.send(sorted(sys.modules))
    conn.close()
