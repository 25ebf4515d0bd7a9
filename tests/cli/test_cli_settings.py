"""`xchange settings`: show, set, eligible countries and a file applied, on SQLite and PostgreSQL.

Each change goes through the Administration page's functions: its ranges and messages, the
programme's version, one audit row per saved change, nothing written when nothing changes.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from tests.cli.test_cli import ok, refused, xc
from xchange.db import engine as db
from xchange.models import AuditEvent

pytestmark = pytest.mark.usefixtures("cheap_hashing")


@pytest.fixture
def url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def shown(url: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(ok(xc(url, "settings show --json")))
    return result


def programme_events(engine: Engine) -> list[dict[str, Any]]:
    with db.read_session(engine) as session:
        found = session.exec(
            select(AuditEvent)
            .where(AuditEvent.entity == "programme", AuditEvent.action == "update")
            .order_by(col(AuditEvent.id))
        )
        return [event.changes for event in found.all()]


def test_set_changes_several_settings_at_once_audited(url: str, engine: Engine) -> None:
    before = shown(url)
    assert before["version"] == 1 and before["settings"]["sme_share_target"] == 0.5
    assert ok(xc(url, "settings set sme-share-target 55 count-virtual yes")) == (
        "Saved sme-share-target, count-virtual: the programme settings are now version 2.\n"
    )
    after = shown(url)
    assert after["settings"] == {
        **before["settings"],
        "sme_share_target": 0.55,
        "count_virtual": True,
    }
    assert programme_events(engine) == [
        {"sme_share_target": [0.5, 0.55], "count_virtual": [False, True], "version": [1, 2]}
    ]
    # The same values again: nothing written, no version, no audit row.
    assert ok(xc(url, "settings set sme-share-target 55%")).startswith("Nothing changed")
    assert shown(url)["version"] == 2 and len(programme_events(engine)) == 1
    text = ok(xc(url, "settings show"))
    # One line a setting, its value after the names' padding (as wide as the longest name).
    assert re.search(r"^  sme-share-target +55\.0 %$", text, re.M)
    assert re.search(r"^  count-virtual +yes$", text, re.M)


@pytest.mark.parametrize(
    ("command", "code", "message"),
    [
        (
            "settings set at-risk-ratio 150",
            1,
            "error: The at-risk ratio must lie above 0 % and at most 100 % (not 150 %).",
        ),
        ("settings set retention-months 0", 1, "error: The retention time of representatives'"),
        ("settings set colour blue", 1, "error: Unknown setting 'colour': one of name, "),
        ("settings set target-exchanges", 2, "Error: The setting 'target-exchanges' has no value"),
        (
            "settings set target-exchanges 900 --expect-version 7",
            1,
            "error: The programme settings",
        ),
        (
            "settings eligible-country add QQ",
            1,
            "error: 'QQ' is not a country code or name (FR, Greece, EL...).",
        ),
        (
            "settings eligible-country end NO --to 2026-01-01",
            1,
            "error: Norway (NO) is not an eligible country: there is nothing to end.",
        ),
        (
            "settings eligible-country add FR --from 2030-01-01",
            1,
            "error: France is listed twice with overlapping dates",
        ),
    ],
)
def test_refusals_are_one_line_and_change_nothing(
    url: str, engine: Engine, command: str, code: int, message: str
) -> None:
    before = shown(url)
    result = xc(url, command)
    if code == 2:  # a usage error: click's own lines
        assert result.exit_code == 2 and message in result.stderr
    else:
        assert refused(result, code).startswith(message)
    assert shown(url) == before and programme_events(engine) == []


def test_eligible_countries_end_and_come_back(url: str, engine: Engine) -> None:
    assert ok(xc(url, "settings eligible-country end Greece --to 2030-12-31")) == (
        "GR is eligible until 2030-12-31: the settings are now version 2.\n"
    )
    assert ok(xc(url, "settings eligible-country add EL --from 2032-01-01")) == (
        "Added GR from 2032-01-01: the settings are now version 3.\n"
    )
    greece = [c for c in shown(url)["eligible_countries"] if c["code"] == "GR"]
    assert greece == [
        {"code": "GR", "from": None, "to": "2030-12-31"},
        {"code": "GR", "from": "2032-01-01", "to": None},
    ]
    changes = programme_events(engine)
    assert [c["version"] for c in changes] == [[1, 2], [2, 3]]
    assert "GR until 2030-12-31" in changes[0]["eligible_countries"][1]


def kpis(url: str) -> str:
    return ok(xc(url, "kpi --json --as-of 2027-06-30"))


def test_a_settings_file_reproduces_the_settings_and_kpis_on_another_database(
    url: str, engine: Engine, sqlite_template: Path, tmp_path: Path
) -> None:
    """The issue's case: one database's settings applied to another (SQLite, when the first is
    PostgreSQL) give the same settings and the same KPIs over the same register."""
    other_path = tmp_path / "other.db"
    shutil.copyfile(sqlite_template, other_path)
    other = f"sqlite:///{other_path}"
    for target in (url, other):
        ok(xc(target, "demo --exchanges 120 --seed 3"))
    assert kpis(url) == kpis(other)
    ok(xc(url, "settings set count-virtual yes beyond-reading narrow sme-share-target 40"))
    ok(xc(url, "settings set virtual-window-start 2026-01-01 virtual-window-end 2026-12-31"))
    ok(xc(url, "settings eligible-country end DE --to 2026-06-30"))
    assert kpis(url) != kpis(other)  # the settings decide the figures: the test can fail

    file = tmp_path / "programme.json"
    file.write_text(ok(xc(url, "settings show --json")))
    assert ok(xc(other, f"settings apply {file}")) == (
        "Applied programme.json: the programme settings are now version 3.\n"
    )
    mine, theirs = shown(url), shown(other)
    assert mine["settings"] == theirs["settings"]
    assert mine["eligible_countries"] == theirs["eligible_countries"]
    assert kpis(url) == kpis(other)

    # Applied again, the file changes nothing: no version, no audit row.
    other_engine = db.make_engine(other)
    try:
        events = len(programme_events(other_engine))
        assert ok(xc(other, f"settings apply {file}")) == (
            "Nothing changed: the settings already match programme.json.\n"
        )
        assert shown(other)["version"] == 3 and len(programme_events(other_engine)) == events
    finally:
        other_engine.dispose()


def test_a_file_is_applied_whole_or_not_at_all(url: str, engine: Engine, tmp_path: Path) -> None:
    file = tmp_path / "bad.json"
    file.write_text(
        json.dumps(
            {
                "settings": {"target_exchanges": 900},  # fine, but the countries are not
                "eligible_countries": [{"code": "FR"}, {"code": "QQ"}],
            }
        )
    )
    assert refused(xc(url, f"settings apply {file}"), 1) == (
        "error: 'QQ' is not a country code or name (FR, Greece, EL...)."
    )
    assert shown(url)["settings"]["target_exchanges"] == 1000
    assert programme_events(engine) == []
    file.write_text("{not json")
    assert refused(xc(url, f"settings apply {file}"), 1).startswith(
        f"error: {file} is not a settings file (JSON)"
    )
    file.write_text(json.dumps({"settings": {"target_exchanges": 900}}))
    assert refused(xc(url, f"settings apply {file} --expect-version 5"), 1).startswith(
        "error: The programme settings"
    )
