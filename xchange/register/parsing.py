"""From cells as people write them to typed columns, one whole column at a time.

A form hands over typed values (a `date`, a `bool`); a spreadsheet hands over text in many
European spellings (DOMAIN.md). Both go through `parse_table`, which returns the typed table and
an `Issue` for every cell it cannot read, so a value is read the same way wherever it comes from.

A CSV's columns arrive as Arrow text. Where a cell's reading is certain from Arrow's kernels
alone (plain ASCII text, a plain decimal number) a whole column is read at once; every other
cell goes through the same Python function of one value that reads a form's cells, so the two
paths cannot disagree.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from xchange import dates, reference, textcolumns
from xchange.columns import (  # noqa: F401  (named here too, as before)
    BOOL_COLUMNS,
    COLUMNS,
    DATE_COLUMNS,
    NUMBER_COLUMNS,
    OPTIONAL,
    REQUIRED,
    Issue,
    Severity,
)
from xchange.textcolumns import arrow_text, to_numpy, where
from xchange.textcolumns import by_distinct as arrow_by_distinct

COUNTRY_COLUMNS = ("visitor_country", "host_country")
# Column -> the enumeration kind of reference.enum_tables().
ENUM_COLUMNS = {
    "status": "status",
    "modality": "modality",
    "visitor_type": "org_type",
    "host_type": "org_type",
    "visitor_community": "community",
    "host_community": "community",
    "ecosystem": "ecosystem",
    "activity": "activity",
}
TEXT_COLUMNS = (
    "reference",
    "partnership",
    "visitor_organisation",
    "host_organisation",
    "representative",
    "cancellation_reason",
    "notes",
)
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y")


def by_distinct(column: pd.Series, one: Callable[[object], object], dtype: str) -> pd.Series:
    """`one` (a function of one cell, never given a blank) applied to each distinct value once,
    spread back over the column as `dtype`; blank cells (None, NaN, NaT) become NA.

    A column of 100,000 cells holds a few hundred distinct dates, yes/no spellings or
    countries, and a form's column holds one cell: plain Python on the distinct values, with a
    few array operations around it, serves both without pandas' per-operation cost.
    """
    return _read_distinct(column, one, dtype)[0]


def _read_distinct(
    column: pd.Series, one: Callable[[object], object], dtype: str
) -> tuple[pd.Series, pd.Series]:
    """`by_distinct`, and the column's blank cells (as `blank_mask` finds them) from the same
    distinct values: a parsed column's blanks cost one more look at a few hundred values."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    values = np.asarray(uniques, dtype=object).tolist()
    results = [one(value) for value in values] + [None]
    blank = np.array([_blank_one(value) for value in values] + [True], dtype=bool)
    at = np.where(codes < 0, len(values), codes)
    distinct = pd.array(results, dtype=dtype)  # type: ignore[call-overload]
    index = column.index
    return pd.Series(distinct.take(at), index=index), pd.Series(blank[at], index=index)


def blank_mask(column: pd.Series) -> pd.Series:
    """True where a cell holds nothing (None, NaN, NaT or only spaces)."""
    values = arrow_text(column)
    if values is None:
        return by_distinct(column, _blank_one, "boolean").fillna(True).astype(bool)
    # Whitespace is Arrow's to strip; only the cells holding a character that shows as nothing
    # are read one distinct value at a time.
    blanks = textcolumns.blank(values)
    unsure = ~blanks & _invisible(values)
    if unsure.any():
        subset, _ = where(values, unsure)
        blanks[unsure] = to_numpy(arrow_by_distinct(subset, _blank_one, pa.bool_()), True)
    return pd.Series(blanks, index=column.index)


def _blank_one(value: object) -> bool:
    return isinstance(value, str) and not clean_text(value)


