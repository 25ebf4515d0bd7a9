"""The quarterly pack: chart files that decode, data.xlsx equal to the KPI engine, report.pdf
pages and text, the CLI, the Reports page, and a clear message when there is no browser."""

from __future__ import annotations

import io
import re
import sqlite3
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest
from click.testing import CliRunner
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import text as sa_text
from sqlmodel import select

from tests.browser.helpers import chromium_path
from tests.pages.helpers import Register, demo_register, fresh_caches, open_dashboard, sign_in
from xchange import dates
from xchange.cli import cli
from xchange.db import engine as db
from xchange.db.history import end_of_day
from xchange.errors import PermissionDenied
from xchange.kpi import breakdowns, snapshots
from xchange.kpi import sums as kpi
from xchange.kpi.sums import Filters
from xchange.models import Role, User, quarter_of
from xchange.pack import build as pack
from xchange.pack import charts
from xchange.pack import sheets as pack_sheets
from xchange.pack.data import figures_source

# The last closed quarter: the demo register is dated from today, so is the pack.
QUARTER = dates.previous_quarter(quarter_of(date.today()))
EARLIER = dates.previous_quarter(QUARTER)


@dataclass(frozen=True)
class Built:
    register: Register
    result: pack.PackResult


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> Register:
    """A demo register with a snapshot of the quarter before the pack's."""
    register = demo_register(tmp_path_factory.mktemp("pack") / "demo.db")
    engine = db.make_engine(register.url)
    with db.write_session(engine) as session:
        admin = session.exec(select(User).where(User.role == Role.ADMIN.value)).first()
        assert admin is not None
        snapshots.take_snapshot(session=session, actor=admin, quarter=EARLIER)
    engine.dispose()
    return register


