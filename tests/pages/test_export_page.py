"""The Export page in AppTest: every role exports from it, within what it may read, in the
format and CSV spelling it chooses; the file is what `xchange export` writes for that user."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from tests.pages.helpers import Register, demo_register, fresh_caches, open_dashboard, sign_in
from xchange.db import engine as db
from xchange.exports import exchanges as export
from xchange.models import User

PAGE = "pages/7_Export.py"
EU = "CSV, semicolons and decimal commas (Excel in German, French, Italian...)"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Register:
    return demo_register(tmp_path_factory.mktemp("export") / "demo.db", exchanges=120, seed=5)


@pytest.fixture
def site(demo: Register, monkeypatch: pytest.MonkeyPatch) -> Iterator[Register]:
    monkeypatch.setenv("XCHANGE_DATABASE_URL", demo.url)
    fresh_caches()
    yield demo
    fresh_caches()


def export_page(site: Register, role: str) -> AppTest:
    at = sign_in(open_dashboard(), *site.accounts[role])
    return at.switch_page(PAGE).run()


def prepared(at: AppTest, fmt: str) -> bytes:
    at.radio(key="export.format").set_value(fmt).run()
    next(b for b in at.button if b.label == "Prepare the export").click().run()
    assert not at.exception
    suffix, data = at.session_state["export.file"]
    return bytes(data)


def as_the_command_does(site: Register, role: str, dialect: str) -> bytes:
    """What `xchange export --dialect DIALECT` writes for the user of `role`."""
    engine = db.make_engine(site.url)
    try:
        with db.read_session(engine) as session:
            email = site.accounts[role][0]
            actor = session.exec(sa.select(User).where(User.email == email)).scalars().one()
            frame = export.export_frame(session=session, actor=actor)
            return export.frame_csv(frame, dialect)
    finally:
        engine.dispose()


def frame(data: bytes, delimiter: str) -> pd.DataFrame:
    import io

    return pd.read_csv(io.BytesIO(data), sep=delimiter, dtype=str, encoding="utf-8-sig")


@pytest.mark.parametrize("role", ["admin", "officer", "coordinator"])
def test_every_role_exports_what_the_command_gives_it(site: Register, role: str) -> None:
    at = export_page(site, role)
    assert not at.exception
    assert not at.error, "every role may open the page"
    data = prepared(at, EU)
    assert data == as_the_command_does(site, role, "excel-eu")
    assert data.startswith(b"\xef\xbb\xbfreference;partnership;status;")
    rows = frame(data, ";")
    assert len(rows) > 0
    if role == "officer":  # pseudonymised, as the command does
        named = rows["representative"].dropna()
        assert len(named) and named.str.fullmatch(r"person-[0-9a-f]{10}").all()
    if role == "coordinator":  # their partnerships only
        everyone = frame(as_the_command_does(site, "admin", "excel"), ",")
        assert set(rows["partnership"]) < set(everyone["partnership"])


def test_the_eu_csv_has_decimal_commas_and_the_plain_one_points(site: Register) -> None:
    at = export_page(site, "admin")
    eu = frame(prepared(at, EU), ";")
    plain = frame(
        prepared(at, "CSV, commas and decimal points (Excel in English, other programs)"), ","
    )
    paid = plain["lump_sum_eur"].dropna()
    assert len(paid) and paid.str.fullmatch(r"[0-9]+\.[0-9]{2}").all()
    assert (eu["lump_sum_eur"].dropna() == paid.str.replace(".", ",")).all()


def test_the_export_is_built_only_when_asked(site: Register) -> None:
    at = export_page(site, "coordinator")
    assert all("Download the exchanges" not in b.proto.label for b in at.get("download_button"))
    data = prepared(at, "XLSX workbook")
    assert data.startswith(b"PK")
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Download the exchanges (XLSX)" in labels


def test_the_import_page_no_longer_exports(site: Register) -> None:
    at = sign_in(open_dashboard(), *site.accounts["admin"])
    at.switch_page("pages/4_Import.py").run()
    assert all(b.label != "Prepare the export" for b in at.button)
