"""What kind of spreadsheet a file is, from its content first and its name second.

    kind_of(data, "exchanges.xlsx")   # "csv", "xlsx", "xls", "xlsb" or "ods"

Browsers and mail programs lose or change names, and people rename files, so the content
decides: an OLE2 header is a pre-2007 Excel workbook (.xls), a zip is an OpenDocument
spreadsheet (its `mimetype` part), an Excel binary workbook (`xl/workbook.bin`) or an Excel
workbook (.xlsx or .xlsm). A name that promises a workbook on content that is none is refused,
rather than read as text.
"""

from __future__ import annotations

import io
import zipfile

from xchange.imports.limits import FileRefused

KINDS = ("csv", "xlsx", "xls", "xlsb", "ods")
# What each kind is called in a sentence to the user.
NAMES = {
    "csv": "CSV file",
    "xlsx": "Excel workbook",
    "xls": "Excel 97-2003 workbook",
    "xlsb": "Excel binary workbook",
    "ods": "OpenDocument spreadsheet",
}
# The suffixes the Import page offers, each read as what its content turns out to be.
SUFFIXES = ("csv", "xlsx", "xlsm", "xls", "xlsb", "ods")
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_ODS = b"application/vnd.oasis.opendocument.spreadsheet"


def kind_of(data: bytes, filename: str) -> str:
    """The reader `data` needs; FileRefused when the name says workbook and the content does
    not (or a zip is neither an Excel nor an OpenDocument spreadsheet)."""
    if data.startswith(OLE2):
        return "xls"
    if data.startswith(_ZIP):
        return _zip_kind(data, filename)
    suffix = filename.rsplit(".", 1)[-1].casefold() if "." in filename else ""
    if suffix in SUFFIXES and suffix != "csv":
        raise FileRefused(
            f"{filename} is not a readable {NAMES.get(suffix, NAMES['xlsx'])}: save it again "
            "from your spreadsheet program"
        )
    return "csv"


def _zip_kind(data: bytes, filename: str) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            names = set(book.namelist())
            if "mimetype" in names:
                # At most the media type's length: the part is a few dozen bytes in any real file.
                with book.open("mimetype") as part:
                    if part.read(len(_ODS) + 64).strip().startswith(_ODS):
                        return "ods"
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
        raise FileRefused(
            f"{filename} is not a readable Excel workbook: save it again from Excel"
        ) from None
    if "xl/workbook.bin" in names:
        return "xlsb"
    if "content.xml" in names:  # an OpenDocument file without its mimetype part
        return "ods"
    return "xlsx"
