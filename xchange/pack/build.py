"""The quarterly KPI pack: print-ready charts, the figures behind them, and a short PDF report.

    with db.read_session(engine) as session:
        result = build_pack(session=session, actor=user, quarter="2026Q3", directory=Path("out"))
    result.files      # [out/data.xlsx, out/report.pdf, out/charts/progress.png, ...]
    result.warnings   # ["Charts were not drawn: ... apt-get install chromium ..."] or []

A pack holds, for the programme or one partnership, as of the quarter's last day (today while the
quarter runs): each chart of `CHARTS` as PNG (2,000 px wide), SVG and PDF, drawn by the dashboard's
own builders (`xchange.pack.charts`); `data.xlsx`, one sheet per chart with exactly the figures drawn,
a summary and the definitions (`xchange.pack.sheets`); and `report.pdf` (`xchange.pack.pdf`). Charts go through one headless Chromium for the whole pack
(`ChartRenderer`; keep one open to make several packs). Without a browser the data files are
still written and the warning says which package to install.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import io
import os
import threading
import zipfile
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any, TypeVar

import pandas as pd
import plotly.graph_objects as go
from sqlmodel import Session

from xchange.accounts import access
from xchange.kpi import breakdowns, overview, snapshots, targets
from xchange.kpi.sums import Definitions, Filters, Headline
from xchange.models import User, quarter_of
from xchange.pack import charts
from xchange.pack import pdf as report_pdf
from xchange.pack import sheets as pack_sheets
from xchange.pack.charts import ExportUnavailable
from xchange.programme.partnerships import get_partnership
from xchange.reference import parse_quarter, quarter_label

# File stem -> what the chart shows (the report's caption and the sheet's name).
CHARTS: dict[str, str] = {
    "progress": "Progress",
    "sme-share": "SME share",
    "beyond-share": "Beyond share",
    "partnerships": "Partnerships",
    "flows": "Flows",
    "ecosystems": "Ecosystems",
}
FORMATS = ("png", "svg", "pdf")
FLOWS_TOP = 40  # country pairs drawn one by one; the rest are grouped as "Other"
MISSING_BROWSER = (
    "Charts were not drawn: no Chrome or Chromium browser was found; install Debian's chromium "
    "package (`apt-get install chromium`) or set XCHANGE_CHROMIUM to the browser's path. "
    "data.xlsx and report.pdf were written without them."
)
T = TypeVar("T")


# --- the browser -------------------------------------------------------------------------------


def browser_path() -> str | None:
    """The browser for the charts: `XCHANGE_CHROMIUM` when set (even a wrong one: a setting
    that names a missing browser means no browser, not another one), else `find_chromium()`."""
    chosen = os.environ.get("XCHANGE_CHROMIUM")
    if chosen:
        return chosen if os.access(chosen, os.X_OK) else None
    return charts.find_chromium()


class ChartRenderer:
    """One headless browser session (kaleido) for many figures and formats, kept open until
    `close()`: a cold start costs a few seconds, each figure after that a fraction of one.

        with ChartRenderer() as renderer:
            images = renderer.render([fig], formats=("png", "svg"))  # [{"png": b"...", ...}]

    Offline like `charts.to_images`: plotly.js from the installed package, MathJax off. Raises
    ExportUnavailable when the browser is missing or does not start.
    """

    def __init__(self, browser: str | None = None, *, tabs: int = 2) -> None:
        self.browser = browser or browser_path()
        self.tabs = tabs
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._kaleido: Any = None

    def __enter__(self) -> ChartRenderer:
        self.open()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def is_open(self) -> bool:
        return self._kaleido is not None

    def open(self) -> None:
        """Start the browser (nothing when it already runs)."""
        if self.is_open:
            return
        if self.browser is None or not os.access(self.browser, os.X_OK):
            raise ExportUnavailable(MISSING_BROWSER)
        try:
            import kaleido
        except ImportError as error:
            raise ExportUnavailable("Charts need the kaleido package.") from error
        # The browser lives on an event loop of its own, in a thread: callers stay synchronous,
        # and this works where a loop already runs (Streamlit, a notebook).
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

        async def start() -> Any:
            session = kaleido.Kaleido(path=self.browser, mathjax=False, n=self.tabs)
            return await session.__aenter__()

        try:
            self._kaleido = self._run(start())
        except Exception as error:  # choreographer's errors vary by version and platform
            self._stop_loop()
            raise ExportUnavailable(
                f"The browser at {self.browser} did not start ({error}); install Debian's "
                "chromium package (`apt-get install chromium`)."
            ) from error

    def render(
        self, figures: Sequence[go.Figure], *, formats: Sequence[str] = FORMATS
    ) -> list[dict[str, bytes]]:
        """Each figure in each format: PNG at `charts.EXPORT_SCALE` (2,000 px wide), SVG and PDF
        at 1,000 units wide; the height is the figure's own."""
        self.open()
        session = self._kaleido

        async def draw() -> list[bytes]:
            jobs = [
                session.calc_fig(fig, opts=_options(fig, fmt)) for fig in figures for fmt in formats
            ]
            return list(await asyncio.gather(*jobs))

        flat = iter(self._run(draw()))
        return [{fmt: next(flat) for fmt in formats} for _ in figures]

    def close(self) -> None:
        """Stop the browser; `render` starts it again if needed."""
        if self._kaleido is not None:
            session, self._kaleido = self._kaleido, None
            try:
                self._run(session.__aexit__(None, None, None))
            finally:
                self._stop_loop()

    def _run(self, work: Coroutine[Any, Any, T]) -> T:
        assert self._loop is not None
        future: concurrent.futures.Future[T] = asyncio.run_coroutine_threadsafe(work, self._loop)
        return future.result()

    def _stop_loop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            if self._thread is not None:
                self._thread.join(timeout=10)
            self._loop.close()
        self._loop, self._thread = None, None


