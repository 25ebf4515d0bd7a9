"""How a CSV export is spelt for the spreadsheet program that opens it.

    DIALECTS["excel-eu"]   # Dialect(delimiter=";", decimal=",")

`excel` is comma-separated with decimal points, as English Excel and every program read it.
German, French, Italian (and most continental) Excel read a CSV with the list separator of
their locale, a semicolon, and decimal commas: a comma-separated file opens there as one
column. Both dialects are UTF-8 with a byte-order mark (without it Excel reads accents as
Windows-1252) and ISO dates (2025-03-14), which every locale reads as a date; the importer
reads both back.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dialect:
    """A CSV spelling: the delimiter between cells and the decimal mark in numbers."""

    delimiter: str
    decimal: str

    def number(self, text: str) -> str:
        """`1100.50` -> `1100,50` in a decimal-comma dialect (no thousands separator: the
        importer and every locale read a plain number)."""
        return text.replace(".", self.decimal) if self.decimal != "." else text


DIALECTS = {"excel": Dialect(",", "."), "excel-eu": Dialect(";", ",")}
DEFAULT = "excel"


def dialect(name: str | None) -> Dialect:
    """The dialect called `name` (None: `excel`); ValueError naming the choices otherwise."""
    try:
        return DIALECTS[name or DEFAULT]
    except KeyError:
        raise ValueError(f"Unknown CSV dialect {name!r}: choose {' or '.join(DIALECTS)}") from None
