"""How figures read for people: 1,000 and 52.3 %, 2026-03-14 and 2026-Q3, plain column names.

Shared by the CLI, the pages and the quarterly pack, so a figure reads the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where used: the CLI's headline needs neither
    import pandas as pd


def number(value: int | float | None) -> str:
    """1000 -> `1,000`; None -> empty."""
    return "" if value is None else f"{value:,.0f}"


def percent(value: float | None) -> str:
    """0.5234 -> `52.3 %`; None -> `no data` (nothing counted yet)."""
    import pandas as pd

    return "no data" if value is None or pd.isna(value) else f"{value * 100:.1f} %"


def iso(day: date | None) -> str:
    """Dates as 2026-03-14 everywhere."""
    return day.isoformat() if isinstance(day, date) else ""


def euros(value: float | None) -> str:
    """1100 -> `EUR 1,100.00`."""
    return "" if value is None else f"EUR {value:,.2f}"


Formatter = Callable[[Any], str]

# Column -> (heading, formatter) for every column a breakdown may hold.
COLUMNS: dict[str, tuple[str, Formatter]] = {
    "acronym": ("Partnership", str),
    "name": ("Name", str),
    "quarter": ("Quarter", lambda q: _quarter(str(q))),
    "period": ("Reporting period", str),
    "ends_on": ("Period ends", iso),
    "side": ("Side", str),
    "country": ("Country", str),
    "country_name": ("Country name", str),
    "visitor_country": ("Visitor country", str),
    "host_country": ("Host country", str),
    "ecosystem_name": ("Ecosystem", str),
    "type_label": ("Organisation type", str),
    "target": ("Target", number),
    "counted": ("Counted", number),
    "progress": ("Progress", percent),
    "involving_sme": ("Involving an SME", number),
    "sme_share": ("SME share", percent),
    "beyond_community": ("Beyond community", number),
    "beyond_share": ("Beyond share", percent),
    "cumulative_counted": ("Cumulative counted", number),
    "cumulative_sme_share": ("Cumulative SME share", percent),
    "cumulative_beyond_share": ("Cumulative beyond share", percent),
    "pipeline": ("Pipeline", number),
    "cancelled": ("Cancelled", number),
    "virtual": ("Virtual", number),
}

# The columns each breakdown shows, in order.
VIEWS: dict[str, list[str]] = {
    "partnership": [
        "acronym",
        "counted",
        "target",
        "progress",
        "sme_share",
        "beyond_share",
        "pipeline",
        "cancelled",
        "virtual",
    ],
    "quarter": [
        "quarter",
        "counted",
        "cumulative_counted",
        "sme_share",
        "beyond_share",
        "cumulative_sme_share",
        "cumulative_beyond_share",
        "pipeline",
        "cancelled",
    ],
    "period": [
        "acronym",
        "period",
        "ends_on",
        "counted",
        "sme_share",
        "beyond_share",
        "pipeline",
        "cancelled",
    ],
    "country": [
        "side",
        "country",
        "country_name",
        "counted",
        "sme_share",
        "beyond_share",
        "pipeline",
        "cancelled",
    ],
    "flow": ["visitor_country", "host_country", "counted", "sme_share", "beyond_share", "pipeline"],
    "ecosystem": [
        "ecosystem_name",
        "counted",
        "sme_share",
        "beyond_share",
        "pipeline",
        "cancelled",
    ],
    "org-type": ["side", "type_label", "counted", "sme_share", "beyond_share", "pipeline"],
}


def readable(frame: pd.DataFrame, view: str) -> pd.DataFrame:
    """The view's columns, formatted as text under plain headings."""
    import pandas as pd

    columns = [c for c in VIEWS[view] if c in frame.columns]
    shown = pd.DataFrame(index=frame.index)
    for column in columns:
        heading, formatter = COLUMNS[column]
        shown[heading] = frame[column].map(lambda v, f=formatter: _cell(v, f))
    return shown.reset_index(drop=True)


def _quarter(quarter: str) -> str:
    from xchange.reference import quarter_label

    return quarter_label(quarter)


def _cell(value: Any, formatter: Formatter) -> str:
    import pandas as pd

    if formatter is percent:
        return percent(value)  # None reads "no data": nothing counted, not 0 %
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return formatter(value)


def text_table(frame: pd.DataFrame) -> str:
    """A plain-text table: headings, a rule, left-aligned cells, no trailing spaces."""
    return text_rows(list(frame.columns), frame.itertuples(index=False))


def text_rows(headings: list[str], rows: Iterable[Iterable[Any]]) -> str:
    """`text_table` of plain rows, for callers that hold no frame (the CLI's headline)."""
    cells = [[str(v) for v in row] for row in rows]
    widths = [max([len(h), *(len(row[i]) for row in cells)]) for i, h in enumerate(headings)]
    lines = [
        "  ".join(h.ljust(w) for h, w in zip(headings, widths, strict=True)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    lines += [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    return "\n".join(lines)
