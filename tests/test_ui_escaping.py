"""User text reaches the page through one path: `ui.escape` (xchange/ui/text.py).

Streamlit reads Markdown in messages, captions, titles, widget labels and help texts, so an
organisation named `*bold* [a](javascript:...)` would render as Markdown if a page forgot to
escape it. The rule checked here, over pages/, dashboard.py and xchange/ui/: the text given to a
call that renders Markdown is a literal, a constant table (a CAPITALS name), or a value passed
through `escape` or a number/date formatter; an f-string may interpolate only those.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Streamlit calls whose text (first argument, `body`, `label` or `help`) is read as Markdown.
RENDERS_MARKDOWN = {
    "markdown", "caption", "error", "warning", "info", "success", "write", "title", "header",
    "subheader", "toast", "metric", "spinner", "expander", "popover", "button",
    "form_submit_button", "download_button", "link_button", "page_link", "toggle", "checkbox",
    "radio", "selectbox", "multiselect", "text_input", "text_area", "number_input",
    "date_input", "segmented_control", "file_uploader",
}  # fmt: skip
TEXT_KEYWORDS = ("body", "label", "help")
# Return text with no user characters in it: numbers, amounts, dates, quarter labels.
FORMATTERS = {"escape", "number", "percent", "euros", "iso", "quarter_label", "len", "str"}
NUMERIC_SPECS = ("d", "f", "%", "e", "g")

SOURCES = sorted(
    [
        ROOT / "dashboard.py",
        *(ROOT / "pages").glob("*.py"),
        *(ROOT / "xchange" / "ui").rglob("*.py"),
    ]
)


def _name(node: ast.expr) -> str:
    """The last name of `a.b.c` / `c`, or ""."""
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def safe(node: ast.expr) -> bool:
    """True when `node` cannot carry unescaped user text into Markdown."""
    match node:
        case ast.Constant():
            return True
        case ast.JoinedStr(values=values):
            return all(safe(v) for v in values)
        case ast.FormattedValue(value=value, format_spec=spec):
            numeric = spec is not None and ast.unparse(spec).rstrip("'\"").endswith(NUMERIC_SPECS)
            return numeric or safe(value)
        case ast.BinOp(op=ast.Add(), left=left, right=right):
            return safe(left) and safe(right)
        case ast.IfExp(body=body, orelse=orelse):
            return safe(body) and safe(orelse)
        case ast.GeneratorExp(elt=elt) | ast.ListComp(elt=elt):
            return safe(elt)
        case ast.Call(func=func):
            if _name(func) in FORMATTERS:
                str_of = _name(func) == "str"
                return not str_of or all(safe(a) for a in node.args)  # type: ignore[attr-defined]
            # a method of a constant table: ROLE_NAMES.get(role, role), "x".join(...)
            owner = func.value if isinstance(func, ast.Attribute) else None
            if owner is not None and (_name(owner).isupper() or isinstance(owner, ast.Constant)):
                # TABLE.get(key, default): the key is only looked up, the default may show.
                shown = node.args[1:] if _name(func) == "get" else node.args  # type: ignore[attr-defined]
                return all(safe(a) for a in shown)
            return False
        case ast.Subscript(value=value):
            return _name(value).isupper()  # FORM_HELP["notes"], attention.KINDS[kind]
        case ast.Name(id=name) | ast.Attribute(attr=name):
            return name.isupper()
    return False


def unsafe_calls(source: str) -> list[str]:
    """Each Markdown-rendering call in `source` whose text is not proven safe, as `line: call`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in RENDERS_MARKDOWN or _name(node.func.value) == "ui":
            continue  # ui.write is the write path, not st.write
        first = [] if node.func.attr == "page_link" else node.args[:1]  # a page, not text
        texts = first + [k.value for k in node.keywords if k.arg in TEXT_KEYWORDS]
        for text in texts:
            if not safe(text):
                found.append(f"{node.lineno}: {ast.unparse(text)}")
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_user_text_reaches_markdown_only_through_escape(path: Path) -> None:
    assert unsafe_calls(path.read_text()) == []


@pytest.mark.parametrize(
    ("line", "flagged"),
    [
        ('st.markdown(f"**{name}**")', True),  # the defect this rule exists for
        ("st.error(exc)", True),
        ('slot.warning("Merge " + merged.name)', True),
        ('st.button(f"Yes, merge into {kept.name}")', True),
        ('st.text_input("Find", help=f"Like {org.name}")', True),
        ('st.info(f"Cancelled: {str(reason)}")', True),
        ('st.markdown(f"**{ui.escape(name)}**")', False),
        ('st.caption(f"{ui.number(n)} rows, {share:.1%}, {ui.iso(day)}")', False),
        ("st.error(escape(exc))", False),
        ("st.caption(attention.ADVICE[kind])", False),
        ("st.caption(STATUS_LABELS.get(status, status))", True),
        ('st.caption(STATUS_LABELS.get(status, ""))', False),
        ('st.selectbox("Role", roles, format_func=lambda r: r)', False),
        ('st.markdown("**Visitor**" if side == "visitor" else "**Host**")', False),
        ('st.page_link("pages/x.py", label=f"Open {ref}")', True),
        ('st.error("Not saved:" + "".join(f"- {escape(m)}" for m in messages))', False),
        ('st.error("Not saved:" + "".join(f"- {m}" for m in messages))', True),
        ("ui.write(service.create_exchange, actor=user)", False),
    ],
)
def test_the_rule_flags_text_that_skips_escape(line: str, flagged: bool) -> None:
    assert bool(unsafe_calls(line)) is flagged