def _options(fig: go.Figure, fmt: str) -> dict[str, Any]:
    return {
        "format": fmt,
        "width": charts.EXPORT_WIDTH,
        "height": fig.layout.height or charts.EXPORT_HEIGHT,
        "scale": charts.EXPORT_SCALE if fmt == "png" else 1,
    }


# --- the figures of a quarter --------------------------------------------------------------------


@dataclass
class PackData:
    """Everything a pack shows, for one quarter and scope."""

    quarter: str  # 2026Q3
    scope: str  # "programme" or a partnership's acronym
    title: str  # "Programme" or "GTEX — Green Tech Exchange"
    as_of: date
    generated: datetime
    definitions: Definitions
    headline: Headline
    forecast: targets.Forecast
    path: targets.TargetPath
    quarters: pd.DataFrame  # breakdowns.by_quarter
    partnerships: pd.DataFrame  # overview's partnerships: by_partnership + expected_now
    flows: pd.DataFrame
    ecosystems: pd.DataFrame
    comparisons: list[snapshots.Comparison]

    @property
    def label(self) -> str:
        """`Programme` or the acronym, as the charts' titles say it."""
        return "Programme" if self.scope == "programme" else self.scope


def as_of_for(quarter: str, today: date | None = None) -> date:
    """The quarter's last day, or today while it runs; ValueError for a quarter not begun."""
    first, last = parse_quarter(quarter)
    today = today or date.today()
    if first > today:
        raise ValueError(f"{quarter_label(quarter)} has not begun: there is nothing to report yet")
    return min(last, today)


def gather(
    session: Session,
    *,
    actor: User,
    quarter: str,
    partnership: str | None = None,
    today: date | None = None,
) -> PackData:
    """The figures of `quarter` for the programme or one partnership (by acronym).

    A pack holds KPI figures only (counts, shares, country pairs, ecosystems: no record), so
    every active user may pack the programme or any partnership, as the dashboard shows them
    (`access.require_kpi_read`; PermissionDenied for an unknown or deactivated account).
    """
    as_of = as_of_for(quarter, today)
    first, _ = parse_quarter(quarter)
    quarter = quarter_of(first)
    access.require_kpi_read(session=session, actor=actor)
    chosen = get_partnership(session, partnership) if partnership else None
    ids: tuple[int, ...] = () if chosen is None else (chosen.id or 0,)
    view = overview.overview(session, as_of=as_of, filters=Filters(partnership_ids=ids))
    scope = chosen.acronym if chosen else "programme"
    return PackData(
        quarter=quarter,
        scope=scope,
        title=f"{chosen.acronym} — {chosen.name}" if chosen else "Programme",
        as_of=as_of,
        generated=datetime.now(UTC).replace(microsecond=0),
        definitions=view.definitions,
        headline=view.headline,
        forecast=view.forecast,
        path=view.path,
        quarters=view.quarters,
        partnerships=view.partnerships,
        flows=view.flows,
        ecosystems=breakdowns.by_ecosystem(
            session, as_of=as_of, filters=Filters(partnership_ids=ids)
        ).table,
        comparisons=snapshots.compare(session, scope=scope, before=quarter),
    )


