"""What commands write: a plain table on standard output, a file replaced whole."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import click


def table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in columns}
    click.echo("  ".join(c.replace("_", " ").ljust(widths[c]) for c in columns))
    click.echo("  ".join("-" * widths[c] for c in columns))
    for row in rows:
        click.echo("  ".join(str(row[c]).ljust(widths[c]) for c in columns))


def file_format(fmt: str | None, output: str) -> str:
    """csv or xlsx: as asked, else from the file name, else csv."""
    return fmt or ("xlsx" if output.lower().endswith((".xlsx", ".xlsm")) else "csv")


def replace_file(output: str, data: bytes) -> None:
    """Write `data` to `output` whole: a reader never sees half a file, an old one is replaced."""
    target = Path(output)
    handle, temporary = tempfile.mkstemp(dir=target.parent or ".", prefix=f".{target.name}.")
    umask = os.umask(0)
    os.umask(umask)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp's 0600 would hide the file from others
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
