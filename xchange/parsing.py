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
import pandas as pd

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


def by_distinct(column: pd.Series, convert: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """`convert` (element by element) applied to each distinct value once, then spread back.

    A column of 100,000 cells holds a few hundred distinct dates, yes/no spellings or
    countries: converting those and taking the results is much faster than converting each cell.
    """
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    if len(uniques) * 2 > len(column):  # mostly distinct: nothing to gain
        return convert(column)
    converted = convert(pd.Series(np.asarray(uniques, dtype=object), dtype=object))
    blank = convert(pd.Series([None], dtype=object))
    values = pd.concat([converted, blank], ignore_index=True)
    taken = values.take(np.where(codes < 0, len(values) - 1, codes))
    taken.index = column.index
    return taken


def blank_mask(column: pd.Series) -> pd.Series:
    """True where a cell holds nothing (None, NaN, NaT or only spaces)."""
    as_text = column.astype("string")
    return column.isna() | as_text.str.strip().eq("").fillna(True)


def as_text(column: pd.Series) -> pd.Series:
    """Cells as stripped text, blanks as <NA>."""
    text = column.astype("string").str.strip()
    return text.mask(text.eq(""))


def parse_dates(column: pd.Series) -> pd.Series:
    return by_distinct(column, _parse_dates)


def _parse_dates(column: pd.Series) -> pd.Series:
    """Dates as `datetime64`, read from date objects or any accepted spelling; unreadable: NaT."""
    # Typed values (a form's date, Excel's datetime) convert directly.
    typed = column.map(lambda v: isinstance(v, date | datetime | pd.Timestamp))
    result = pd.Series(pd.NaT, index=column.index, dtype="datetime64[s]")
    if typed.any():
        result[typed] = pd.to_datetime(column[typed]).dt.normalize().astype("datetime64[s]")
    text = as_text(column[~typed])
    # Excel and CSV exports sometimes carry a midnight time: "2025-03-14 00:00:00".
    text = text.str.replace(r"[ T]00:00(:00)?$", "", regex=True)
    for fmt in DATE_FORMATS:
        todo = result.loc[text.index].isna() & text.notna()
        if not todo.any():
            break
        parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        result.loc[parsed.index] = parsed.astype("datetime64[s]")
    return result


def parse_bools(column: pd.Series) -> pd.Series:
    return by_distinct(column, _parse_bools)


def _parse_bools(column: pd.Series) -> pd.Series:
    """yes/no, true/false, y/n, 1/0 (any case) or real booleans -> nullable boolean."""
    table = {
        **dict.fromkeys(reference.TRUE_WORDS, True),
        **dict.fromkeys(reference.FALSE_WORDS, False),
    }

    def one(value: object) -> bool | None:
        if isinstance(value, bool | np.bool_):
            return bool(value)
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value)
        if isinstance(value, str):
            return table.get(value.strip().casefold())
        return None

    return column.map(one).astype("boolean")


def parse_numbers(column: pd.Series) -> pd.Series:
    return by_distinct(column, _parse_numbers)


def _parse_numbers(column: pd.Series) -> pd.Series:
    """Numbers in the spellings of DOMAIN.md: `1100`, `1100.00`, `1.100,00`, `1100,00` -> 1100.0."""

    def one(value: object) -> float | None:
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

    return column.map(one).astype("Float64")


def parse_countries(column: pd.Series) -> pd.Series:
    return by_distinct(column, _parse_countries)


def _parse_countries(column: pd.Series) -> pd.Series:
    """ISO alpha-2 codes from codes or English names; unknown: <NA>."""
    table = reference.country_table()
    key = as_text(column).str.replace(r"\s+", " ", regex=True).str.casefold()
    return key.map(table).astype("string")


def parse_enum(column: pd.Series, kind: str) -> pd.Series:
    return by_distinct(column, lambda c: _parse_enum(c, kind))


def _parse_enum(column: pd.Series, kind: str) -> pd.Series:
    """Stored enumeration values from any spelling (case, spaces, hyphens, underscores)."""
    table = reference.enum_tables()[kind]
    key = as_text(column).str.casefold().str.replace(r"[\s_\-]+", " ", regex=True)
    return key.map(table).astype("string")


def parse_table(raw: pd.DataFrame) -> tuple[pd.DataFrame, list[Issue]]:
    """Typed canonical columns from `raw`, and an error for each blank required or unreadable cell.

    `raw` has the canonical columns (missing optional ones are added blank). The result keeps
    `raw`'s index, so issues point at the same rows.
    """
    issues: list[Issue] = []
    raw = raw.copy()
    for name in COLUMNS:
        if name not in raw.columns:
            raw[name] = None
    parsed = pd.DataFrame(index=raw.index)

    for name in TEXT_COLUMNS:
        parsed[name] = as_text(raw[name])
    for name in DATE_COLUMNS:
        parsed[name] = parse_dates(raw[name])
        _unreadable(
            issues,
            raw[name],
            parsed[name],
            "unreadable_date",
            "{field} {value!r} is not a date: write it as 2025-03-14, 14/03/2025 or 14.03.2025",
        )
    for name in BOOL_COLUMNS:
        parsed[name] = parse_bools(raw[name])
        _unreadable(
            issues,
            raw[name],
            parsed[name],
            "unreadable_yes_no",
            "{field} {value!r} is not yes or no",
        )
    for name in NUMBER_COLUMNS:
        parsed[name] = parse_numbers(raw[name])
        _unreadable(
            issues,
            raw[name],
            parsed[name],
            "unreadable_number",
            "{field} {value!r} is not a number",
        )
    for name in COUNTRY_COLUMNS:
        parsed[name] = parse_countries(raw[name])
        _unreadable(
            issues,
            raw[name],
            parsed[name],
            "unknown_country",
            "{field} {value!r} is not a country we know: use an ISO code such as DE or an English name",
        )
    for name, kind in ENUM_COLUMNS.items():
        parsed[name] = parse_enum(raw[name], kind)
        allowed = ", ".join(reference.allowed_spellings(kind))
        _unreadable(
            issues,
            raw[name],
            parsed[name],
            "invalid_choice",
            "{field} {value!r} is not one of: " + allowed.replace("{", "{{").replace("}", "}}"),
        )
    parsed["modality"] = parsed["modality"].fillna("physical")

    for name in REQUIRED:
        for label in raw.index[blank_mask(raw[name])]:
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
    issues: list[Issue], raw: pd.Series, parsed: pd.Series, code: str, template: str
) -> None:
    """An error for each cell that holds something but did not parse."""
    missing = parsed.isna()
    if not missing.any():  # the common case: every cell read
        return
    bad = missing & ~blank_mask(raw)
    for label, value in raw[bad].items():
        text = str(value).strip()
        field = str(raw.name)
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
