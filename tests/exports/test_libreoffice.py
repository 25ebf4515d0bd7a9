"""An `excel-eu` export opened by LibreOffice in a German locale and saved back as `.xlsx`
imports back unchanged: what a German, French or Italian user does with the file.

LibreOffice comes from Debian (`libreoffice-calc-nogui`, installed by `.ci/run`), found as
`soffice` on the PATH or named by XCHANGE_TEST_LIBREOFFICE. Without it the test is skipped,
except under CI=true, where it fails. Each run gets a throwaway profile, and the conversion is
killed after `SECONDS`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.imports.test_importer import OFFICER, csv_bytes, make_register, row, rows
from xchange.db import engine as db
from xchange.exports.exchanges import export_csv

SECONDS = 120  # a first start (a new profile) takes some 7 s on a quiet machine
# CSV import options: separator ';' (59), quote '"' (34), UTF-8 (76), from line 1, standard
# column types, language German (1031): decimal commas are numbers, as in German Excel.
GERMAN_CSV = "CSV:59,34,76,1,,1031"


def libreoffice() -> str:
    """The LibreOffice program to run; skip (fail on CI) when there is none."""
    found = os.environ.get("XCHANGE_TEST_LIBREOFFICE") or shutil.which("soffice")
    if not found:
        message = "LibreOffice (soffice) is not installed: .ci/run installs libreoffice-calc-nogui"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


def open_and_save_as_xlsx(program: str, source: Path, folder: Path) -> Path:
    """`source` (CSV) opened as a German user would and saved as XLSX, in `folder`."""
    profile = folder / "profile"  # throwaway: no first-start dialogs, nothing shared
    subprocess.run(
        [
            program,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            f"--infilter={GERMAN_CSV}",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(folder),
            str(source),
        ],
        check=True,
        timeout=SECONDS,
        capture_output=True,
    )
    saved = folder / f"{source.stem}.xlsx"
    assert saved.exists(), "LibreOffice wrote no workbook"
    return saved


@pytest.mark.slow
def test_an_eu_export_through_german_libreoffice_imports_back_unchanged(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    program = libreoffice()
    register = make_register(sqlite_engine)
    records = [
        *rows(3),
        # A reference that looks like a number, a halved sum at 150.5 km, text that looks like
        # a formula, and a semicolon inside a cell.
        row(reference="101", visitor_organisation="Near", distance_km="150.5"),
    ]
    records[0]["notes"] = '=HYPERLINK("http://x.example","click")'
    records[1]["notes"] = "-5 days late; with a semicolon"
    records[2]["visitor_organisation"] = "Société Générale de Test"
    assert register.load(csv_bytes(records)).rows_created == 4
    with db.read_session(sqlite_engine) as session:
        exported = export_csv(
            session=session, actor=register.user(OFFICER), dialect="excel-eu"
        )  # an officer's: pseudonyms read back too
    source = tmp_path / "exchanges.csv"
    source.write_bytes(exported)
    saved = open_and_save_as_xlsx(program, source, tmp_path)
    before = register.exchanges()
    report = register.load(saved.read_bytes(), saved.name)
    assert (report.rows_unchanged, report.rows_updated, report.errors) == (4, 0, [])
    assert register.exchanges()["101"].lump_sum_cents == before["101"].lump_sum_cents == 55_000