def figures(data: PackData) -> dict[str, go.Figure]:
    """The pack's charts, by file stem, from the dashboard's builders."""
    h, label, as_of = data.headline, data.label, data.as_of
    return {
        "progress": charts.progress_chart(
            data.quarters, data.path, data.forecast, scope=label, as_of=as_of
        ),
        "sme-share": charts.share_chart(
            data.quarters, kind="sme", floor=h.sme_target, scope=label, as_of=as_of
        ),
        "beyond-share": charts.share_chart(
            data.quarters,
            kind="beyond",
            floor=h.beyond_target,
            scope=label,
            as_of=as_of,
            definitions=data.definitions,
        ),
        "partnerships": charts.partnerships_chart(data.partnerships, as_of=as_of),
        "flows": charts.flows_chart(data.flows, scope=label, as_of=as_of, top=FLOWS_TOP),
        "ecosystems": charts.ecosystems_chart(data.ecosystems, scope=label, as_of=as_of),
    }


# --- the pack ----------------------------------------------------------------------------------


@dataclass
class PackResult:
    """What a pack holds: its files (data first, then charts) and any warning."""

    directory: Path
    quarter: str
    scope: str
    files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    summary: pd.DataFrame = field(default_factory=pd.DataFrame)  # the report's summary table

    @property
    def charts_drawn(self) -> bool:
        return any(p.suffix == ".png" for p in self.files)


def build_pack(
    *,
    session: Session,
    actor: User,
    quarter: str,
    directory: Path,
    partnership: str | None = None,
    renderer: ChartRenderer | None = None,
    today: date | None = None,
) -> PackResult:
    """Write the pack of `quarter` into `directory` (made if missing; files replaced).

    `renderer`, when given, is used and left open (a warm browser); otherwise one is started and
    closed for this pack. A missing browser is a warning in the result, not an error.
    """
    data = gather(session, actor=actor, quarter=quarter, partnership=partnership, today=today)
    drawn = figures(data)
    directory.mkdir(parents=True, exist_ok=True)
    result = PackResult(directory, data.quarter, data.scope)
    result.summary = pack_sheets.summary(data)
    result.files.append(_write(directory / "data.xlsx", pack_sheets.workbook(data, drawn)))

    images: dict[str, dict[str, bytes]] = {}
    try:
        own = renderer is None
        active = renderer or ChartRenderer()
        try:
            images = dict(zip(drawn, active.render(list(drawn.values())), strict=True))
        finally:
            if own:
                active.close()
    except ExportUnavailable as error:
        result.warnings.append(str(error))

    pngs = {stem: formats["png"] for stem, formats in images.items()}
    pdf = report_pdf.report_pdf(data, drawn, pngs, warnings=result.warnings)
    result.files.append(_write(directory / "report.pdf", pdf))
    for stem, formats in images.items():
        for fmt, content in formats.items():
            result.files.append(_write(directory / "charts" / f"{stem}.{fmt}", content))
    return result


def pack_zip(
    *,
    session: Session,
    actor: User,
    quarter: str,
    partnership: str | None = None,
    renderer: ChartRenderer | None = None,
    today: date | None = None,
) -> tuple[bytes, PackResult]:
    """The pack as the bytes of a zip (`clusterxchange-2026Q3-programme/data.xlsx`...) and its
    result; nothing stays on disk."""
    with TemporaryDirectory(prefix="xchange-pack-") as temporary:
        result = build_pack(
            session=session,
            actor=actor,
            quarter=quarter,
            partnership=partnership,
            directory=Path(temporary),
            renderer=renderer,
            today=today,
        )
        buffer = io.BytesIO()
        folder = zip_name(result).removesuffix(".zip")
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in result.files:
                archive.write(path, f"{folder}/{path.relative_to(result.directory).as_posix()}")
    return buffer.getvalue(), result


def zip_name(result: PackResult) -> str:
    """`clusterxchange-2026Q3-programme.zip`."""
    return f"clusterxchange-{result.quarter}-{result.scope.lower()}.zip"


def _write(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path
