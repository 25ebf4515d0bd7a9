"""How long each workbook format takes to read, and what its pre-read checks cost of that.

    uv run python benchmarks/formats.py                 # 20,000 rows of the import's columns
    uv run python benchmarks/formats.py --rows 60000    # near what an .xls can hold (65,536)

For `.xlsx`, `.xls`, `.xlsb` and `.ods` files of the same rows (written as the tests write
them: xlsxwriter, xlwt, records by hand, odfpy), it prints the seconds of the format's checks
alone (`xlsx.CHECKS`) and of the whole read in this process (`files.read_file`: checks,
calamine, the header and cells), best of `--runs`, in CPU seconds of this process (threads
included): on a shared machine wall-clock time measures the neighbours too. The goal: the checks stay under a third of
the read, so that refusing hostile files early costs a legitimate file little.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.imports.formats import ods_bytes, xls_bytes, xlsb_bytes  # noqa: E402
from xchange.imports.files import read_file  # noqa: E402
from xchange.imports.limits import Limits  # noqa: E402
from xchange.imports.xlsx import CHECKS  # noqa: E402
from xchange.register.parsing import COLUMNS  # noqa: E402

GOAL = 1 / 3  # the checks' share of the read


def cells(rows: int) -> list[list[Any]]:
    """The header and `rows` valid-looking rows, typed as a spreadsheet program holds them."""
    start = date(2025, 3, 10)
    body = []
    for i in range(rows):
        values: dict[str, Any] = {name: "" for name in COLUMNS}
        values.update(
            reference=f"R-{i:06}",
            partnership="GTEX",
            status="completed",
            start_date=start + timedelta(days=i % 300),
            end_date=start + timedelta(days=i % 300 + 4),
            visitor_organisation=f"Visitor {i}",
            host_organisation="Beta Hub",
            visitor_type="cluster organisation",
            host_type="university",
            visitor_country="DE",
            host_country="FR",
            visitor_is_sme="no",
            host_is_sme="yes",
            visitor_community="partner",
            host_community="external",
            distance_km=850.0,
        )
        body.append([values[name] if values[name] != "" else None for name in COLUMNS])
    return [list(COLUMNS), *body]


def xlsx_bytes(table: list[list[Any]]) -> bytes:
    import io

    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("exchanges")
    dated = book.add_format({"num_format": "yyyy-mm-dd"})
    for r, values in enumerate(table):
        for c, value in enumerate(values):
            if isinstance(value, date):
                sheet.write_datetime(r, c, value, dated)
            elif value is not None:
                sheet.write(r, c, value)
    book.close()
    return buffer.getvalue()


def best(runs: int, work: Any) -> float:
    times = []
    for _ in range(runs):
        began = time.process_time()
        work()
        times.append(time.process_time() - began)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="rows in each file")
    parser.add_argument("--runs", type=int, default=3, help="runs of each (best counts)")
    options = parser.parse_args()
    table = cells(options.rows)
    writers = {"xlsx": xlsx_bytes, "xls": xls_bytes, "xlsb": xlsb_bytes, "ods": ods_bytes}
    limits = Limits(file_bytes=1 << 31)
    print(f"{options.rows:,} rows; CPU seconds, best of {options.runs}")
    print(f"{'format':<6} {'size MB':>8} {'checks':>8} {'read':>8} {'checks/read':>12}")
    for kind, write in writers.items():
        data = write(table)
        name = f"exchanges.{kind}"
        checks = best(options.runs, lambda d=data, n=name, k=kind: CHECKS[k](d, n, limits))
        read = best(options.runs, lambda d=data, n=name: read_file(d, n, limits=limits))
        share = checks / read
        verdict = "ok" if share <= GOAL else f"over the goal of {GOAL:.0%}"
        print(
            f"{kind:<6} {len(data) / 1e6:>8.1f} {checks:>8.2f} {read:>8.2f} "
            f"{share:>11.0%} {verdict}"
        )


if __name__ == "__main__":
    main()
