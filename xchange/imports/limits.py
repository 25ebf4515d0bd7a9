"""What an import file may cost, checked before and while it is read.

    limits = Limits.default()                       # the numbers docs/security.md states
    check_workbook(data, "x.xlsx", limits)          # FileRefused before calamine sees the zip
    check_columns(40, "x.csv", limits)              # a header wider than we read

A workbook's declared dimensions may be missing or lie, and calamine turns the range from its
first to its last cell into a dense grid (a cell at XFD1048576 asks for 512 GiB), so the real
range is found here from the cells' own references, at C speed (`bytes.count`, `re.findall`)
for the sheets Excel and the usual libraries write, and cell by cell for any other spelling.
These checks give the precise sentence; the reading process's memory and time limits
(`guarded`) catch whatever they miss.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from xml.parsers import expat

from xchange.config import get_settings
from xchange.errors import XchangeError

_MB = 1024 * 1024


class FileRefused(XchangeError):
    """The file cannot be read as an import at all (empty, no header, unknown columns...)."""


@dataclass(frozen=True)
class Limits:
    """The bounds of one import file. Defaults: see `default`."""

    file_bytes: int  # the upload itself (XCHANGE_UPLOAD_MAX_MB)
    unpacked_bytes: int = 200 * _MB  # a workbook's parts, uncompressed, together
    ratio: int = 100  # uncompressed to compressed, per part of more than 1 MB
    columns: int = 1_000  # up to the last filled column (the template has 24)
    cells: int = 3_000_000  # a sheet's rows x columns, up to its last cell
    cell_chars: int = 32_767  # Excel's own limit for one cell
    memory_bytes: int = 800 * _MB  # the reading process's resident memory
    seconds: float = 15.0  # the reading process's wall-clock time

    @classmethod
    def default(cls) -> Limits:
        return cls(file_bytes=get_settings().upload_max_bytes)


def check_size(size: int, filename: str, limits: Limits) -> None:
    if size > limits.file_bytes:
        raise FileRefused(
            f"{filename} is {size / _MB:,.1f} MB: files up to {limits.file_bytes / _MB:,.1f} MB "
            "are accepted (the limit is XCHANGE_UPLOAD_MAX_MB)"
        )


def check_columns(width: int, filename: str, limits: Limits) -> None:
    if width > limits.columns:
        raise FileRefused(
            f"{filename} has {width:,} columns: at most {limits.columns:,} are read (the "
            "template has 24); delete the empty columns after the table and try again"
        )


def check_workbook(data: bytes, filename: str, limits: Limits) -> None:
    """Refuse an XLSX workbook whose parts unpack to too much, or whose sheets' real ranges
    (from their cells' references) or shared string tables exceed `limits`."""
    book = check_zip(data, filename, limits)
    for part in book.infolist():
        if not part.filename.endswith(".xml") or part.is_dir():
            continue
        xml = read_part(book, part, filename)
        if b"<si" in xml[:4096] or part.filename.endswith("sharedStrings.xml"):
            _check_strings(xml, filename, limits)
        if b"sheetData" in xml:
            rows, columns = used_range(xml)
            check_range(rows, columns, filename, limits)


def check_zip(
    data: bytes, filename: str, limits: Limits, kind: str = "Excel workbook"
) -> zipfile.ZipFile:
    """The zip container of a workbook (XLSX, XLSB, ODS), refused when its parts together unpack
    to more than `limits.unpacked_bytes` or one of them is compressed like no spreadsheet is."""
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
        parts = book.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise FileRefused(
            f"{filename} is not a readable {kind}: save it again from your spreadsheet program"
        ) from None
    total = sum(part.file_size for part in parts)
    if total > limits.unpacked_bytes:
        raise FileRefused(
            f"{filename} unpacks to {total / _MB:,.0f} MB: workbooks up to "
            f"{limits.unpacked_bytes / _MB:,.0f} MB unpacked are read; save it as CSV or split it"
        )
    for part in parts:
        if part.file_size > _MB and part.file_size > limits.ratio * max(part.compress_size, 1):
            raise FileRefused(
                f"{filename} is compressed {part.file_size // max(part.compress_size, 1):,} to 1 "
                f"({part.filename}): no spreadsheet is, so it is not read"
            )
    return book


def read_part(book: zipfile.ZipFile, part: zipfile.ZipInfo, filename: str) -> bytes:
    """One part of a workbook checked by `check_zip` (never more than its declared size:
    zipfile stops there)."""
    try:
        return book.read(part)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError):
        raise FileRefused(
            f"{filename} is not a readable workbook ({part.filename} is damaged)"
        ) from None


def _check_strings(xml: bytes, filename: str, limits: Limits) -> None:
    strings = xml.count(b"<si>") + xml.count(b"<si ") + xml.count(b":si>")
    if strings > limits.cells:
        raise FileRefused(
            f"{filename} holds {strings:,} shared texts: at most {limits.cells:,} are read"
        )


