"""`report.pdf` of the quarterly pack: the KPI summary with status and reasons, what is needed,
the definitions, each earlier quarter as reported at its close beside now, then one chart a page.

Built with fpdf2. Text is set in DejaVu Sans (Debian's fonts-dejavu-core, as the charts) when it
is installed, else in the PDF core font Helvetica, which knows Latin-1 only: dashes and arrows
are then spelt in ASCII and anything else outside Latin-1 becomes "?".
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go
from fpdf import FPDF
from fpdf.fonts import FontFace

from xchange.pack import charts
from xchange.presentation import number, percent
from xchange.reference import quarter_label

if TYPE_CHECKING:
    from xchange.pack.data import PackData

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
CAPTIONS = {
    "progress": "Cumulative exchanges counted against the target path, with the forecast",
    "sme-share": "Share of counted exchanges involving an SME, against its floor",
    "beyond-share": "Share of counted exchanges beyond the community, against its floor",
    "partnerships": "Each partnership's progress toward its own target",
    "flows": "Counted exchanges between countries",
    "ecosystems": "Counted exchanges by industrial ecosystem",
}
ASCII = str.maketrans({"—": "-", "–": "-", "→": "->", "€": "EUR ", "’": "'", "“": '"', "”": '"'})
INK, MUTED, RULE = (26, 26, 26), (100, 100, 100), (190, 190, 190)
READINGS = ("Beyond-community reading", "Virtual stays counted")  # said in words instead
STATUS_SHADE = {"on track": 235, "at risk": 215, "off track": 190, "no data": 245}


class _Report(FPDF):
    """A4 pages with a footer naming the pack and the page."""

    def __init__(self, footer_text: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_text = footer_text
        self.family = "Helvetica"
        regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            self.add_font("DejaVu", "", str(regular))
            self.add_font("DejaVu", "B", str(bold))
            self.family = "DejaVu"
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(True, margin=18)
        self.alias_nb_pages()
        # A title and a language, so that a screen reader names the document and reads it in
        # English; each chart image carries its alternative text (`_charts`).
        self.set_title(footer_text)
        self.set_lang("en-GB")
        self.set_creator("ClusterXchange tracker")

    def text_of(self, text: object) -> str:
        """Text the current font can print."""
        value = str(text)
        if self.family == "DejaVu":
            return value
        return value.translate(ASCII).encode("latin-1", "replace").decode("latin-1")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.family, "", 8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, self.text_of(f"{self.footer_text} · page {self.page_no()} of {{nb}}"))
        self.set_text_color(*INK)

    def heading(self, text: str, size: float = 13) -> None:
        self.ln(3)
        self.set_font(self.family, "B", size)
        self.multi_cell(0, size * 0.5, self.text_of(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(1.5)
        self.set_font(self.family, "", 10)

    def para(self, text: str, size: float = 10, color: tuple[int, int, int] = INK) -> None:
        self.set_font(self.family, "", size)
        self.set_text_color(*color)
        self.multi_cell(0, size * 0.5, self.text_of(text), align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(*INK)
        self.ln(1)

    def bullet(self, text: str, bold: str = "") -> None:
        self.set_font(self.family, "", 10)
        self.set_x(self.l_margin + 3)
        prefix = f"**{self.text_of(bold)}** " if bold else ""
        self.multi_cell(
            0,
            5,
            f"- {prefix}{self.text_of(text)}",
            markdown=True,
            align="L",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        self.ln(0.5)

    def grid(
        self,
        headings: Sequence[str],
        rows: Sequence[Sequence[object]],
        widths: Sequence[float],
        *,
        shade: Sequence[int | None] = (),
        align: str = "LRRRL",
    ) -> None:
        """A table with a bold heading row and light rules; `shade` greys a row's last cell."""
        self.set_font(self.family, "", 9)
        self.set_draw_color(*RULE)
        with self.table(
            col_widths=tuple(widths),
            text_align=tuple(align[: len(headings)]),
            headings_style=FontFace(emphasis="BOLD", fill_color=(240, 240, 240)),
            line_height=5,
            borders_layout="HORIZONTAL_LINES",
            width=sum(widths),
            align="LEFT",
        ) as table:
            table.row([self.text_of(h) for h in headings])
            for i, values in enumerate(rows):
                row = table.row()
                for j, value in enumerate(values):
                    gray = shade[i] if i < len(shade) and j == len(values) - 1 else None
                    style = FontFace(fill_color=(gray, gray, gray)) if gray is not None else None
                    row.cell(self.text_of(value), style=style)
        self.ln(2)


