"""The KPI endpoint's speed beside the same figures by the command line's own call.

    uv run python benchmarks/api.py                        # 100k exchanges
    uv run python benchmarks/api.py --exchanges 10000

A demo register is built into a temporary SQLite file and served as `make run` serves it
(`streamlit run serve.py`). Then, for each request, side by side:
- in process: `kpi.figures.figures(...)` and its JSON, in a read session: what `xchange kpi
  --json` runs once its process has started;
- HTTP: `GET /api/v1/kpi` with a token (token check, rate limit, the same call, the answer), a
  new connection per request as curl and Excel's "From Web" make them;
- kept alive: the same over one kept-alive connection. Streamlit's server answers a request on
  a reused connection some 40 ms later than on a new one (a bare Starlette app under uvicorn
  does not), so this column shows that delay, not the API's work.
Goal (issue 16): the endpoint (new connection) within 1.5x of the in-process call. Medians of
15 runs after one warm-up; the rate limit is lifted for the run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import requests
from sqlmodel import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the tests' launcher of a served app

from tests.browser.helpers import served  # noqa: E402
from xchange.accounts import tokens  # noqa: E402
from xchange.db.engine import make_engine, read_session, upgrade, write_session  # noqa: E402
from xchange.demo import load as demo  # noqa: E402
from xchange.kpi import figures  # noqa: E402
from xchange.models import User  # noqa: E402

RUNS = 15
GOAL = 1.5
AS_OF = "2026-06-30"
# name -> (query parameters, `figures` keyword arguments)
CASES: list[tuple[str, dict[str, str], dict[str, Any]]] = [
    ("headline (programme)", {}, {}),
    (
        "headline GTEX as of",
        {"partnership": "GTEX", "as_of": AS_OF},
        {"acronym": "GTEX", "as_of": date.fromisoformat(AS_OF)},
    ),
    ("by quarter", {"by": "quarter"}, {"by": "quarter"}),
    ("by partnership", {"by": "partnership"}, {"by": "partnership"}),
    ("forecast", {"forecast": "true"}, {"forecast": True}),
]


def median_ms(work: Callable[[], Any]) -> float:
    work()
    times = []
    for _ in range(RUNS):
        began = time.perf_counter()
        work()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exchanges", type=int, default=100_000)
    args = parser.parse_args()
    os.environ["XCHANGE_API_RATE_PER_MINUTE"] = "1000000"
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'api.db'}"
        engine = make_engine(url)
        upgrade(engine)
        demo.load_demo(engine, exchanges=args.exchanges, seed=demo.DEFAULT_SEED)
        with write_session(engine) as session:
            officer = session.exec(select(User).where(User.email == "officer@demo.eu")).one()
            _, secret = tokens.create_token(
                session=session, actor=officer, owner_email=officer.email, name="benchmark"
            )

        def in_process(kwargs: dict[str, Any]) -> Callable[[], Any]:
            def work() -> Any:
                with read_session(engine) as session:
                    return figures.as_json(figures.figures(session, **kwargs).as_dict())

            return work

        headers = {"Authorization": f"Bearer {secret}"}
        with served(url) as address, requests.Session() as kept:
            kept.headers.update(headers)

            def over_http(params: dict[str, str], http: Any = requests) -> Callable[[], Any]:
                def work() -> Any:
                    answer = http.get(
                        f"{address}/api/v1/kpi", params=params, headers=headers, timeout=120
                    )
                    answer.raise_for_status()
                    return answer.content

                return work

            print(f"KPI endpoint at {args.exchanges:,} exchanges (SQLite), medians of {RUNS}")
            print(
                f"{'request':<24}{'in process':>12}{'HTTP':>11}{'ratio':>8}{'kept alive':>13}"
                f"  goal: HTTP <= {GOAL}x"
            )
            for name, params, kwargs in CASES:
                local = median_ms(in_process(kwargs))
                remote = median_ms(over_http(params))
                alive = median_ms(over_http(params, kept))
                ratio = remote / local
                verdict = "ok" if ratio <= GOAL else "over"
                print(
                    f"{name:<24}{local:>9,.1f} ms{remote:>8,.1f} ms{ratio:>7.2f}x"
                    f"{alive:>10,.1f} ms  {verdict}"
                )
        engine.dispose()


if __name__ == "__main__":
    main()
