"""Shared pieces of the real-browser tests: a served tracker and headless Chromium.

Chromium is Debian's (`/usr/bin/chromium`, or $XCHANGE_TEST_CHROMIUM); `playwright install`
cannot download here. Without it the browser tests skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


def chromium_path() -> str:
    """The Chromium to drive; skip (fail on CI) when there is none."""
    path = os.environ.get("XCHANGE_TEST_CHROMIUM", "/usr/bin/chromium")
    if not Path(path).exists():
        message = f"Chromium not found at {path}: install Debian's chromium package"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


# Streamlit's line once it listens: with `--server.port 0` the system chose a free port, and
# this line is how we learn which (the address is ours: no other process can hold it).
_LISTENING = re.compile(r"URL: http://127\.0\.0\.1:(\d+)")
START_TIMEOUT_S = 120


@contextmanager
def served(database_url: str, script: str = "dashboard.py") -> Iterator[str]:
    """`streamlit run dashboard.py` (or `script`: `serve.py` adds the API) on a port of its
    own; yields its address.

    The port is not guessed: Streamlit binds port 0 (the system picks a free one) and prints
    it, so parallel test workers and other programs on the machine never race for one. Its
    output goes to a file rather than a pipe nobody reads, which would block the server once
    full.
    """
    env = dict(os.environ, XCHANGE_DATABASE_URL=database_url)
    with tempfile.TemporaryDirectory(prefix="xchange-served-") as folder:
        log_path = Path(folder) / "streamlit.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "streamlit",
                    "run",
                    str(ROOT / script),
                    "--server.address",
                    "127.0.0.1",
                    "--server.port",
                    "0",
                    "--server.headless",
                    "true",
                    "--server.fileWatcherType",
                    "none",
                    "--browser.gatherUsageStats",
                    "false",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            yield f"http://127.0.0.1:{_wait_until_listening(process, log_path)}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_listening(process: subprocess.Popen[bytes], log_path: Path) -> int:
    """The port the served app listens on, once it answers its health check."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        output = log_path.read_text(errors="replace")
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited ({process.returncode}): {output}")
        found = _LISTENING.search(output)
        if found and _healthy(int(found.group(1))):
            return int(found.group(1))
        time.sleep(0.2)
    raise RuntimeError(f"streamlit did not start within {START_TIMEOUT_S} s: {output}")


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=5) as reply:
            return bool(reply.status == 200)
    except OSError:
        return False


def screenshot(page: object, name: str) -> Path:
    """Save a screenshot of the page under test-artifacts/ (for people to look at)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path
