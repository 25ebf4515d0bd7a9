"""CSV for every spreadsheet program: the `excel-eu` dialect (semicolons, decimal commas, a
byte-order mark) in the export, the template and the command, the formula guard kept, and the
file reading back unchanged."""

from __future__ import annotations

import csv
import io
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy.engine import Engine

from tests.imports.test_importer import OFFICER, Register, csv_bytes, make_register, row, rows
from xchange.cli import cli
from xchange.db import engine as db
from xchange.exports.dialects import dialect
from xchange.exports.exchanges import export_csv
from xchange.exports.templates import template_csv
from xchange.register.parsing import COLUMNS


@pytest.fixture
def register(engine: Engine) -> Register:
    """Four GTEX stays: full lump sums, one halved at 150.5 km, and formula-like notes."""
    made = make_register(engine)
    records = [*rows(3), row(reference="R-004", visitor_organisation="Near", distance_km="150.5")]
    records[0]["notes"] = '=HYPERLINK("http://x.example","click")'
    records[1]["notes"] = "-5 days late; with a semicolon"
    records[2]["visitor_organisation"] = "Société Générale de Test"
    assert made.load(csv_bytes(records)).rows_created == 4
    return made


def eu_export(register: Register, user: str | None = None) -> bytes:
    with db.read_session(register.engine) as session:
        return export_csv(session=session, actor=register.user(user), dialect="excel-eu")


def eu_rows(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the byte-order mark: Excel reads accents right
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def test_semicolons_decimal_commas_and_the_formula_guard(register: Register) -> None:
    data = eu_export(register)
    assert data.decode("utf-8-sig").splitlines()[0] == ";".join([*COLUMNS, "version"])
    lines = {r["reference"]: r for r in eu_rows(data)}
    assert [lines[r]["lump_sum_eur"] for r in ("R-001", "R-004")] == ["1100,00", "550,00"]
    assert [lines[r]["distance_km"] for r in ("R-001", "R-004")] == ["850", "150,5"]
    assert lines["R-001"]["end_date"] == "2025-03-14"  # ISO: a date in every locale
    assert lines["R-001"]["notes"] == '\'=HYPERLINK("http://x.example","click")'
    assert lines["R-002"]["notes"] == "'-5 days late; with a semicolon"  # quoted, guarded
    assert lines["R-003"]["visitor_organisation"] == "Société Générale de Test"


@pytest.mark.parametrize("user", [None, OFFICER])
def test_an_eu_export_imports_back_unchanged(register: Register, user: str | None) -> None:
    report = register.load(eu_export(register, user), "exchanges.csv")
    assert (report.rows_unchanged, report.rows_updated, report.errors) == (4, 0, [])


def test_the_template_in_either_dialect() -> None:
    assert template_csv("excel-eu") == ("\ufeff" + ";".join(COLUMNS) + "\r\n").encode()
    assert template_csv() == ("\ufeff" + ",".join(COLUMNS) + "\r\n").encode()
    with pytest.raises(
        ValueError, match="Unknown CSV dialect 'excel-fr': choose excel or excel-eu"
    ):
        dialect("excel-fr")


def xc(url: str, command: str) -> Result:
    return CliRunner().invoke(cli, ["--db", url, *shlex.split(command)], prog_name="xchange")


def test_the_command_writes_either_dialect(register: Register, tmp_path: Path) -> None:
    url = register.engine.url.render_as_string(hide_password=False)
    target = tmp_path / "eu.csv"
    assert xc(url, f"export -o {target} --dialect excel-eu").exit_code == 0
    assert target.read_bytes() == eu_export(register)
    refused = xc(url, f"export -o {tmp_path / 'x.xlsx'} --dialect excel-eu")
    assert refused.exit_code == 2
    assert "--dialect excel-eu applies to CSV only, not XLSX" in refused.stderr
    template = tmp_path / "template.csv"
    assert xc(url, f"template -o {template} --dialect excel-eu").exit_code == 0
    assert template.read_bytes() == template_csv("excel-eu")
