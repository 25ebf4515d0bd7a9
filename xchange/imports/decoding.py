"""A CSV file's bytes as text: UTF-8 with or without BOM, UTF-16 with BOM, or cp1252 line by line
(a file pasted together from two sources keeps its UTF-8 lines)."""

from __future__ import annotations

import codecs

from xchange.imports.limits import FileRefused
from xchange.textcolumns import is_utf8


class Decoded:
    """A CSV file's text, its encoding's name and the 1-based lines read as cp1252 rather than
    UTF-8. A UTF-8 file keeps the bytes it came as, which the fast parser reads: it is decoded
    whole (some 30 ms for 25 MB) only when the careful path asks for `text`."""

    def __init__(
        self,
        encoding: str,
        *,
        text: str | None = None,
        utf8: bytes | None = None,
        fallback: list[int] | None = None,
    ) -> None:
        self.encoding = encoding
        self.fallback = fallback or []
        self._text, self._utf8 = text, utf8

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = self.utf8.decode("utf-8")
        return self._text

    @property
    def utf8(self) -> bytes:
        if self._utf8 is None:
            self._utf8 = self.text.encode("utf-8")
        return self._utf8

    def head(self, size: int) -> tuple[str, bool]:
        """The text of the first `size` bytes of UTF-8 (characters, once decoded), less a
        character cut at the end, and whether that is all of the text."""
        if self._text is not None:
            return self._text[:size], size >= len(self._text)
        if size >= len(self.utf8):
            return self.text, True
        return codecs.getincrementaldecoder("utf-8")().decode(self.utf8[:size]), False


def decode(data: bytes, filename: str) -> Decoded:
    """`data` as text; FileRefused for binary data (a NUL) or UTF-16 that is not."""
    binary = f"{filename} holds binary data, not text: is it a CSV file?"
    for bom, name in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(name)
            except UnicodeDecodeError:
                raise FileRefused("The file says it is UTF-16 but is not: save it again") from None
            if "\x00" in text:
                raise FileRefused(binary)
            return Decoded("UTF-16", text=text)
    has_bom = data.startswith(b"\xef\xbb\xbf")
    body = data[3:] if has_bom else data
    # In UTF-8, cp1252 and Latin-1 alike a NUL character is a zero byte, and no other is.
    if b"\x00" in body:
        raise FileRefused(binary)
    if is_utf8(body):
        return Decoded("UTF-8 with BOM" if has_bom else "UTF-8", utf8=body)
    # Line by line, so that a file pasted together from two sources keeps its UTF-8 lines.
    lines, fallback = [], []
    for number, line in enumerate(body.split(b"\n"), start=1):
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            fallback.append(number)
            lines.append(_cp1252(line))
    return Decoded("Windows-1252", text="\n".join(lines), fallback=fallback)


def _cp1252(line: bytes) -> str:
    try:
        return line.decode("cp1252")
    except UnicodeDecodeError:  # five bytes cp1252 leaves undefined: read them as Latin-1
        return line.decode("latin-1")


__all__ = ["Decoded", "decode"]
