"""The Streamlit glue stays in small rooms: modules of one idea under about 400 lines, and an
Administration page that only calls one function per tab."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UI = sorted((ROOT / "xchange" / "ui").rglob("*.py"))


@pytest.mark.parametrize("path", UI, ids=lambda p: str(p.relative_to(ROOT)))
def test_ui_modules_stay_small(path: Path) -> None:
    source = path.read_text()
    assert len(source.splitlines()) <= 400
    assert "noqa: E402" not in source and "noqa: F811" not in source  # no modules glued together


def test_the_admin_page_calls_one_function_per_tab() -> None:
    tree = ast.parse((ROOT / "pages" / "6_Admin.py").read_text())
    calls = {
        ast.unparse(node.func)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and ast.unparse(node.func).startswith("admin.")
    }
    assert calls == {
        "admin.partnerships_tab",
        "admin.users_tab",
        "admin.programme_tab",
        "admin.organisations_tab",
    }
    assert len((ROOT / "pages" / "6_Admin.py").read_text().splitlines()) <= 60
