"""Which reader a file needs: CSV or XLSX bytes in, a `ReadResult` of canonical columns out.

    result = read_file(data, "exchanges.csv")   # FileRefused for a file that cannot be read

The CSV reader is `xchange.imports.reading`, the workbook reader `xchange.imports.xlsx`; this
module only tells them apart (and refuses what neither reads), so neither imports the other.
"""

from __future__ import annotations

import dataclasses

from xchange.imports.limits import FileRefused, Limits, check_size
from xchange.imports.reading import ReadResult, read_csv
from xchange.imports.xlsx import read_xlsx

__all__ = ["FileRefused", "Limits", "ReadResult", "read_file"]


def read_file(
    data: bytes, filename: str, *, max_bytes: int | None = None, limits: Limits | None = None
) -> ReadResult:
    """Read CSV or XLSX `data` in this process, within `limits` (`Limits.default()`, its file
    size `max_bytes` when given); raises FileRefused with a sentence saying what is wrong.

    Files from users go through `guarded.read_untrusted`, which runs this in a process of its
    own with a memory and time limit."""
    limits = limits or Limits.default()
    if max_bytes is not None:
        limits = dataclasses.replace(limits, file_bytes=max_bytes)
    check_size(len(data), filename, limits)
    if _blank(data):
        raise FileRefused(f"{filename} is empty")
    kind = _kind(data, filename)
    if kind == "xlsx":
        return read_xlsx(data, filename, limits)
    return read_csv(data, filename, limits)


def _blank(data: bytes) -> bool:
    """True when `data` holds only spaces, line ends and BOM bytes (looking at the head first:
    stripping a whole file to find that it holds something copies all of it)."""
    blank = b" \t\r\n\xef\xbb\xbf"
    return not data[:4096].strip(blank) and not data.strip(blank)


def _kind(data: bytes, filename: str) -> str:
    if data.startswith(b"PK\x03\x04"):  # a zip container: XLSX (whatever the name says)
        return "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0"):  # the pre-2007 binary format
        raise FileRefused(
            f"{filename} is an old Excel workbook (.xls): save it as .xlsx or CSV and try again"
        )
    suffix = filename.rsplit(".", 1)[-1].casefold() if "." in filename else ""
    if suffix in ("xlsx", "xlsm"):
        raise FileRefused(f"{filename} is not a readable Excel workbook: save it again from Excel")
    return "csv"
