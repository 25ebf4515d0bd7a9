"""The quarterly pack: the figures gathered once (`data`), the chart builders (`charts`), one
headless Chromium to draw them (`render`), the workbook (`sheets`), the PDF report (`pdf`) and
the files or zip that hold them (`build`).

Its public names load on first use (`xchange.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from xchange.lazy import lazy_names

if TYPE_CHECKING:
    from xchange.pack.build import PackResult, build_pack, figures, pack_zip, zip_name
    from xchange.pack.charts import (
        NOT_GIVEN,
        SHARES,
        ecosystems_chart,
        partnerships_chart,
        progress_chart,
        share_chart,
    )
    from xchange.pack.data import PackData, as_of_for, gather
    from xchange.pack.flows import flows_chart
    from xchange.pack.pdf import report_pdf
    from xchange.pack.render import ChartRenderer, ExportUnavailable, browser_path, find_chromium
    from xchange.pack.sheets import (
        chart_tables,
        comparisons,
        definitions,
        ecosystems,
        partnerships,
        progress,
        share,
        summary,
        summary_rows,
        workbook,
    )
    from xchange.pack.style import (
        chart_title,
        config,
        house_style,
        plain,
        quarter_order,
        say_empty,
        scope_label,
        template,
    )

# Public name -> the submodule that defines it (read by `__getattr__` and by
# tests/test_architecture.py, which follows these names to their module).
_SUBMODULES = {
    "as_of_for": "data",
    "browser_path": "render",
    "build_pack": "build",
    "chart_tables": "sheets",
    "chart_title": "style",
    "ChartRenderer": "render",
    "comparisons": "sheets",
    "config": "style",
    "definitions": "sheets",
    "ecosystems": "sheets",
    "ecosystems_chart": "charts",
    "ExportUnavailable": "render",
    "figures": "build",
    "find_chromium": "render",
    "flows_chart": "flows",
    "gather": "data",
    "house_style": "style",
    "NOT_GIVEN": "charts",
    "pack_zip": "build",
    "PackData": "data",
    "PackResult": "build",
    "partnerships": "sheets",
    "partnerships_chart": "charts",
    "plain": "style",
    "progress": "sheets",
    "progress_chart": "charts",
    "quarter_order": "style",
    "report_pdf": "pdf",
    "say_empty": "style",
    "scope_label": "style",
    "share": "sheets",
    "share_chart": "charts",
    "SHARES": "charts",
    "summary": "sheets",
    "summary_rows": "sheets",
    "template": "style",
    "workbook": "sheets",
    "zip_name": "build",
}
__all__ = [
    "as_of_for",
    "browser_path",
    "build_pack",
    "chart_tables",
    "chart_title",
    "ChartRenderer",
    "comparisons",
    "config",
    "definitions",
    "ecosystems",
    "ecosystems_chart",
    "ExportUnavailable",
    "figures",
    "find_chromium",
    "flows_chart",
    "gather",
    "house_style",
    "NOT_GIVEN",
    "pack_zip",
    "PackData",
    "PackResult",
    "partnerships",
    "partnerships_chart",
    "plain",
    "progress",
    "progress_chart",
    "quarter_order",
    "report_pdf",
    "say_empty",
    "scope_label",
    "share",
    "share_chart",
    "SHARES",
    "summary",
    "summary_rows",
    "template",
    "workbook",
    "zip_name",
]

__getattr__, __dir__ = lazy_names(__name__, _SUBMODULES)
