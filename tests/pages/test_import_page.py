"""The Import page in AppTest: upload, preview, dry run, import, refusal, undo."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from tests.pages.helpers import demo_register, fresh_caches, open_dashboard, sign_in
from xchange.db import engine as db
from xchange.exports import exchanges as export
from xchange.models import Exchange, User


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, dict]]:
    register = demo_register(tmp_path / "import.db", exchanges=120, seed=5)
    monkeypatch.setenv("XCHANGE_DATABASE_URL", register.url)
    fresh_caches()
    yield register.url, register.accounts
    fresh_caches()


def import_page(accounts: dict, role: str = "admin") -> AppTest:
    at = sign_in(open_dashboard(120), *accounts[role])
    return at.switch_page("pages/4_Import.py").run()


def exported_csv(url: str) -> bytes:
    engine = db.make_engine(url)
    with db.read_session(engine) as session:
        admin = session.exec(sa.select(User).where(User.role == "admin")).scalars().first()
        data = export.export_csv(session=session, actor=admin)
    engine.dispose()
    return data


def count(url: str) -> int:
    engine = db.make_engine(url)
    with engine.connect() as connection:
        n = int(connection.execute(sa.select(sa.func.count()).select_from(Exchange)).scalar_one())
    engine.dispose()
    return n


def button(at: AppTest, label: str) -> object:
    return next(b for b in at.button if b.label == label)


def test_a_clean_export_imports_back_without_changes(site: tuple[str, dict]) -> None:
    url, accounts = site
    at = import_page(accounts)
    assert not at.exception
    at.file_uploader[0].set_value(("exchanges.csv", exported_csv(url), "text/csv")).run()
    assert at.dataframe, "a preview of the first rows"
    button(at, "Check the file (dry run)").click().run()  # type: ignore[attr-defined]
    assert any("Dry run" in s.value for s in at.success)
    before = count(url)
    button(at, "Import").click().run()  # type: ignore[attr-defined]
    assert any("0 created" in s.value and "0 updated" in s.value for s in at.success)
    assert count(url) == before


def test_a_file_with_a_bad_row_is_refused_whole(site: tuple[str, dict]) -> None:
    url, accounts = site
    rows = exported_csv(url).decode("utf-8-sig").splitlines()
    header, first = rows[0], rows[1]
    bad = first.replace(first.split(",")[0], "NEW-1", 1).replace("completed", "finished")
    good = first.replace(first.split(",")[0], "NEW-2", 1)
    data = "\n".join([header, good, bad]).encode()
    at = import_page(accounts)
    at.file_uploader[0].set_value(("mixed.csv", data, "text/csv")).run()
    before = count(url)
    button(at, "Import").click().run()  # type: ignore[attr-defined]
    assert at.error, "the refusal is shown"
    assert any("Nothing" in e.value for e in at.error)
    assert count(url) == before
    table = at.dataframe[-1].value
    assert 3 in set(table["Row"])  # the spreadsheet's own row number (header = 1)


def test_an_officer_cannot_open_the_import_page(site: tuple[str, dict]) -> None:
    _, accounts = site
    at = import_page(accounts, role="officer")
    assert any("cannot open this page" in e.value for e in at.error)
    assert not at.file_uploader


def test_an_ods_file_is_read_as_the_csv_is(site: tuple[str, dict]) -> None:
    import csv
    import io

    from tests.imports.formats import ods_bytes

    url, accounts = site
    table = list(csv.reader(io.StringIO(exported_csv(url).decode("utf-8-sig"))))
    at = import_page(accounts)
    data = ods_bytes(table)
    at.file_uploader[0].set_value(
        ("exchanges.ods", data, "application/vnd.oasis.opendocument.spreadsheet")
    ).run()
    assert any(f"ODS, sheet 'exchanges', {len(table) - 1} rows" in m.value for m in at.markdown)
    button(at, "Check the file (dry run)").click().run()  # type: ignore[attr-defined]
    assert any("Dry run" in s.value and "0 created" in s.value for s in at.success)