def _user(session: object, register: Register, role: str) -> User:
    email = register.accounts[role][0]
    found = session.exec(select(User).where(User.email == email)).one()  # type: ignore[attr-defined]
    return found  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def built(register: Register, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The programme's pack, with the browser (required on CI)."""
    browser = chromium_path()
    engine = db.make_engine(register.url)
    with db.read_session(engine) as session, pack.ChartRenderer(browser) as renderer:
        result = pack.build_pack(
            session=session,
            actor=_user(session, register, "officer"),
            quarter=QUARTER,
            directory=tmp_path_factory.mktemp("out"),
            renderer=renderer,
        )
    engine.dispose()
    return Built(register, result)


# --- the chart files ---------------------------------------------------------------------------


def test_every_chart_is_written_in_three_formats(built: Built) -> None:
    names = {p.relative_to(built.result.directory).as_posix() for p in built.result.files}
    expected = {f"charts/{stem}.{fmt}" for stem in pack.CHARTS for fmt in pack.FORMATS}
    assert expected | {"data.xlsx", "report.pdf"} == names
    assert built.result.warnings == []


def test_each_png_decodes_at_print_size(built: Built) -> None:
    for stem in pack.CHARTS:
        with Image.open(built.result.directory / "charts" / f"{stem}.png") as image:
            image.load()
            assert image.width == charts.EXPORT_WIDTH * charts.EXPORT_SCALE >= 1200
            assert image.height >= 800  # each figure's own height (at least 400 px), times 2


def test_each_svg_parses_and_each_pdf_is_a_pdf(built: Built) -> None:
    for stem in pack.CHARTS:
        root = ElementTree.parse(built.result.directory / "charts" / f"{stem}.svg").getroot()
        assert root.tag.endswith("svg")
        assert root.get("width") == str(charts.EXPORT_WIDTH)
        text = "".join(root.itertext())
        assert "as of" in text  # the title, with its quarter, is in the drawing
        chart_pdf = PdfReader(built.result.directory / "charts" / f"{stem}.pdf")
        assert len(chart_pdf.pages) == 1


def test_the_report_has_the_summary_then_one_page_per_chart(built: Built) -> None:
    reader = PdfReader(built.result.directory / "report.pdf")
    pages = [page.extract_text() for page in reader.pages]
    text_pages = len(pages) - len(pack.CHARTS)
    assert 1 <= text_pages <= 2  # summary, status, snapshots and definitions, then the charts
    first = "\n".join(pages[:text_pages])
    label = QUARTER.replace("Q", "-Q")
    for text in (
        "ClusterXchange quarterly KPI report",
        f"Programme, {label}",
        "Summary",
        "Status and reasons",
        "Definitions used",
        "broad reading",
        f"{EARLIER.replace('Q', '-Q')}",  # the earlier quarter's snapshot beside now
    ):
        assert text in first, text
    for number, page in enumerate(pages[text_pages:], start=1):
        assert f"Figure {number}." in page
        assert reader.pages[text_pages + number - 1].images, "each chart page embeds its PNG"


# --- data.xlsx ---------------------------------------------------------------------------------


def _sheet(path: Path, name: str) -> list[dict[str, object]]:
    book = openpyxl.load_workbook(path, read_only=True)
    rows = list(book[name].iter_rows(min_row=3, values_only=True))
    headings = [str(h) for h in rows[0]]
    return [dict(zip(headings, row, strict=True)) for row in rows[1:]]


def test_data_xlsx_holds_the_numbers_of_the_kpi_engine(built: Built) -> None:
    path = built.result.directory / "data.xlsx"
    as_of = pack.as_of_for(QUARTER)
    engine = db.make_engine(built.register.url)
    # A past quarter's pack prints the register as recorded at the quarter's last day.
    then = Filters(recorded_at=end_of_day(as_of))
    with db.read_session(engine) as session:
        headline = kpi.headline(session, as_of=as_of, recorded=True)
        quarters = breakdowns.by_quarter(session, as_of=as_of, filters=then).table
        ecosystems = breakdowns.by_ecosystem(session, as_of=as_of, filters=then).table
        partnerships = breakdowns.by_partnership(session, as_of=as_of, filters=then).table
        known_now = kpi.headline(session, as_of=as_of)
    engine.dispose()
    # The demo's stays validated after the quarter's end are not in its figures.
    assert headline.counted < known_now.counted

    summary = {row["Figure"]: row for row in _sheet(path, "Summary")}
    assert summary["Exchanges counted"]["Value"] == headline.counted
    assert summary["Involving an SME"]["Progress or share"] == pytest.approx(headline.sme_share)
    assert summary["Beyond the community"]["Value"] == headline.beyond_community

    sme = {row["Quarter"]: row for row in _sheet(path, "SME share")}
    for row in quarters.itertuples():
        shown = sme[str(row.quarter).replace("Q", "-Q")]
        assert shown["Counted"] == row.counted
        assert shown["Involving an SME"] == row.involving_sme
        assert shown["Floor"] == pytest.approx(headline.sme_target)
    progress = {row["Quarter"]: row for row in _sheet(path, "Progress")}
    last = quarters.iloc[-1]
    assert progress[QUARTER.replace("Q", "-Q")]["Counted (cumulative)"] == last.cumulative_counted

    by_ecosystem = {row["Ecosystem"]: row["Counted"] for row in _sheet(path, "Ecosystems")}
    assert sum(by_ecosystem.values()) == int(ecosystems["counted"].sum()) == headline.counted
    by_partnership = {row["Partnership"]: row["Counted"] for row in _sheet(path, "Partnerships")}
    assert by_partnership == dict(
        zip(partnerships["acronym"], partnerships["counted"], strict=True)
    )
    flows = _sheet(path, "Flows")
    assert sum(int(row["Counted"]) for row in flows) == headline.counted  # type: ignore[call-overload]

    definitions = {row["Item"]: row["Value"] for row in _sheet(path, "Definitions")}
    assert definitions["As of"] == as_of.isoformat()
    said = f"the register as recorded on {as_of.day} {as_of:%b %Y}"
    assert definitions["Figures"] == said
    # A programme pack says, partnership by partnership, which figures it used.
    assert {definitions[f"Figures for {acronym}"] for acronym in partnerships["acronym"]} == {said}
    assert definitions["Beyond-community reading"] == "broad"
    assert definitions["Virtual stays counted"] == "no (counted apart)"
    reported = _sheet(path, "As reported")
    assert {row["Quarter"] for row in reported} == {EARLIER.replace("Q", "-Q")}


def test_data_xlsx_holds_the_dashboards_breakdowns_and_lump_sums(built: Built) -> None:
    path = built.result.directory / "data.xlsx"
    as_of = pack.as_of_for(QUARTER)
    engine = db.make_engine(built.register.url)
    with db.read_session(engine) as session:
        # The pack's own reading: a past quarter as recorded at its last day.
        source = figures_source(session, quarter=QUARTER, partnership_id=None)
        headline = kpi.headline(session, as_of=as_of, recorded=source.recorded_at is not None)
        programme = breakdowns.money_and_sides(session, as_of=as_of)
        money = breakdowns.money_by_partnership(session, as_of=as_of).table
    engine.dispose()

    for sheet in ("Visitor countries", "Host countries"):
        assert sum(int(row["Counted"]) for row in _sheet(path, sheet)) == headline.counted  # type: ignore[call-overload]
    types = _sheet(path, "Organisation types")
    for side in ("visitor", "host"):  # each side counts every exchange once
        counted = sum(int(row["Counted"]) for row in types if row["Side"] == side)  # type: ignore[call-overload]
        assert counted == headline.counted
    lump_sums = {row["Partnership"]: row for row in _sheet(path, "Lump sums")}
    assert list(lump_sums) == [*money["acronym"], "Total"]
    total = lump_sums["Total"]
    assert total["Committed (EUR)"] == pytest.approx(programme["lump_sums_committed_eur"])
    assert total["Paid (EUR)"] == pytest.approx(programme["lump_sums_paid_eur"])
    assert total["Halved share"] == pytest.approx(programme["reduced_rate_share"])
    assert total["Committed (EUR)"] > 0


def test_the_report_has_a_title_a_language_and_alternative_text(built: Built) -> None:
    """A screen reader names report.pdf, reads it in English and says what each chart shows."""
    reader = PdfReader(built.result.directory / "report.pdf")
    assert reader.metadata is not None and "ClusterXchange KPI report" in str(reader.metadata.title)
    catalog = reader.trailer["/Root"]
    assert str(catalog["/Lang"]) == "en-GB"
    assert catalog["/MarkInfo"]["/Marked"]  # tagged: images sit in a structure tree
    raw = (built.result.directory / "report.pdf").read_bytes()
    assert b"/Title" in raw and b"/Lang" in raw
    alts = _alternative_texts(catalog["/StructTreeRoot"])
    assert len(alts) == len(pack.CHARTS)
    assert all(a.startswith("Chart: ") and "data.xlsx" in a for a in alts)


def _alternative_texts(node: object) -> list[str]:
    """Every /Alt in a PDF structure tree, in order."""
    found: list[str] = []
    node = node.get_object() if hasattr(node, "get_object") else node
    if isinstance(node, dict):
        if "/Alt" in node:
            found.append(str(node["/Alt"]))
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else [kids]:
            if kid is not None:
                found.extend(_alternative_texts(kid))
    return found


def test_chart_type_reads_at_11_px_on_screen_and_8_pt_in_print(built: Built) -> None:
    """Every text of every drawn chart (its SVG, as plotly wrote it) is 11 px or more, and the
    report prints the chart wide enough for 11 px to be 8 pt or more."""
    from xchange.pack import pdf as report

    room_w, room_h = report.chart_room()
    for path in sorted(built.result.directory.glob("*.svg")):
        svg = ElementTree.parse(path).getroot()
        width, height = float(svg.attrib["width"]), float(svg.attrib["height"])
        sizes = [
            float(size)
            for text in svg.iter("{http://www.w3.org/2000/svg}text")
            for size in re.findall(r"font-size:\s*([\d.]+)px", text.attrib.get("style", ""))
        ]
        assert sizes, path.name
        assert min(sizes) >= 11, f"{path.name}: text of {min(sizes)} px"
        printed_mm = report.placed_width(room_w, room_h, height / width)
        smallest_pt = min(sizes) * printed_mm / width * 72 / 25.4
        assert smallest_pt >= 8, f"{path.name}: smallest text prints at {smallest_pt:.1f} pt"


# --- without a browser -------------------------------------------------------------------------


def test_no_browser_gives_one_clear_sentence_and_the_data_files(
    register: Register, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XCHANGE_CHROMIUM", "/nonexistent/chromium")
    result = CliRunner().invoke(
        cli, ["--db", register.url, "report", "--quarter", QUARTER, "-o", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "apt-get install chromium" in result.stderr
    assert result.stderr.count("warning:") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.xlsx", "report.pdf"]
    text = PdfReader(tmp_path / "report.pdf").pages[-1].extract_text()
    assert "apt-get install chromium" in text


def test_data_xlsx_holds_no_formula_whatever_the_names(
    register: Register, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A partnership acronym as an administrator could type it: a string cell, made inert.
    hostile = '=HYPERLINK("http://example.invalid","x")'
    copy = tmp_path / "copy.db"
    with sqlite3.connect(register.url.removeprefix("sqlite:///")) as source:
        with sqlite3.connect(copy) as target:
            source.backup(target)
        target.close()
    source.close()
    with sqlite3.connect(copy) as connection:
        connection.execute("UPDATE partnership SET acronym = ? WHERE id = 1", (hostile,))
    connection.close()
    monkeypatch.setenv("XCHANGE_CHROMIUM", "/nonexistent/chromium")  # data only: faster
    out = tmp_path / "out"
    out.mkdir()
    result = CliRunner().invoke(
        cli, ["--db", f"sqlite:///{copy}", "report", "--quarter", QUARTER, "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out / "data.xlsx")
    cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    assert f"'{hostile}" in {c.value for c in cells}


# --- scope, permissions, quarters --------------------------------------------------------------


def test_a_coordinator_packs_any_partnership_and_the_programme_but_no_record(
    register: Register, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """KPI figures are everyone's, as on the dashboard: a coordinator's pack of another
    partnership (or of the programme) is the officer's, and names no record of any partnership:
    no reference, organisation or representative; a deactivated account gets none."""
    monkeypatch.setenv("XCHANGE_CHROMIUM", "/nonexistent/chromium")  # data only: faster
    engine = db.make_engine(register.url)
    with db.read_session(engine) as session:
        coordinator = _user(session, register, "coordinator")
        officer = _user(session, register, "officer")
        from xchange.accounts import access

        own = access.partnership_ids_writable(session=session, actor=coordinator) or set()
        table = breakdowns.by_partnership(session).table
        other = next(p.acronym for p in table.itertuples() if p.partnership_id not in own)
        records = session.exec(sa_text("SELECT reference FROM exchange")).scalars().all()
        names = session.exec(sa_text("SELECT name FROM organisation")).scalars().all()
        people = session.exec(sa_text("SELECT name FROM person")).scalars().all()
        packs = {}
        for who, actor in (("coordinator", coordinator), ("officer", officer)):
            for scope in (None, other):
                data = pack.gather(session, actor=actor, quarter=QUARTER, partnership=scope)
                packs[who, scope] = pack_sheets.chart_tables(data)
                directory = tmp_path / who / (scope or "programme")
                pack.build_pack(
                    session=session,
                    actor=actor,
                    quarter=QUARTER,
                    partnership=scope,
                    directory=directory,
                )
        gone = session.exec(select(User).where(User.id == coordinator.id)).one()
        gone.active = False  # not committed: a read session
        session.flush()
        with pytest.raises(PermissionDenied, match="deactivated"):
            pack.gather(session, actor=coordinator, quarter=QUARTER, partnership=other)
    engine.dispose()
    for scope in (None, other):
        for sheet, frame in packs["coordinator", scope].items():
            assert frame.equals(packs["officer", scope][sheet]), sheet
    cells: set[str] = set()
    for book in (tmp_path / "coordinator").rglob("data.xlsx"):
        for sheet in openpyxl.load_workbook(book, read_only=True).worksheets:
            cells.update(str(v) for row in sheet.iter_rows(values_only=True) for v in row if v)
    pdf = "".join(
        page.extract_text()
        for report in (tmp_path / "coordinator").rglob("report.pdf")
        for page in PdfReader(report).pages
    )
    assert records and names and people
    assert not cells & {*records, *names, *people}
    assert not [text for text in (*records, *people) if text in pdf]


def test_a_quarter_not_begun_is_refused() -> None:
    with pytest.raises(ValueError, match="has not begun"):
        pack.as_of_for("2100Q4")
    with pytest.raises(ValueError, match="outside the dates the tracker accepts"):
        pack.as_of_for("2999Q1")
    assert pack.as_of_for("2026Q3", today=date(2026, 11, 25)) == date(2026, 9, 30)
    assert pack.as_of_for("2026Q4", today=date(2026, 11, 25)) == date(2026, 11, 25)


# --- the Reports page --------------------------------------------------------------------------


@pytest.fixture
def page_register(register: Register, monkeypatch: pytest.MonkeyPatch) -> Iterator[Register]:
    monkeypatch.setenv("XCHANGE_DATABASE_URL", register.url)
    fresh_caches()
    yield register
    fresh_caches()


def _open_reports(register: Register, role: str) -> object:

    at = open_dashboard(120)
    sign_in(at, *register.accounts[role])
    return at.switch_page("pages/5_Reports.py").run()


def test_the_page_builds_a_pack_to_download(page_register: Register) -> None:
    chromium_path()
    at = _open_reports(page_register, "officer")
    assert not at.exception  # type: ignore[attr-defined]
    assert at.selectbox[0].value == QUARTER  # type: ignore[attr-defined]
    at.button[0].click().run()  # type: ignore[attr-defined]
    assert not at.exception  # type: ignore[attr-defined]
    data, name, warnings, _ = at.session_state[f"reports.pack.{QUARTER}.programme"]  # type: ignore[attr-defined]
    assert warnings == []
    assert name == f"clusterxchange-{QUARTER}-programme.zip"
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert f"clusterxchange-{QUARTER}-programme/charts/progress.png" in names
    assert at.get("download_button")  # type: ignore[attr-defined]
    summary = at.dataframe[0].value  # type: ignore[attr-defined]
    assert summary["Figure"].iloc[0] == "Exchanges counted"


def test_the_page_warns_without_a_browser(
    page_register: Register, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XCHANGE_CHROMIUM", "/nonexistent/chromium")
    at = _open_reports(page_register, "coordinator")
    scopes = at.selectbox[1].options  # type: ignore[attr-defined]
    # Every scope's figures, a coordinator's own partnerships first.
    assert scopes[0] != "Programme" and "Programme" in scopes and len(set(scopes)) > 2
    at.button[0].click().run()  # type: ignore[attr-defined]
    assert any("apt-get install chromium" in w.value for w in at.warning)  # type: ignore[attr-defined]
    assert at.get("download_button")  # type: ignore[attr-defined]
