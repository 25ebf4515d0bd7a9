"""The import's columns and the `Issue` a reading reports: a leaf, so that the reader of
untrusted files (`readchild`) can use them without importing the database layer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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


# The column an export adds: the record's version, so a re-import refuses a stale row.
VERSION = "version"

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
