"""From cells as people write them to typed columns, one whole column at a time.

A form hands over typed values (a `date`, a `bool`); a spreadsheet hands over text in many
European spellings (DOMAIN.md). Both go through `parse_table`, which returns the typed table and
an `Issue` for every cell it cannot read, so a value is read the same way wherever it comes from.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from xchange import reference

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Issue:
    """One problem with one value: a stable `code`, the column, the value and a sentence.

    `row` is the table's index label (an import uses the spreadsheet's own row number there);
    `None` for a problem with the whole file.
    """

    code: str
    severity: Severity
    field: str
    value: str
    message: str
    row: int | None = None


REQUIRED = (
    "reference",
    "partnership",
    "status",
    "start_date",
    "end_date",
    "visitor_organisation",
    "host_organisation",
    "visitor_type",
    "host_type",
    "visitor_country",
    "host_country",
    "visitor_is_sme",
    "host_is_sme",
    "visitor_community",
    "host_community",
)
OPTIONAL = (
    "modality",
    "ecosystem",
    "activity",
    "representative",
    "distance_km",
    "lump_sum_eur",
    "cancellation_reason",
    "notes",
)
COLUMNS = REQUIRED[:3] + ("modality",) + REQUIRED[3:] + OPTIONAL[1:]

DATE_COLUMNS = ("start_date", "end_date")
BOOL_COLUMNS = ("visitor_is_sme", "host_is_sme")
NUMBER_COLUMNS = ("distance_km", "lump_sum_eur")
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
    codes, uniques = factorize(column)
    results = [one(value) for value in uniques] + [None]
    distinct = pd.array(results, dtype=dtype)  # type: ignore[call-overload]
    taken = distinct.take(np.where(codes < 0, len(results) - 1, codes))
    return pd.Series(taken, index=column.index)


def factorize(column: pd.Series) -> tuple[npt.NDArray[np.intp], list[object]]:
    """(code of each cell, -1 for a blank; the distinct values as Python objects).

    Text held in Arrow (what the file reader gives) is encoded by Arrow itself: pandas'
    factorize of the same column costs twice as much, and an import does it some forty times.
    """
    text = _arrow_text(column)
    if text is None:
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        return codes, np.asarray(uniques, dtype=object).tolist()
    encoded = pc.dictionary_encode(text)
    indices = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    return indices.astype(np.intp, copy=False), encoded.dictionary.to_pylist()


def _arrow_text(column: pd.Series) -> pa.Array | None:
    """The column's Arrow text array, when that is how pandas holds it; else None."""
    if not isinstance(column.dtype, pd.StringDtype) or column.dtype.storage != "pyarrow":
        return None
    array = pa.array(column.array)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


# Every character `str.strip()` takes away (those for which `str.isspace()` holds).
_WHITESPACE = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())


def _trimmed(text: pa.Array) -> pa.Array:
    """Arrow text as `str.strip()` leaves it."""
    return pc.utf8_trim(text, _WHITESPACE)


def blank_mask(column: pd.Series) -> pd.Series:
    """True where a cell holds nothing (None, NaN, NaT or only spaces)."""
    text = _arrow_text(column)
    if text is not None:
        blank = pc.fill_null(pc.equal(_trimmed(text), ""), True)
        return pd.Series(blank.to_numpy(zero_copy_only=False), index=column.index)
    blank = by_distinct(
        column, lambda value: isinstance(value, str) and not value.strip(), "boolean"
    )
    return blank.fillna(True).astype(bool)


def as_text(column: pd.Series) -> pd.Series:
    """Cells as stripped text, blanks as <NA>."""
    text = _arrow_text(column)
    if text is not None:
        trimmed = _trimmed(text)
        stripped = pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, trimmed.type), trimmed)
        return pd.Series(pd.array(stripped, dtype="string"), index=column.index)
    return by_distinct(column, _text_one, "string")


def _text_one(value: object) -> str | None:
    return str(value).strip() or None


def parse_dates(column: pd.Series) -> pd.Series:
    """Dates as `datetime64[s]`, read from date objects or any accepted spelling; unreadable: NaT."""
    return by_distinct(column, _date_one, "datetime64[s]")


# Excel and CSV exports sometimes carry a midnight time: "2025-03-14 00:00:00".
_MIDNIGHT = re.compile(r"[ T]00:00(:00)?$")


def _date_one(value: object) -> np.datetime64 | None:
    # Typed values (a form's date, Excel's datetime, a Timestamp) convert directly.
    if isinstance(value, datetime):
        return np.datetime64(value.date(), "s")
    if isinstance(value, date):
        return np.datetime64(value, "s")
    text = _MIDNIGHT.sub("", str(value).strip())
    for fmt in DATE_FORMATS:
        try:
            return np.datetime64(datetime.strptime(text, fmt).date(), "s")  # noqa: DTZ007 (a day)
        except ValueError:
            continue
    return None


