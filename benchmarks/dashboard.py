"""The dashboard's speed at 100k exchanges: first render and rerun, beside the bare KPI calls.

    uv run python benchmarks/dashboard.py                   # 100k exchanges
    uv run python benchmarks/dashboard.py --exchanges 10000

A demo register is built into a temporary SQLite file. Then, in one run:
- bare KPI calls: `overview.overview(...)`, what the page computes (no Streamlit);
- first render: AppTest runs dashboard.py signed in, caches empty (engine and figures);
- rerun: the same page run again (figures cached until the next write).
Goals (issue): rerun <= 300 ms, first render <= 2 s at 100k exchanges. Medians of 5 runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from xchange.db.engine import make_engine, read_session, upgrade
from xchange.demo import load as demo
from xchange.kpi import overview

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5


def signed_in_app(email: str, password: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120).run()
    at.text_input[0].input(email)
    at.text_input[1].input(password)
    at.button[0].click()
    return at


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exchanges", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'dashboard.db'}"
        engine = make_engine(url)
        upgrade(engine)
        summary = demo.load_demo(engine, exchanges=args.exchanges, seed=demo.DEFAULT_SEED)
        os.environ["XCHANGE_DATABASE_URL"] = url
        officer = next((e, p) for e, role, p in summary.accounts if role == "officer")

        bare = []
        for _ in range(RUNS):
            began = time.perf_counter()
            with read_session(engine) as session:
                overview.overview(session, as_of=date.today())
            bare.append((time.perf_counter() - began) * 1000)

        first, rerun = [], []
        for _ in range(RUNS):
            st.cache_data.clear()
            st.cache_resource.clear()
            at = signed_in_app(*officer)
            began = time.perf_counter()
            at.run()  # signs in and renders with empty caches
            first.append((time.perf_counter() - began) * 1000)
            assert not at.exception, at.exception
            began = time.perf_counter()
            at.run()
            rerun.append((time.perf_counter() - began) * 1000)
        engine.dispose()

    print(f"{args.exchanges:,} exchanges (SQLite), median of {RUNS} runs")
    print(f"  bare KPI calls (overview):      {statistics.median(bare):8.0f} ms")
    print(f"  dashboard first render (AppTest): {statistics.median(first):6.0f} ms   goal <= 2,000")
    print(f"  dashboard rerun (AppTest):       {statistics.median(rerun):7.0f} ms   goal <= 300")


if __name__ == "__main__":
    main()
