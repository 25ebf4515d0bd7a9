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

import io
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from tempfile import TemporaryDirectory

import pandas as pd
import plotly.graph_objects as go
from sqlmodel import Session

from xchange.models import User
from xchange.pack import charts
from xchange.pack import pdf as report_pdf
from xchange.pack import sheets as pack_sheets
from xchange.pack.data import CHARTS, FLOWS_TOP, PackData, as_of_for, gather
from xchange.pack.render import FORMATS, ChartRenderer, ExportUnavailable

__all__ = [
    "CHARTS",
    "FORMATS",
    "ChartRenderer",
    "ExportUnavailable",
    "PackData",
    "PackResult",
    "as_of_for",
    "build_pack",
    "figures",
    "gather",
    "pack_zip",
    "zip_name",
]


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