def report_pdf(
    data: PackData,
    drawn: dict[str, go.Figure],
    pngs: dict[str, bytes],
    *,
    warnings: Sequence[str] = (),
) -> bytes:
    """The report as PDF bytes: summary pages, then each chart of `pngs` on a landscape page
    ("Figure 1" ...). Without charts (no browser) a note says why they are missing."""
    from xchange.pack import sheets as pack_sheets

    quarter = quarter_label(data.quarter)
    pdf = _Report(f"ClusterXchange KPI report · {data.label} · {quarter}")
    pdf.add_page()
    pdf.set_font(pdf.family, "B", 18)
    pdf.multi_cell(
        0, 9, pdf.text_of("ClusterXchange quarterly KPI report"), new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font(pdf.family, "", 13)
    pdf.multi_cell(0, 7, pdf.text_of(f"{data.title}, {quarter}"), new_x="LMARGIN", new_y="NEXT")
    pdf.para(
        f"Figures as of {data.as_of.isoformat()}"
        + f", from {data.source.describe()}"
        + "; generated "
        f"{data.generated.strftime('%Y-%m-%d %H:%M UTC')} from the ClusterXchange register. "
        "The figures behind every chart are in data.xlsx.",
        size=9,
        color=MUTED,
    )

    pdf.heading("Summary")
    summary = pack_sheets.summary(data)
    pdf.grid(
        list(summary.columns),
        summary.values.tolist(),
        widths=(58, 20, 30, 36, 30),
        shade=[STATUS_SHADE.get(str(s)) for s in summary["Status"]],
    )

    pdf.heading("Status and reasons")
    for status in data.forecast.statuses:
        name = {"exchanges": "Exchanges", "sme_share": "SME share", "beyond_share": "Beyond share"}
        pdf.bullet(status.reason, bold=f"{name.get(status.kpi, status.kpi)}: {status.status}.")

    pdf.heading("What is needed")
    for gap in data.forecast.gaps:
        pdf.bullet(gap)
    outlook = data.forecast
    if outlook.required_pace is not None:
        pdf.bullet(
            f"Required pace: {outlook.required_pace:,.1f} counted exchanges a quarter until "
            f"{outlook.action_end.isoformat()} (recent pace {outlook.pace:,.1f})."
        )
    for note in [*data.path.warnings, *warnings]:
        pdf.bullet(note, bold="Note:")

    _comparisons(pdf, data)

    pdf.heading("Definitions used")
    for item, value in pack_sheets.definitions(data).itertuples(index=False):
        if item in ("Scope", "Quarter", "Generated", "Note", *READINGS):
            continue
        pdf.bullet(str(value), bold=f"{item}:")

    _charts(pdf, drawn, pngs, warnings)
    return bytes(pdf.output())


def _comparisons(pdf: _Report, data: PackData) -> None:
    pdf.heading("Earlier quarters: as reported at the close, and now")
    if not data.comparisons:
        pdf.para(
            "No earlier quarter of this scope has a stored snapshot: `xchange snapshot "
            "--quarter ...` stores one when a quarter closes.",
            size=9,
            color=MUTED,
        )
        return
    pdf.para(
        "Late records and corrections change a closed quarter's figures; the snapshot keeps them "
        "as they were reported.",
        size=9,
        color=MUTED,
    )
    rows: list[list[object]] = []
    for c in data.comparisons:
        for key, label in (
            ("counted", "Exchanges counted"),
            ("sme_share", "SME share"),
            ("beyond_share", "Beyond share"),
        ):
            before, now = c.reported.get(key), c.now.get(key)
            approved = "" if c.approved is None else _fmt(c.approved.get(key))
            rows.append(
                [
                    quarter_label(c.quarter),
                    label,
                    _fmt(before),
                    approved,
                    _fmt(now),
                    _change(before, now),
                ]
            )
    pdf.grid(
        ["Quarter", "Figure", "At the close", "Approved", "Now", "Change"],
        rows,
        widths=(22, 40, 26, 26, 26, 32),
        align="LLRRRL",
    )


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return percent(value)
    return "no data" if value is None else number(value)


def _change(before: Any, now: Any) -> str:
    if before == now:
        return "unchanged"
    if isinstance(before, int) and isinstance(now, int):
        return f"{now - before:+,}"
    if isinstance(before, float) and isinstance(now, float):
        return f"{(now - before) * 100:+.1f} points"
    return "changed"


def _charts(
    pdf: _Report, drawn: dict[str, go.Figure], pngs: dict[str, bytes], warnings: Sequence[str]
) -> None:
    if not pngs:
        pdf.heading("Charts")
        pdf.para(" ".join(warnings) or "No chart was drawn.")
        return
    for number_, (stem, image) in enumerate(pngs.items(), start=1):
        pdf.add_page(orientation="L")
        pdf.set_font(pdf.family, "B", 11)
        pdf.cell(
            0,
            6,
            pdf.text_of(f"Figure {number_}. {CAPTIONS.get(stem, stem)}"),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        fig = drawn[stem]
        ratio = (fig.layout.height or charts.EXPORT_HEIGHT) / charts.EXPORT_WIDTH
        width = placed_width(pdf.epw, pdf.eph, ratio)
        x = pdf.l_margin + (pdf.epw - width) / 2
        pdf.image(
            io.BytesIO(image),
            x=x,
            y=pdf.get_y() + 2,
            w=width,
            h=width * ratio,
            alt_text=pdf.text_of(alt_text(stem)),
        )


def placed_width(room_w: float, room_h: float, ratio: float) -> float:
    """A chart's printed width in mm on a page with `room_w` x `room_h` mm for it (less the
    caption's line), for a chart `ratio` times as high as wide. Type of 11 px on a chart
    1,000 px wide prints at 8 pt or more while this stays above 257 mm (A4 landscape: 261)."""
    return min(room_w, (room_h - 12) / ratio)


def chart_room() -> tuple[float, float]:
    """The room in mm for a chart on the report's landscape pages (width, height)."""
    pdf = _Report("")
    pdf.add_page(orientation="L")
    return pdf.epw, pdf.eph


def alt_text(stem: str) -> str:
    """What a chart image says to someone who cannot see it, and where its figures are."""
    from xchange.pack.data import CHARTS

    sheet = CHARTS.get(stem, stem)
    return f"Chart: {CAPTIONS.get(stem, stem)}. Its figures are in data.xlsx, sheet {sheet}."
