"""The import plan: what each row would do, organisations resolved in the order rows write them.

The importer's own tests (test_importer.py) check what lands in the register; these check the
plan the writer is handed, on SQLite and PostgreSQL (the `register` fixture).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from sqlalchemy.engine import Engine

from tests.imports.test_importer import TODAY, Register, csv_bytes, make_register, row, rows
from xchange.db import engine as db
from xchange.imports.importer import plan_import, read_file
from xchange.imports.plan import NEW_ID, STORED, VALUES, ImportPlan


@pytest.fixture
def register(engine: Engine) -> Register:
    return make_register(engine)


def plan(register: Register, data: bytes) -> ImportPlan:
    source = read_file(data, "exchanges.csv")
    with db.write_session(register.engine) as session:
        return plan_import(session=session, actor=register.user(), source=source, today=TODAY)


def test_a_new_organisation_keeps_its_first_spelling_and_its_last_profile(
    register: Register,
) -> None:
    # Beta Hub hosts on row 2 and visits on row 3, spelt another way, with another profile;
    # row 4 is refused, so the organisation only it names is not planned.
    data = csv_bytes(
        [
            row(reference="R-1"),
            row(
                reference="R-2",
                visitor_organisation="BETA  hub.",
                visitor_country="FR",
                visitor_type="SME",
                visitor_is_sme="yes",
                host_organisation="Gamma Lab",
                host_country="DE",
                host_is_sme="no",
            ),
            row(
                reference="R-3",
                visitor_organisation="Zeta",
                host_organisation="Delta",
                end_date="soon",
            ),
        ]
    )
    result = plan(register, data)
    assert (list(result.create), result.refused) == ([2, 3], {4})
    new = result.orgs.new.set_index("key")
    assert list(new.index) == ["acme cluster|DE", "beta hub|FR", "gamma lab|DE"]
    beta = new.loc["beta hub|FR"]
    assert (
        beta["name"],
        beta["name_key"],
        beta["type"],
        beta["country"],
        bool(beta["is_sme"]),
    ) == (
        "Beta Hub",
        "beta hub",
        "sme",
        "FR",
        True,
    )
    values = result.values
    assert values.at[2, "host_new"] == values.at[3, "visitor_new"] == 1  # beta hub|FR's row
    assert values.at[2, "visitor_new"] == 0 and values.at[3, "host_org_id"] == NEW_ID
    assert values.at[2, "host_org_id"] == values.at[3, "visitor_org_id"] == NEW_ID
    assert (result.orgs.ids, result.orgs.profiles) == ({}, [])


def test_the_values_are_plain_python_values_in_audit_spelling(register: Register) -> None:
    result = plan(register, csv_bytes([row(), row(reference="R-2", visitor_organisation="V2")]))
    values = result.values
    assert list(values.columns) == list(VALUES)
    assert set(values.dtypes) == {np.dtype(object)}
    kinds = {type(v) for name in VALUES for v in values[name]}
    assert kinds <= {int, float, bool, str, type(None)}
    first = values.loc[2]
    assert (first["start_date"], first["end_date"], first["end_quarter"]) == (
        "2025-03-10",
        "2025-03-14",
        "2025Q1",
    )
    assert (first["representative"], first["representative_id"]) == ("Jane Doe", NEW_ID)
    assert result.people == ["Jane Doe"]
    assert result.partnership_ids == {1}


def test_a_reimport_is_unchanged_and_a_changed_row_is_compared_with_its_record(
    register: Register,
) -> None:
    register.load(csv_bytes(rows(3)))
    again = plan(register, csv_bytes(rows(3)))
    assert (list(again.create), list(again.update), list(again.unchanged)) == ([], [], [2, 3, 4])
    assert (len(again.values), len(again.stored), again.orgs.new.empty) == (0, 0, True)
    # Beta Hub hosts all three: the last row's SME flag is the one its profile takes.
    changed = rows(3)
    changed[2]["host_is_sme"] = "no"
    third = plan(register, csv_bytes(changed))
    assert (list(third.update), list(third.unchanged)) == ([4], [2, 3])
    before, after = third.stored.loc[4], third.values.loc[4]
    assert (before["host_is_sme"], after["host_is_sme"]) == (True, False)
    assert [name for name in STORED if before[name] != after[name]] == [
        "host_is_sme",
        "involves_sme",
    ]
    host = register.exchanges()["R-003"].host_org_id
    assert third.orgs.profiles == [(host, "university", False)]
    assert after["end_date"] == date(2025, 3, 14).isoformat()
