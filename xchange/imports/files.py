"""Which reader a file needs: CSV or workbook bytes in, a `ReadResult` of canonical columns out.

    result = read_file(data, "exchanges.csv")   # FileRefused for a file that cannot be read

The CSV reader is `xchange.imports.reading`, the workbook reader (XLSX, XLSM, XLS, XLSB, ODS)
`xchange.imports.xlsx`; `xchange.imports.kinds` tells them apart by content, so neither
imports the other.
"""

from __future__ import annotations

import dataclasses

from xchange.imports.kinds import kind_of
from xchange.imports.limits import FileRefused, Limits, check_size
from xchange.imports.reading import ReadResult, read_csv
from xchange.imports.xlsx import read_workbook

__all__ = ["FileRefused", "Limits", "ReadResult", "read_file"]


def read_file(
    data: bytes, filename: str, *, max_bytes: int | None = None, limits: Limits | None = None
) -> ReadResult:
    """Read CSV or workbook `data` in this process, within `limits` (`Limits.default()`, its file
    size `max_bytes` when given); raises FileRefused with a sentence saying what is wrong.

    Files from users go through `guarded.read_untrusted`, which runs this in a process of its
    own with a memory and time limit."""
    limits = limits or Limits.default()
    if max_bytes is not None:
        limits = dataclasses.replace(limits, file_bytes=max_bytes)
    check_size(len(data), filename, limits)
    if _blank(data):
        raise FileRefused(f"{filename} is empty")
    kind = kind_of(data, filename)
    if kind == "csv":
        return read_csv(data, filename, limits)
    return read_workbook(data, filename, limits, kind)


def _blank(data: bytes) -> bool:
    """True when `data` holds only spaces, line ends and BOM bytes (looking at the head first:
    stripping a whole file to find that it holds something copies all of it)."""
    blank = b" \t\r\n\xef\xbb\xbf"
    return not data[:4096].strip(blank) and not data.strip(blank)
