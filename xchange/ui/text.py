"""User text on the page: the one way text that may come from a person or a file becomes
Markdown (`escape`), and confirmations carried over a rerun (`flash`, shown escaped).

Streamlit reads Markdown in messages, captions, titles, widget labels and help texts. Pages and
the ui modules pass such text only as a literal, a constant table, or through `escape` (or a
number/date formatter of xchange.presentation); tests/test_ui_escaping.py enforces it.
"""

from __future__ import annotations

import re

import streamlit as st

_ZERO_WIDTH = "\u200b"


def escape(text: object) -> str:
    """User text for a Markdown body (messages, captions, st.table cells): shown as typed.

    Markdown syntax is backslash-escaped; emails, web addresses and `:codes:` (emoji, icons,
    colours), which Streamlit turns into links or symbols even when escaped, get an invisible
    zero-width space. HTML is never rendered anyway (no unsafe_allow_html anywhere).
    """
    escaped = re.sub(r"([\\`*_\[\]<>#|~$&])", r"\\\1", str(text))
    escaped = re.sub(r"(?m)^(\s*)([-+=])", r"\1\\\2", escaped)
    escaped = re.sub(r"(?m)^(\s*)(\d+)([.)])", r"\1\2\\\3", escaped)
    escaped = re.sub(r":(?=[\w/])", ":" + _ZERO_WIDTH, escaped)
    escaped = escaped.replace("@", "@" + _ZERO_WIDTH)
    return re.sub(r"(?i)\b(www)\.", r"\1" + _ZERO_WIDTH + ".", escaped)


def flash(message: str) -> None:
    """A confirmation (plain text) to show at the top of the page after the rerun that
    follows a write."""
    st.session_state.setdefault("flash", []).append(message)


def show_flash() -> None:
    """The pending confirmations, once, shown as typed."""
    for message in st.session_state.pop("flash", []):
        st.success(escape(message), icon=":material/check_circle:")
