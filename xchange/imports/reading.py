"""Reading an import file: CSV or XLSX bytes in, a raw table of canonical columns out.

    result = read_file(data, "exchanges.csv")   # xchange.imports.files; FileRefused if unreadable
    result.frame      # canonical columns, cells as written, indexed by spreadsheet row (header: 1)
    result.issues     # warnings about the file as a whole (encoding, sheet chosen), row errors

It accepts what Excel and other spreadsheets produce (DOMAIN.md): headers in any case with spaces
or hyphens (`Visitor Country`, `visitor-country`, `Distance (km)`), a comma, semicolon or tab
delimiter (detected from the header), UTF-8 with or without BOM, UTF-16 with BOM, and cp1252 (a
line that is not UTF-8 is read as Windows-1252, with a warning naming the rows). A workbook may
have several sheets: the first one whose header names the required columns is read. Cells are
not interpreted here beyond undoing our own formula neutralising (`'=...`) and turning numbers
that Excel stored in text columns back into text: `rules.validate` reads the values.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from xchange import textcolumns
from xchange.columns import COLUMNS, REQUIRED, VERSION, Issue
from xchange.exports.formulas import unneutralise
from xchange.imports.decoding import Decoded, decode
from xchange.imports.limits import FileRefused, Limits, check_columns

ACCEPTED = (*COLUMNS, VERSION)
# Columns our annotated copies add: ignored on reading, so a corrected copy imports as it is.
ANNOTATIONS = ("import_status", "import_messages")
DELIMITERS = (",", ";", "\t", "|")
_SHOWN = 5  # row numbers named in one warning

__all__ = ["FileRefused", "Limits", "ReadResult", "read_csv"]  # FileRefused: from filelimits


@dataclass
class ReadResult:
    """A file read into canonical columns, ready for `rules.validate`.

    `frame`'s index is the spreadsheet's row number of each non-blank data row. `headers` maps
    each canonical column to its header as written, `positions` to its 0-based column.
    """

    filename: str
    kind: str  # "csv", or the workbook's: "xlsx", "xls", "xlsb", "ods" (`kinds.KINDS`)
    frame: pd.DataFrame
    headers: dict[str, str]
    positions: dict[str, int]
    header_row: int
    width: int
    issues: list[Issue] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    peak_bytes: int | None = None  # the reading process's peak resident memory (`guarded`)

    @property
    def rows(self) -> int:
        return len(self.frame)

    @property
    def has_version(self) -> bool:
        """True for a file exported by the tracker (it carries each record's version)."""
        return VERSION in self.frame.columns

    def describe(self) -> str:
        """One line about the file: `CSV, UTF-8, delimiter ';', 120 rows`."""
        if self.kind != "csv":
            where = f"{self.kind.upper()}, sheet {self.sheet!r}"
        else:
            shown = {"\t": "tab", ",": "','", ";": "';'", "|": "'|'"}.get(self.delimiter or ",")
            where = f"CSV, {self.encoding}, delimiter {shown}"
        return f"{where}, {self.rows:,} rows"

    def preview(self, rows: int = 10) -> pd.DataFrame:
        """The first rows with the file's own headers and row numbers, for a page to show."""
        ordered = sorted(self.positions, key=self.positions.__getitem__)
        head = self.frame[ordered].head(rows)
        return head.rename(columns=self.headers).rename_axis("row")


def column_key(header: object) -> str:
    """The canonical spelling of a header: `Visitor-Country ` -> `visitor_country`."""
    text = unicodedata.normalize("NFKC", str(header)).replace("\ufeff", "")
    return re.sub(r"[^0-9a-z]+", "_", text.casefold()).strip("_")


# --- CSV -------------------------------------------------------------------------------------


def read_csv(data: bytes, filename: str, limits: Limits) -> ReadResult:
    source = decode(data, filename)
    first = _first_line(source)
    # Before anything builds a column per header cell (100,000 empty ones took 39 s): the
    # widest reading of the header, whichever delimiter it turns out to use.
    widest = max(len(next(csv.reader([first], delimiter=d), [])) for d in DELIMITERS)
    check_columns(widest, filename, limits)
    delimiter = _delimiter(first)
    issues: list[Issue] = []
    if source.fallback:
        issues.append(
            Issue(
                "encoding_cp1252",
                "warning",
                "",
                "",
                f"The file is not UTF-8: {_lines(source.fallback)} read as Windows-1252 (Western "
                "European); check that accented letters look right",
            )
        )
    fast = _fast_frame(source.utf8, delimiter)
    if fast is not None:
        header, frame = fast
        header_row = 1
    else:
        header, frame, header_row = _slow_frame(source.text, delimiter, filename, issues)
    result = assemble(frame, header, header_row, filename, "csv", issues, limits=limits)
    result.encoding, result.delimiter = source.encoding, delimiter
    return result


def _first_line(source: Decoded) -> str:
    """The first line of the text that holds more than delimiters and spaces ("" if none), as
    `text.splitlines()` would find it, without decoding or splitting the whole file."""
    size = 1 << 16
    while True:
        head, whole = source.head(size)
        lines = head.splitlines()
        if not whole:
            lines = lines[:-1]  # the last line of the head may go on beyond it
        found = next((line for line in lines if line.strip(" \t,;|\ufeff")), None)
        if found is not None or whole:
            return found or ""
        size *= 4


def _delimiter(header: str) -> str:
    """The delimiter under which the header names the most canonical columns."""

    def known(candidate: str) -> tuple[int, int]:
        cells = next(csv.reader([header], delimiter=candidate), [])
        return sum(column_key(cell) in ACCEPTED for cell in cells), len(cells)

    return max(DELIMITERS, key=known)


def _fast_frame(utf8: bytes, delimiter: str) -> tuple[list[str], pd.DataFrame] | None:
    """The header and the data of the UTF-8 text `utf8` through pyarrow's multi-threaded parser,
    column by column; None where only the careful path gives exact row numbers (a ragged row, a
    broken quote, a header that is not on the first line)."""
    import pyarrow.csv as pacsv

    end = utf8.find(b"\n")  # a line feed byte is a line feed character in UTF-8, and no other
    first_line = (utf8 if end < 0 else utf8[:end]).decode("utf-8")
    try:
        cells = next(csv.reader([first_line], delimiter=delimiter), [])
    except csv.Error:  # a stray carriage return, say: the careful path names the problem
        return None
    if not first_line.strip(" \t\r,;|") or not cells:
        return None
    ragged: list[Any] = []

    def on_bad_row(row: Any) -> str:
        ragged.append(row)
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(utf8),
            read_options=pacsv.ReadOptions(autogenerate_column_names=True),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=on_bad_row,
            ),
            # Large strings, as pandas keeps text (to_pandas need not cast); no UTF-8 check, as
            # `decode` checked the bytes (or encoded them from a str).
            convert_options=pacsv.ConvertOptions(
                column_types={f"f{i}": pa.large_string() for i in range(len(cells))},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if ragged or table.num_columns != len(cells) or table.num_rows == 0:
        return None
    header = [str(table.column(i)[0]) for i in range(table.num_columns)]
    # One array per column rather than one per block the parser read: combined once here, not
    # again by every `arrow_text` that reads the column.
    frame = table.slice(1).combine_chunks().to_pandas()
    frame.columns = pd.RangeIndex(table.num_columns)
    frame.index = pd.RangeIndex(2, 2 + len(frame))
    return header, frame


def _slow_frame(
    text: str, delimiter: str, filename: str, issues: list[Issue]
) -> tuple[list[str], pd.DataFrame, int]:
    """The header, the data and the header's row number through the csv module, which reads
    every oddity the way Excel does; rows with cells beyond the header get an error."""
    records: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        records.extend(reader)
    except csv.Error as exc:
        raise FileRefused(
            f"Row {len(records) + 1} of {filename} cannot be read ({exc}): a quote that is "
            "never closed makes the rest of the file one cell; check the quotes on that row"
        ) from None
    header_at = next((i for i, r in enumerate(records) if any(c.strip() for c in r)), None)
    if header_at is None:
        raise FileRefused(f"{filename} is empty")
    header, width = records[header_at], len(records[header_at])
    rows: list[list[str]] = []
    for number, record in enumerate(records[header_at + 1 :], start=header_at + 2):
        if len(record) > width and any(c.strip() for c in record[width:]):
            issues.append(
                Issue(
                    "too_many_cells",
                    "error",
                    "",
                    "",
                    f"Row {number} has {len(record)} cells but the header names {width} "
                    "columns: a delimiter inside a cell that is not in quotes?",
                    number,
                )
            )
        rows.append(record[:width] + [""] * (width - len(record)))
    index = pd.RangeIndex(header_at + 2, header_at + 2 + len(rows))
    frame = pd.DataFrame(rows, index=index, columns=range(width), dtype=object)
    return header, frame, header_at + 1


def _lines(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:_SHOWN])
    more = f" and {len(numbers) - _SHOWN:,} more" if len(numbers) > _SHOWN else ""
    return f"line{'s' if len(numbers) > 1 else ''} {shown}{more}"