# Characters that show as nothing: the soft hyphen, zero-width spaces and joiners, bidirectional
# controls, the word joiner and invisible operators, the byte-order mark (U+FEFF, which a file
# pasted into another carries into its middle), interlinear annotation marks and tag characters.
_INVISIBLE_RANGES = (
    (0x00AD, 0x00AD),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
)
_INVISIBLE = re.compile(
    "[" + "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in _INVISIBLE_RANGES) + "]"
)
# The same class for Arrow's regular expressions (RE2), which find the cells that hold one.
_INVISIBLE_RE2 = "[" + "".join(f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in _INVISIBLE_RANGES) + "]"


def clean_text(text: str) -> str:
    """A cell's text as every reader takes it, form or file: characters that show as nothing
    removed wherever they stand, then whitespace (tabs, no-break spaces...) stripped at both
    ends. A reference or a name holding a zero-width space or a stray byte-order mark would
    look like another and never match it.
    """
    return _INVISIBLE.sub("", text).strip()


def _invisible(values: pa.Array) -> np.ndarray:
    """True for each cell holding a character that shows as nothing (only non-ASCII cells can)."""
    found = np.zeros(len(values), dtype=bool)
    wide = ~to_numpy(pc.string_is_ascii(values), True)
    if wide.any():
        subset, _ = where(values, wide)
        found[wide] = to_numpy(pc.match_substring_regex(subset, _INVISIBLE_RE2), False)
    return found


def as_text(column: pd.Series) -> pd.Series:
    """Cells as stripped text, blanks as <NA>."""
    values = arrow_text(column)
    if values is None:
        return by_distinct(column, _text_one, "string")
    # Whitespace is Arrow's to strip; only the cells holding a character that shows as nothing
    # are read one distinct value at a time.
    text = textcolumns.stripped(values)
    invisible = _invisible(values)
    if invisible.any():
        subset, mask = where(values, invisible)
        text = pc.replace_with_mask(text, mask, arrow_by_distinct(subset, _text_one, text.type))
    return pd.Series(pd.array(text, dtype="string"), index=column.index)


def _text_one(value: object) -> str | None:
    return clean_text(str(value)) or None


# Excel and CSV exports sometimes carry a midnight time: "2025-03-14 00:00:00".
_MIDNIGHT = re.compile(r"[ T]00:00(:00)?$")


def _date_one(value: object) -> np.datetime64 | None:
    # Typed values (a form's date, Excel's datetime, a Timestamp) convert directly.
    if isinstance(value, datetime):
        return np.datetime64(value.date(), "s")
    if isinstance(value, date):
        return np.datetime64(value, "s")
    text = _MIDNIGHT.sub("", clean_text(str(value)))
    for fmt in DATE_FORMATS:
        try:
            return np.datetime64(datetime.strptime(text, fmt).date(), "s")  # noqa: DTZ007 (a day)
        except ValueError:
            continue
    return None


_BOOL_WORDS = {
    **dict.fromkeys(reference.TRUE_WORDS, True),
    **dict.fromkeys(reference.FALSE_WORDS, False),
}


def _bool_one(value: object) -> bool | None:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        return _BOOL_WORDS.get(clean_text(value).casefold())
    return None


def parse_numbers(column: pd.Series) -> pd.Series:
    """Numbers in the spellings of DOMAIN.md: `1100`, `1100.00`, `1.100,00`, `1100,00` -> 1100.0."""
    values = arrow_text(column)
    if values is None:
        return by_distinct(column, _number_one, "Float64")
    # Plain decimals (`1117.8`) convert in Arrow, to the same nearest double as float();
    # `1.100` is a thousands separator, not a decimal point, and goes with the rest to Python.
    decimal = to_numpy(pc.match_substring_regex(values, _PLAIN_DECIMAL), False)
    dot = to_numpy(pc.find_substring(values, "."), -1)
    after = to_numpy(pc.binary_length(values), 0) - dot - 1
    plain = decimal & ~((dot >= 1) & (dot <= 3) & (after == 3))
    numbers = np.full(len(values), np.nan)
    known = plain.copy()
    if plain.any():
        subset, _ = where(values, plain)
        numbers[plain] = pc.cast(subset, pa.float64()).to_numpy(zero_copy_only=False)
    rest = ~plain
    if rest.any():
        subset, _ = where(values, rest)
        read = arrow_by_distinct(subset, _number_one, pa.float64())
        numbers[rest] = to_numpy(read, np.nan)
        known[rest] = to_numpy(read.is_valid(), False)
    known &= ~np.isnan(numbers)  # float("nan") reads as NA, as in a Float64 array made from it
    return pd.Series(pd.arrays.FloatingArray(numbers, ~known), index=column.index)


