"""Time of one quarterly pack: cold (the browser starts), warm (a browser kept open), and the
data-only part (figures, data.xlsx and the report without charts) beside them.

    uv run python benchmarks/pack.py                       # 900 exchanges, 2026Q3
    uv run python benchmarks/pack.py --exchanges 10000 --runs 5

The register is `xchange demo`'s (the same generator as the fixtures), dated TODAY, so every run
measures the same data. Warm and data-only times are the median of `--runs` after one warm-up.
The goal: a warm pack in 5 s or less.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import select

from xchange.db.engine import make_engine, read_session, upgrade
from xchange.demo import load as demo
from xchange.models import Role, User
from xchange.pack import build as pack
from xchange.pack import pdf as report_pdf
from xchange.pack import sheets as pack_sheets

TODAY = date(2026, 11, 20)
QUARTER = "2026Q3"


def seconds(work: Callable[[], Any]) -> float:
    began = time.perf_counter()
    work()
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exchanges", type=int, default=900)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        upgrade(engine)
        demo.load_demo(engine, exchanges=args.exchanges, today=TODAY)
        out = Path(folder) / "out"
        with read_session(engine) as session:
            officer = session.exec(select(User).where(User.role == Role.OFFICER.value)).first()
            assert officer is not None

            def build(renderer: pack.ChartRenderer | None = None) -> pack.PackResult:
                return pack.build_pack(
                    session=session,
                    actor=officer,
                    quarter=QUARTER,
                    directory=out,
                    renderer=renderer,
                    today=TODAY,
                )

            def data_only() -> None:
                data = pack.gather(session, actor=officer, quarter=QUARTER, today=TODAY)
                drawn = pack.figures(data)
                pack_sheets.workbook(data, drawn)
                report_pdf.report_pdf(data, drawn, {})

            data_only()
            data_times = [seconds(data_only) for _ in range(args.runs)]
            cold = seconds(build)
            with pack.ChartRenderer() as renderer:
                build(renderer)  # warm-up: the browser's first figures
                warm_times = [seconds(lambda: build(renderer)) for _ in range(args.runs)]
        engine.dispose()

    warm = statistics.median(warm_times)
    print(f"Quarterly pack, {QUARTER}, programme, {args.exchanges:,} exchanges")
    print(
        f"  data only (figures, data.xlsx, report without charts) {statistics.median(data_times):6.2f} s"
    )
    print(f"  cold pack (the browser starts)                        {cold:6.2f} s")
    print(f"  warm pack (a browser kept open)                       {warm:6.2f} s")
    print(f"  goal: a warm pack in 5 s or less: {'met' if warm <= 5 else 'NOT met'}")


if __name__ == "__main__":
    main()