# --- both ------------------------------------------------------------------------------------


def assemble(
    frame: pd.DataFrame,
    header: list[str],
    header_row: int,
    filename: str,
    kind: str,
    issues: list[Issue],
    typed: Callable[[str, pd.Series], pd.Series] | None = None,
    *,
    limits: Limits | None = None,
) -> ReadResult:
    """Check the header, name the columns canonically, drop blank rows, clean the cells.

    `typed(name, column)` turns a workbook's typed cells of a column into what the rules read;
    a cell longer than `limits.cell_chars` refuses the file.
    """
    keys = [column_key(h) for h in header]
    if not any(key in ACCEPTED for key in keys):
        raise FileRefused(
            f"Row {header_row} of {filename} names no column we know: the first row must hold "
            f"the column names ({', '.join(COLUMNS)})"
        )
    positions: dict[str, int] = {}
    headers: dict[str, str] = {}
    unknown, duplicate, keep = [], [], []
    for position, (key, written) in enumerate(zip(keys, header, strict=True)):
        letter = _letter(position)
        if not key:
            if _filled_mask(frame[position]).any():
                unknown.append(f"column {letter} has values but no header")
            continue
        if key in ANNOTATIONS:
            continue
        if key not in ACCEPTED:
            close = difflib.get_close_matches(key, ACCEPTED, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            unknown.append(f"{written.strip()!r} in column {letter}{hint}")
        elif key in positions:
            duplicate.append(f"{key} (columns {_letter(positions[key])} and {letter})")
        else:
            positions[key], headers[key] = position, written.strip()
            keep.append(position)
    if unknown:
        raise FileRefused(
            f"{filename} has columns the import does not know: {'; '.join(unknown)}. "
            f"The columns are: {', '.join(ACCEPTED)}"
        )
    if duplicate:
        raise FileRefused(f"{filename} names a column twice: {'; '.join(duplicate)}")
    missing = [name for name in REQUIRED if name not in positions]
    if missing:
        raise FileRefused(
            f"{filename} lacks required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}"
        )
    frame = frame[keep]
    frame.columns = pd.Index([keys[p] for p in keep])
    frame, filled = _clean(frame, typed)
    _check_cells(frame, filename, limits or Limits.default())
    if len(frame.columns) and not filled.all():
        frame = frame[filled]
    return ReadResult(filename, kind, frame, headers, positions, header_row, len(header), issues)


def _check_cells(frame: pd.DataFrame, filename: str, limits: Limits) -> None:
    """Refuse a text cell longer than a spreadsheet cell can be."""
    for name in frame.columns:
        column = frame[name]
        if not _is_text(column):
            continue
        longest = pc.max(pc.utf8_length(textcolumns.cells(column))).as_py() or 0
        if longest > limits.cell_chars:
            raise FileRefused(
                f"{filename} has a cell of {longest:,} characters in column {name}: a cell "
                f"holds at most {limits.cell_chars:,}"
            )


def _clean(
    frame: pd.DataFrame, typed: Callable[[str, pd.Series], pd.Series] | None
) -> tuple[pd.DataFrame, np.ndarray]:
    """Undo our own formula neutralising; typed cells through `typed`. With the frame, whether
    each row has a cell that holds something."""
    filled = np.zeros(len(frame), dtype=bool)
    for name in frame.columns:
        column = frame[name]
        if typed is not None and not _is_text(column):
            column = typed(str(name), column)
        values = None
        if _is_text(column):
            values = textcolumns.cells(column)
            quoted = pd.Series(textcolumns.starts_with(values, "'"), index=column.index)
        else:
            quoted = column.map(lambda v: isinstance(v, str) and v[:1] == "'").astype(bool)
        if quoted.any():
            column = column.where(~quoted, column[quoted].map(unneutralise))
            values = None  # found again: `'\t` holds something, the tab it leaves does not
        frame[name] = column
        if values is not None:
            filled |= ~textcolumns.blank(values)
        else:
            filled |= _filled_mask(frame[name]).to_numpy(dtype=bool)
    return frame, filled


def filled(cell: Any) -> bool:
    """True for a cell that holds something (not None, not only spaces)."""
    return not (cell is None or (isinstance(cell, str) and not cell.strip()))


def _is_text(column: pd.Series) -> bool:
    return pd.api.types.infer_dtype(column, skipna=True) in ("string", "empty")


def _filled_mask(column: pd.Series) -> pd.Series:
    """True where a cell holds something (vectorised for text; cell by cell for typed cells)."""
    if not _is_text(column):
        return column.map(filled).astype(bool)
    return pd.Series(~textcolumns.blank(textcolumns.cells(column)), index=column.index)


def _letter(position: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: the column as a spreadsheet names it."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
