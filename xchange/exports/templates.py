"""Blank import templates: the canonical columns, and in XLSX a data dictionary and drop-downs.

    template_csv()                      # the header row, UTF-8 with BOM
    template_xlsx(partnerships=["GTEX"])  # sheets: exchanges, data dictionary, lists (hidden)

The drop-downs offer the canonical spellings of each enumeration (DOMAIN.md) and warn, without
blocking, on anything else: the importer accepts more spellings than a list can show.
"""

from __future__ import annotations

import io
from typing import Any

from xchange import reference
from xchange.models import Community, Modality, Status
from xchange.register.parsing import COLUMNS, REQUIRED

# Rows of the template that carry the drop-downs (the sheet itself has no limit).
TEMPLATE_ROWS = 5_000
YES_NO = ["yes", "no"]

# column -> (required, values, what it holds), as DOMAIN.md's table has it.
DICTIONARY: dict[str, tuple[str, str, str]] = {
    "reference": ("yes", "text", "Your reference, unique per partnership: the key for re-import"),
    "partnership": ("yes", "acronym", "Acronym of a known partnership (the one that pays)"),
    "status": ("yes", "planned, confirmed, completed, cancelled", "Where the exchange stands"),
    "modality": ("no", "physical (default), virtual", "Virtual stays are never funded"),
    "start_date": ("yes", "2025-03-14, 14/03/2025 or 14.03.2025", "First day at the host"),
    "end_date": ("yes", "2025-03-14, 14/03/2025 or 14.03.2025", "Last day at the host"),
    "visitor_organisation": ("yes", "legal name", "The organisation that visits"),
    "host_organisation": ("yes", "legal name", "The organisation that hosts"),
    "visitor_type": ("yes", "see the list", "Type of the visiting organisation"),
    "host_type": ("yes", "see the list", "Type of the host organisation"),
    "visitor_country": ("yes", "ISO code or English name", "Country of the visitor (DE, Greece)"),
    "host_country": ("yes", "ISO code or English name", "Country of the host"),
    "visitor_is_sme": ("yes", "yes / no", "Visitor is an SME (EU Recommendation 2003/361)"),
    "host_is_sme": ("yes", "yes / no", "Host is an SME"),
    "visitor_community": ("yes", "partner, member, external", "Visitor's tie to the partnership"),
    "host_community": ("yes", "partner, member, external", "Host's tie to the partnership"),
    "ecosystem": ("no", "one of the 14 (name or short code)", "EU industrial ecosystem"),
    "activity": ("no", "see the list", "Main activity of the stay"),
    "representative": ("no", "name", "Person who travels (personal data: optional)"),
    "distance_km": ("no", "number", "Distance between the organisations, for the halving rule"),
    "lump_sum_eur": (
        "no",
        "1100, 1100.00, 1.100,00 or 1100,00",
        "Computed by the rule when empty: at most EUR 1,100, halved below 5 working days or 200 km",
    ),
    "cancellation_reason": ("if cancelled", "text", "Why the exchange was cancelled"),
    "notes": ("no", "text", "Anything else"),
}


def choices(partnerships: list[str] | None = None) -> dict[str, list[str]]:
    """Column -> the values its drop-down offers."""
    countries = sorted(reference.DEFAULT_ELIGIBLE)
    lists = {
        # In the order of the workflow and of DOMAIN.md, not alphabetical.
        "status": [s.value for s in Status],
        "modality": [m.value for m in Modality],
        "visitor_type": reference.allowed_spellings("org_type"),
        "host_type": reference.allowed_spellings("org_type"),
        "visitor_country": countries,
        "host_country": countries,
        "visitor_is_sme": YES_NO,
        "host_is_sme": YES_NO,
        "visitor_community": [c.value for c in Community],
        "host_community": [c.value for c in Community],
        "ecosystem": reference.allowed_spellings("ecosystem"),
        "activity": reference.allowed_spellings("activity"),
    }
    if partnerships:
        lists["partnership"] = sorted(partnerships)
    return lists


def template_csv(dialect: str | None = None) -> bytes:
    """The canonical columns as a CSV header row (UTF-8 with BOM), comma-separated or, in
    `dialect` `excel-eu`, semicolon-separated."""
    from xchange.exports.dialects import dialect as csv_dialect

    delimiter = csv_dialect(dialect).delimiter
    return ("\ufeff" + delimiter.join(COLUMNS) + "\r\n").encode("utf-8")


def template_xlsx(partnerships: list[str] | None = None) -> bytes:
    """A workbook to fill in: `exchanges` (header, drop-downs, date and number formats), `data
    dictionary` (each column: required, values, meaning) and `lists` (hidden, the drop-downs'
    values). `partnerships` (acronyms) adds a drop-down for the partnership column."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("exchanges")
    dictionary = book.add_worksheet("data dictionary")
    lists = book.add_worksheet("lists")
    write_header(book, sheet, list(COLUMNS))
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    for name in ("start_date", "end_date"):
        position = COLUMNS.index(name)
        sheet.set_column(position, position, 12, date_format)
    for position, (name, values) in enumerate(choices(partnerships).items()):
        lists.write_string(0, position, name)
        for row, value in enumerate(values, start=1):
            lists.write_string(row, position, value)
        column = COLUMNS.index(name)
        letter = _letter(position)
        sheet.data_validation(
            1,
            column,
            TEMPLATE_ROWS,
            column,
            {
                "validate": "list",
                "source": f"=lists!${letter}$2:${letter}${len(values) + 1}",
                # A warning, not a stop: the importer reads more spellings than the list shows.
                "error_type": "warning",
                "error_title": "Not a listed value",
                "error_message": "The import may still read it; the list shows the usual ones.",
            },
        )
    lists.hide()
    bold = book.add_format({"bold": True, "bg_color": "#DDE7F0", "border": 1})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    for col, title in enumerate(("column", "required", "values", "what it holds")):
        dictionary.write_string(0, col, title, bold)
    for row, name in enumerate(COLUMNS, start=1):
        required, accepted, meaning = DICTIONARY[name]
        dictionary.write_string(row, 0, name)
        dictionary.write_string(row, 1, "yes" if name in REQUIRED else required)
        dictionary.write_string(row, 2, accepted, wrap)
        dictionary.write_string(row, 3, meaning, wrap)
    extra = len(COLUMNS) + 2
    dictionary.write_string(
        extra,
        0,
        "Exports add a version column: keep it to have changes made meanwhile detected; "
        "rows without it overwrite the register.",
    )
    dictionary.set_column(0, 0, 22)
    dictionary.set_column(1, 1, 12)
    dictionary.set_column(2, 3, 50)
    book.close()
    return buffer.getvalue()


def write_header(book: Any, sheet: Any, columns: list[str]) -> None:
    """A bold, frozen header row with a filter and readable widths."""
    bold = book.add_format({"bold": True, "bg_color": "#DDE7F0", "border": 1})
    for col, name in enumerate(columns):
        sheet.write_string(0, col, name, bold)
        sheet.set_column(col, col, max(12, min(len(name) + 4, 40)))
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, 0, max(len(columns) - 1, 0))


def _letter(position: int) -> str:
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