def check_range(rows: int, columns: int, filename: str, limits: Limits) -> None:
    if columns > limits.columns or rows * columns > limits.cells:
        raise FileRefused(
            f"{filename} has cells up to row {rows:,} and up to column "
            f"{column_letters(columns - 1)}, a sheet of {columns:,} columns by {rows:,} rows: "
            f"at most {limits.columns:,} columns and {limits.cells:,} cells are read; delete "
            "the cells after the table and try again"
        )


def column_letters(position: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: the column as a spreadsheet names it."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_number(letters: str) -> int:
    """A -> 1, Z -> 26, AA -> 27 (1-based, as rows are)."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


# Every cell and row written as `<c r="B7" ...>` / `<row r="7" ...>`: Excel, LibreOffice,
# openpyxl and xlsxwriter all write sheets so.
# (A row's own `r` places no cell: only cells' references count.)
_COLUMN = re.compile(rb' r="([A-Za-z]+)[0-9]')
_SAMPLE = 1 << 16
_ROW = re.compile(rb' r="[A-Za-z]+([0-9]+)"')
_ELEMENTS = (b"<c ", b"<c>", b"<c/>", b"<row ", b"<row>", b"<row/>")


def used_range(xml: bytes) -> tuple[int, int]:
    """(rows, columns) from A1 to the last cell of a sheet's XML, as calamine places its cells
    (an explicit `r`, or one after the previous cell or row)."""
    elements = sum(xml.count(tag) for tag in _ELEMENTS)
    plain = xml.count(b' r="')
    # Prefixed elements (`<x:c`) or other quotes make the counts differ. (Stranger spellings,
    # such as a line break before `r`, are left to the reading process's limits.)
    if plain == elements and b" r='" not in xml:
        # The last cells are near the end of a sheet: take the range of its head and tail,
        # then check in one pass over the whole that no reference lies beyond it.
        rows, columns = _range_of(xml[:_SAMPLE] + b"\n" + xml[-_SAMPLE:])
        beyond = rb' r="(?:(?:%s)[0-9]|[A-Za-z]+0*(?:%s)")' % (
            _beyond(columns),
            _beyond(rows, decimal=True),
        )
        if re.search(beyond, xml):
            rows, columns = _range_of(xml)
        return rows, columns
    return _used_range_exactly(xml)


def _range_of(xml: bytes) -> tuple[int, int]:
    """(rows, columns) from the distinct references in `xml`, gathered in C."""
    rows = max(map(int, set(_ROW.findall(xml))), default=0)
    columns = max(map(column_number, {c.decode() for c in _COLUMN.findall(xml)}), default=0)
    return rows, columns


def _beyond(number: int, *, decimal: bool = False) -> bytes:
    """A pattern for the numbers above `number` (1-based): decimal, or column letters (A..Z,
    AA..; either case). `_beyond(41, decimal=True)` matches 42..49, 5x..9x, 100 and above."""
    if decimal:
        text, alphabet, any_one, first = str(number), "0123456789", "[0-9]", "[1-9]"
    else:
        text = column_letters(number - 1) if number else ""
        alphabet, any_one, first = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "[A-Za-z]", "[A-Za-z]"
    options = [f"{first}{any_one}{{{len(text)},}}"]  # longer
    for at, char in enumerate(text):  # same length, greater at `at`
        above = alphabet[alphabet.index(char) + 1 :]
        if above:
            cls = "".join(sorted({c for a in above for c in (a, a.lower())}))
            rest = f"{any_one}{{{len(text) - at - 1}}}"
            same = "".join(f"[{c}{c.lower()}]" for c in text[:at])  # letters in either case
            options.append(f"{same}[{cls}]{rest}")
    return "|".join(options).encode()


def _used_range_exactly(xml: bytes) -> tuple[int, int]:
    """`used_range` for any other spelling (prefixes, quotes, cells without `r`), one element
    at a time through expat: slower, and only ever as long as the reading's time limit."""
    state = {"row": 0, "column": 0, "rows": 0, "columns": 0}

    def start(name: str, attributes: dict[str, str]) -> None:
        local = name.rsplit(":", 1)[-1]
        if local == "row":
            ref = attributes.get("r", "")
            state["row"] = int(ref) if ref.isdigit() else state["row"] + 1
            state["column"] = 0
        elif local == "c":
            ref = attributes.get("r", "")
            match = re.fullmatch(r"([A-Za-z]{1,3})([0-9]+)", ref.strip())
            if match:
                state["column"] = column_number(match[1])
                state["rows"] = max(state["rows"], int(match[2]))
            else:
                state["column"] += 1
                state["rows"] = max(state["rows"], state["row"])
            state["columns"] = max(state["columns"], state["column"])

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    try:
        for chunk in _chunks(xml):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError:
        pass  # calamine refuses a sheet it cannot parse, with its own sentence
    return state["rows"], state["columns"]


def _chunks(data: bytes, size: int = 1 << 20) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]