def parse_bools(column: pd.Series) -> pd.Series:
    """yes/no, true/false, y/n, 1/0 (any case) or real booleans -> nullable boolean."""
    return by_distinct(column, _bool_one, "boolean")


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
        return _BOOL_WORDS.get(value.strip().casefold())
    return None


def parse_numbers(column: pd.Series) -> pd.Series:
    """Numbers in the spellings of DOMAIN.md: `1100`, `1100.00`, `1.100,00`, `1100,00` -> 1100.0."""
    text = _arrow_text(column)
    if text is None:
        return by_distinct(column, _number_one, "Float64")
    # Plain decimals (`1117.8`, not `1.100`, which reads as thousands) are cast by Arrow, as
    # correctly rounded as float(); only the other spellings go through `_number_one`.
    trimmed = _trimmed(text)
    plain = pc.and_kleene(
        pc.match_substring_regex(trimmed, _PLAIN_DECIMAL),
        pc.invert(pc.match_substring_regex(trimmed, _DOTTED_THOUSANDS)),
    )
    plain = pc.fill_null(plain, False)
    others = pc.if_else(plain, pa.scalar(None, text.type), text)
    parsed = by_distinct(
        pd.Series(pd.array(others, dtype=column.dtype), index=column.index), _number_one, "Float64"
    )
    cast = pc.cast(pc.if_else(plain, trimmed, pa.scalar(None, text.type)), pa.float64())
    chosen = pc.if_else(plain, cast, pa.array(parsed.array, pa.float64(), from_pandas=True))
    return pd.Series(pd.array(chosen, dtype="Float64"), index=column.index)


_PLAIN_DECIMAL = r"^-?[0-9]+(\.[0-9]+)?$"
_DOTTED_THOUSANDS = r"^-?[0-9]{1,3}(\.[0-9]{3})+$"


def _number_one(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        return None if pd.isna(value) else float(value)
    if not isinstance(value, str):
        return None
    text = value.strip().replace("\u00a0", "").replace(" ", "").removeprefix("€")
    text = text.removesuffix("€").removeprefix("EUR").removesuffix("EUR")
    if re.fullmatch(r"-?\d{1,3}(\.\d{3})+(,\d+)?", text):  # 1.100,00
        text = text.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", text):  # 1,100.00
        text = text.replace(",", "")
    elif re.fullmatch(r"-?\d+,\d+", text):  # 1100,00
        text = text.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return None


def parse_countries(column: pd.Series) -> pd.Series:
    """ISO alpha-2 codes from codes or English names; unknown: <NA>."""
    table = reference.country_table()
    return by_distinct(
        column, lambda value: table.get(" ".join(str(value).split()).casefold()), "string"
    )


def parse_enum(column: pd.Series, kind: str) -> pd.Series:
    """Stored enumeration values from any spelling (case, spaces, hyphens, underscores)."""
    table = reference.enum_tables()[kind]
    return by_distinct(
        column,
        lambda value: table.get(_SEPARATORS.sub(" ", str(value).strip().casefold())),
        "string",
    )


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
    checks: list[tuple[tuple[str, ...], Callable[[pd.Series], pd.Series], str, str]] = [
        (
            DATE_COLUMNS,
            parse_dates,
            "unreadable_date",
            "{field} {value!r} is not a date: write it as 2025-03-14, 14/03/2025 or 14.03.2025",
        ),
        (BOOL_COLUMNS, parse_bools, "unreadable_yes_no", "{field} {value!r} is not yes or no"),
        (NUMBER_COLUMNS, parse_numbers, "unreadable_number", "{field} {value!r} is not a number"),
        (
            COUNTRY_COLUMNS,
            parse_countries,
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
                lambda column, kind=kind: parse_enum(column, kind),  # type: ignore[misc]
                "invalid_choice",
                "{field} {value!r} is not one of: " + allowed.replace("}", "}}"),
            )
        )
    for names, parse, code, template in checks:
        for name in names:
            columns[name] = parse(cells[name])
            _unreadable(issues, cells[name], columns[name], code, template, name)
    columns["modality"] = columns["modality"].fillna("physical")
    parsed = pd.DataFrame({name: columns[name] for name in COLUMNS}, index=raw.index)

    for name in REQUIRED:
        for label in raw.index[blank_mask(cells[name]).to_numpy()]:
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
    issues: list[Issue], raw: pd.Series, parsed: pd.Series, code: str, template: str, field: str
) -> None:
    """An error for each cell that holds something but did not parse."""
    missing = parsed.isna()
    if not missing.any():  # the common case: every cell read
        return
    bad = (missing & ~blank_mask(raw)).to_numpy(dtype=bool)
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


def _row(label: object) -> int | None:
    return int(label) if isinstance(label, int | np.integer) else None


def field_label(field: str) -> str:
    """A column name as people read it: `visitor_is_sme` -> `Visitor is SME`."""
    text = field.replace("_", " ").replace(" sme", " SME").replace(" km", " (km)")
    return text.replace(" eur", " (EUR)")[:1].upper() + text.replace(" eur", " (EUR)")[1:]
