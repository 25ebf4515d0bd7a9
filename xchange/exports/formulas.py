"""The formula guard: a text cell a spreadsheet could run as a formula ("CSV injection") is made
inert with a leading apostrophe on the way out, and the apostrophe taken away on the way in."""

from __future__ import annotations

from typing import Any

# The first character of a cell that a spreadsheet may run as a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text that a spreadsheet could run as a formula, made inert with a leading apostrophe.

    `=HYPERLINK("http://x")` -> `'=HYPERLINK("http://x")`; numbers, dates and other text are
    returned unchanged.
    """
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def unneutralise(value: Any) -> Any:
    """`'=SUM(A1)` (a cell our export protected) -> `=SUM(A1)`; anything else unchanged."""
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and value[1] in FORMULA_STARTS:
        return value[1:]
    return value
