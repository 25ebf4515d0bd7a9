"""Rendering the pack's charts: one headless Chromium (kaleido) for every figure and format.

The one rule for the browser: `XCHANGE_CHROMIUM` when set (even a wrong one), else the first of
`BROWSER_PATH`, chromium, chromium-browser, google-chrome on PATH. Offline by construction:
plotly.js comes from the installed plotly package and MathJax is off.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import shutil
import threading
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

import plotly.graph_objects as go

from xchange.errors import XchangeError
from xchange.pack import charts

FORMATS = ("png", "svg", "pdf")
MISSING_BROWSER = (
    "Charts were not drawn: no Chrome or Chromium browser was found; install Debian's chromium "
    "package (`apt-get install chromium`) or set XCHANGE_CHROMIUM to the browser's path. "
    "data.xlsx and report.pdf were written without them."
)
T = TypeVar("T")


class ExportUnavailable(XchangeError):
    """Static images need kaleido and a Chrome or Chromium browser; one of them is missing."""


def find_chromium() -> str | None:
    """The browser kaleido drives: `XCHANGE_CHROMIUM`, then `BROWSER_PATH` (kaleido's own
    variable), then chromium / chromium-browser / google-chrome on PATH; None when none is there."""
    for variable in ("XCHANGE_CHROMIUM", "BROWSER_PATH"):
        path = os.environ.get(variable)
        if path and os.access(path, os.X_OK):
            return path
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def browser_path() -> str | None:
    """The browser for the charts: `XCHANGE_CHROMIUM` when set (even a wrong one: a setting
    that names a missing browser means no browser, not another one), else `find_chromium()`."""
    chosen = os.environ.get("XCHANGE_CHROMIUM")
    if chosen:
        return chosen if os.access(chosen, os.X_OK) else None
    return find_chromium()


class ChartRenderer:
    """One headless browser session (kaleido) for many figures and formats, kept open until
    `close()`: a cold start costs a few seconds, each figure after that a fraction of one.

        with ChartRenderer() as renderer:
            images = renderer.render([fig], formats=("png", "svg"))  # [{"png": b"...", ...}]

    Offline: plotly.js from the installed package, MathJax off. Raises
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