# ASCII digits only, and not so many that float() and Arrow could disagree about overflow.
_PLAIN_DECIMAL = r"^[0-9]{1,15}(\.[0-9]{1,15})?$"


def _number_one(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        try:
            return _finite(float(value))
        except OverflowError:  # an int beyond any float
            return None
    if not isinstance(value, str):
        return None
    text = clean_text(value).replace("\u00a0", "").replace(" ", "").removeprefix("€")
    text = text.removesuffix("€").removeprefix("EUR").removesuffix("EUR")
    if re.fullmatch(r"-?\d{1,3}(\.\d{3})+(,\d+)?", text):  # 1.100,00
        text = text.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", text):  # 1,100.00
        text = text.replace(",", "")
    elif re.fullmatch(r"-?\d+,\d+", text):  # 1100,00
        text = text.replace(",", ".")
    try:
        return _finite(float(text))
    except ValueError:
        return None


def _finite(number: float) -> float | None:
    """`number`, or None for nan and for infinity (`1e400` reads as infinity): no cell holds one."""
    return number if math.isfinite(number) else None


def _country_reader() -> Callable[[object], object]:
    table = reference.country_table()
    return lambda value: table.get(" ".join(clean_text(str(value)).split()).casefold())


def _enum_reader(kind: str) -> Callable[[object], object]:
    table = reference.enum_tables()[kind]
    return lambda value: table.get(_SEPARATORS.sub(" ", clean_text(str(value)).casefold()))


_SEPARATORS = re.compile(r"[\s_\-]+")


def parse_table(raw: pd.DataFrame) -> tuple[pd.DataFrame, list[Issue]]:
    """Typed canonical columns from `raw`, and an error for each blank required or unreadable cell.

    `raw` has the canonical columns (missing optional ones are added blank). The result keeps
    `raw`'s index, so issues point at the same rows.
    """
    issues: list[Issue] = []
    blank = pd.Series(None, index=raw.index, dtype=object)
    cells = {name: raw[name] if name in raw.columns else blank for name in COLUMNS}
    # Columns go into a dict and the frame is made once: inserting them one by one costs
    # more than parsing a form's single row.
    columns: dict[str, pd.Series] = {name: as_text(cells[name]) for name in TEXT_COLUMNS}
    # A text cell is blank exactly where its stripped text is <NA>.
    blanks: dict[str, pd.Series] = {name: columns[name].isna() for name in TEXT_COLUMNS}
    # Column names, the reader of one distinct value (None: parse_numbers reads the column),
    # the parsed dtype, and the error for a cell that does not read.
    checks: list[tuple[tuple[str, ...], Callable[[object], object] | None, str, str, str]] = [
        (
            DATE_COLUMNS,
            _date_one,
            "datetime64[s]",
            "unreadable_date",
            "{field} {value!r} is not a date: write it as 2025-03-14, 14/03/2025 or 14.03.2025",
        ),
        (
            BOOL_COLUMNS,
            _bool_one,
            "boolean",
            "unreadable_yes_no",
            "{field} {value!r} is not yes or no",
        ),
        (
            NUMBER_COLUMNS,
            None,
            "Float64",
            "unreadable_number",
            "{field} {value!r} is not a finite number such as 850 or 1.100,00",
        ),
        (
            COUNTRY_COLUMNS,
            _country_reader(),
            "string",
            "unknown_country",
            "{field} {value!r} is not a country we know: use an ISO code such as DE or an "
            "English name",
        ),
    ]
    for kind in dict.fromkeys(ENUM_COLUMNS.values()):
        allowed = ", ".join(reference.allowed_spellings(kind)).replace("{", "{{")
        checks.append(
            (
                tuple(name for name, of in ENUM_COLUMNS.items() if of == kind),
                _enum_reader(kind),
                "string",
                "invalid_choice",
                "{field} {value!r} is not one of: " + allowed.replace("}", "}}"),
            )
        )

    def blank_of(name: str) -> pd.Series:
        """The column's blank cells, found once: both checks below may ask."""
        if name not in blanks:
            blanks[name] = blank_mask(cells[name])
        return blanks[name]

    for names, one, dtype, code, template in checks:
        for name in names:
            if one is None:
                columns[name] = parse_numbers(cells[name])
            else:
                columns[name], blanks[name] = _read_distinct(cells[name], one, dtype)
            _unreadable(issues, cells[name], columns[name], code, template, name, blank_of)
    for name in DATE_COLUMNS:
        columns[name] = _within_bounds(issues, columns[name], name)
    columns["modality"] = columns["modality"].fillna("physical")
    parsed = pd.DataFrame({name: columns[name] for name in COLUMNS}, index=raw.index)

    for name in REQUIRED:
        for label in raw.index[blank_of(name).to_numpy()]:
            issues.append(
                Issue(
                    "missing_value",
                    "error",
                    name,
                    "",
                    f"{field_label(name)} is required but empty",
                    _row(label),
                )
            )
    return parsed, issues


def _unreadable(
    issues: list[Issue],
    raw: pd.Series,
    parsed: pd.Series,
    code: str,
    template: str,
    field: str,
    blank_of: Callable[[str], pd.Series],
) -> None:
    """An error for each cell that holds something but did not parse."""
    missing = parsed.isna()
    if not missing.any():  # the common case: every cell read
        return
    bad = (missing & ~blank_of(field)).to_numpy(dtype=bool)
    for label, value in raw[bad].items():
        text = str(value).strip()
        issues.append(
            Issue(
                code,
                "error",
                field,
                text,
                template.format(field=field_label(field), value=text),
                _row(label),
            )
        )


_EARLIEST, _LATEST = (np.datetime64(day, "s") for day in (dates.EARLIEST, dates.LATEST))


def _within_bounds(issues: list[Issue], column: pd.Series, field: str) -> pd.Series:
    """`column` (read dates) with an error for each date outside the accepted ones, which is
    then left unread (NaT): nothing derives quarters or sums from year 9999."""
    values = column.to_numpy()
    outside = (values < _EARLIEST) | (values > _LATEST)  # NaT compares False
    if not outside.any():
        return column
    for label, value in column[outside].items():
        issues.append(date_out_of_range(field, pd.Timestamp(value).date(), _row(label)))
    return column.mask(outside)


def date_out_of_range(field: str, day: date, row: int | None = None) -> Issue:
    """The error for a date outside the accepted ones, naming the field (form, file or service)."""
    message = dates.out_of_range_message(field_label(field), day)
    return Issue("date_out_of_range", "error", field, day.isoformat(), message, row)


def _row(label: object) -> int | None:
    return int(label) if isinstance(label, int | np.integer) else None


def field_label(field: str) -> str:
    """A column name as people read it: `visitor_is_sme` -> `Visitor is SME`."""
    text = field.replace("_", " ").replace(" sme", " SME").replace(" km", " (km)")
    return text.replace(" eur", " (EUR)")[:1].upper() + text.replace(" eur", " (EUR)")[1:]
