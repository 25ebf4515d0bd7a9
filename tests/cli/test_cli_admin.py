"""`xchange partnership show|edit`, `xchange user list|edit|deactivate|activate|reset-password`
and `xchange exchange show|cancel|complete|pay`, on SQLite and PostgreSQL.

They call the functions the pages call, so these tests check what a script sees: one line on
success, one line and the documented exit code on refusal (wrong role, stale version, a value
out of range), the versions and the audit trail, and the JSON that docs/cli.md describes.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from tests.cli.test_cli import ADD_AGRI, ADD_GTEX, PASSWORD, ok, refused, xc
from xchange.db import engine as db
from xchange.models import AuditEvent, User
from xchange.register.service import ExchangeIn, create_exchange

pytestmark = pytest.mark.usefixtures("cheap_hashing")
ADMIN = "admin@x.eu"
ANNA = "anna@cluster.eu"
OFFICER = "officer@ec.europa.eu"


@pytest.fixture
def url(engine: Engine) -> str:
    """GTEX and AGRI, an administrator, GTEX's coordinator Anna and an officer."""
    address = engine.url.render_as_string(hide_password=False)
    ok(xc(address, ADD_GTEX))
    ok(xc(address, ADD_AGRI))
    for line in (
        f"user add {ADMIN} --role admin --password-stdin",
        f"user add {ANNA} --role coordinator --partnership GTEX --password-stdin",
        f"user add {OFFICER} --role officer --password-stdin",
    ):
        ok(xc(address, line, stdin=PASSWORD + "\n"))
    return address


def events(engine: Engine, entity: str) -> list[AuditEvent]:
    with db.read_session(engine) as session:
        found = session.exec(
            select(AuditEvent)
            .where(AuditEvent.entity == entity, AuditEvent.action != "refused")
            .order_by(col(AuditEvent.id))
        )
        return list(found.all())


def as_json(url: str, command: str, user: str | None = None) -> Any:
    return json.loads(ok(xc(url, command, user=user)))


# --- partnership -------------------------------------------------------------------------------


def test_partnership_show(url: str) -> None:
    assert as_json(url, "partnership show gtex --json") == {
        "acronym": "GTEX",
        "name": "Green Textiles Partnership",
        "version": 1,
        "action_start": "2026-01-01",
        "action_end": "2027-12-31",
        "target_exchanges": 100,
        "sme_share_target": None,
        "beyond_share_target": None,
        "full_rate_eur": 1100.0,
        "host_rates": {},
        "reporting_periods": [
            {"label": "interim", "ends_on": "2026-12-31"},
            {"label": "final", "ends_on": "2027-12-31"},
        ],
        "milestones": [],
    }
    text = ok(xc(url, "partnership show GTEX", user=OFFICER))  # any user reads it
    assert "action:       2026-01-01 to 2027-12-31\n" in text
    assert refused(xc(url, "partnership show NOPE"), 1).startswith("error: There is no partnership")


def test_partnership_edit_changes_only_what_is_given(url: str, engine: Engine) -> None:
    assert (
        ok(
            xc(
                url,
                "partnership edit GTEX --end 2028-06-30 --sme-target 55 --rate FR=900 "
                "--milestone 2027-06-30=40",
            )
        )
        == "Saved GTEX: now version 4.\n"
    )
    ok(xc(url, "partnership edit GTEX --rate Greece=800 --period interim=2027-03-31"))
    shown = as_json(url, "partnership show GTEX --json")
    assert shown["version"] == 6
    assert shown["name"] == "Green Textiles Partnership"  # not given: kept
    assert (shown["action_end"], shown["sme_share_target"]) == ("2028-06-30", 0.55)
    assert shown["host_rates"] == {"FR": 900.0, "GR": 800.0}  # merged by country
    assert shown["reporting_periods"] == [
        {"label": "interim", "ends_on": "2027-03-31"},
        {"label": "final", "ends_on": "2028-06-30"},  # followed the action's end
    ]
    assert shown["milestones"] == [{"due_on": "2027-06-30", "cumulative": 40}]
    ok(xc(url, "partnership edit GTEX --rate FR= --sme-target programme"))
    shown = as_json(url, "partnership show GTEX --json")
    assert (shown["host_rates"], shown["sme_share_target"]) == ({"GR": 800.0}, None)
    trail = [e for e in events(engine, "partnership") if e.action == "update"]
    assert [e.changes["version"] for e in trail] == [[n, n + 1] for n in range(1, 8)]
    assert ok(xc(url, "partnership edit GTEX --target 100")) == (
        "Nothing changed: GTEX already had those values.\n"
    )
    assert len([e for e in events(engine, "partnership") if e.action == "update"]) == len(trail)


@pytest.mark.parametrize(
    ("options", "code", "message"),
    [
        ("--rate FR=2000", 1, "error: The rate for France must lie within EUR 0-1,100"),
        ("--rate QQ=500", 1, "error: Host country 'QQ' is not a country code or name"),
        ("--target 0", 1, "error: "),
        ("--start 2028-01-01", 1, "error: "),  # after the end
        ("--target 120 --expect-version 3", 1, "error: Partnership GTEX was changed by someone"),
        ("--rate FR", 2, "Error: --rate 'FR': write it as KEY=VALUE"),
        ("", 2, "Error: Nothing to change"),
    ],
)
def test_partnership_edit_refusals(
    url: str, engine: Engine, options: str, code: int, message: str
) -> None:
    before = as_json(url, "partnership show GTEX --json")
    result = xc(url, f"partnership edit GTEX {options}")
    if code == 2:
        assert result.exit_code == 2 and message in result.stderr
    else:
        assert refused(result, code).startswith(message)
    assert as_json(url, "partnership show GTEX --json") == before
    assert refused(xc(url, "partnership edit GTEX --target 9", user=ANNA), 3) == (
        f"error: Permission denied: {ANNA} may not update partnership: only administrators may."
    )


# --- users -------------------------------------------------------------------------------------


def user_row(engine: Engine, email: str) -> User:
    with db.read_session(engine) as session:
        return session.exec(select(User).where(User.email == email)).one()


def test_user_list(url: str) -> None:
    listed = as_json(url, "user list --json")
    assert [(u["email"], u["role"], u["partnerships"], u["active"]) for u in listed] == [
        (ADMIN, "admin", [], True),
        (ANNA, "coordinator", ["GTEX"], True),
        (OFFICER, "officer", [], True),
    ]
    assert set(listed[0]) == {
        "email", "role", "partnerships", "active", "signs_in_with", "failed_sign_ins",
        "added_on", "version",
    }  # fmt: skip
    lines = ok(xc(url, "user list")).splitlines()
    assert lines[3].split() == [ANNA, "coordinator", "GTEX", "yes", "password", "1"]
    assert refused(xc(url, "user list", user=OFFICER), 3).startswith("error: Permission denied")


def test_user_edit_deactivate_activate(url: str, engine: Engine) -> None:
    assert ok(xc(url, f"user edit {ANNA} --partnership GTEX --partnership agri")) == (
        f"Saved the role and partnerships of {ANNA}: now version 2.\n"
    )
    ok(xc(url, f"user edit {ANNA} --role coordinator"))  # only the role: her partnerships stay
    assert as_json(url, "user list --json")[1]["partnerships"] == ["AGRI", "GTEX"]
    ok(xc(url, f"user edit {ANNA} --role officer"))  # an officer has none
    assert as_json(url, "user list --json")[1]["partnerships"] == []
    assert refused(xc(url, f"user edit {ANNA} --role coordinator"), 1) == (
        "error: A coordinator needs at least one partnership."
    )
    epoch = user_row(engine, ANNA).session_epoch
    assert ok(xc(url, f"user deactivate {ANNA.upper()}")) == (
        f"{ANNA} is deactivated: their sessions ended, they can no longer sign in.\n"
    )
    gone = user_row(engine, ANNA)
    assert (gone.active, gone.session_epoch) == (False, epoch + 1)
    assert ok(xc(url, f"user deactivate {ANNA}")).startswith("Nothing changed")
    ok(xc(url, f"user activate {ANNA}"))
    assert user_row(engine, ANNA).active
    assert refused(xc(url, f"user deactivate {ADMIN}", user=ADMIN), 1) == (
        "error: You cannot deactivate your own account: ask another administrator."
    )
    assert (
        refused(xc(url, "user activate nobody@x.eu"), 1) == "error: There is no user nobody@x.eu."
    )
    assert refused(xc(url, f"user activate {ANNA} --expect-version 1"), 1).startswith(
        f"error: User {ANNA} was changed by someone else"
    )
    # Three accounts made, four saved changes (the unchanged ones and the refusals write none).
    assert [e.action for e in events(engine, "user")] == ["create"] * 3 + ["update"] * 4


def test_user_reset_password_ends_their_sessions(url: str, engine: Engine) -> None:
    before = user_row(engine, ANNA)
    assert ok(
        xc(url, f"user reset-password {ANNA} --password-stdin", stdin="another long one 8\n")
    ) == (f"New password set for {ANNA}: their sessions ended.\n")
    after = user_row(engine, ANNA)
    assert after.password_hash != before.password_hash
    assert (after.session_epoch, after.version) == (before.session_epoch + 1, before.version + 1)
    assert events(engine, "user")[-1].changes["password"] == "changed"  # never the password
    assert refused(
        xc(url, f"user reset-password {ANNA} --password-stdin", stdin="short\n"), 1
    ).startswith("error: A password needs at least")
    assert refused(
        xc(url, f"user reset-password {ADMIN} --password-stdin", user=ANNA, stdin=PASSWORD), 3
    ).startswith("error: Permission denied")


# --- exchanges ---------------------------------------------------------------------------------

SHOW = "exchange show --partnership GTEX --reference G-1"
KEY = "--partnership gtex --reference G-1"


@pytest.fixture
def stay(url: str, engine: Engine) -> str:
    """GTEX's confirmed stay G-1, with its representative."""
    with db.write_session(engine) as session:
        admin = session.exec(select(User).where(User.email == ADMIN)).one()
        create_exchange(
            session=session,
            actor=admin,
            data=ExchangeIn(
                reference="G-1",
                partnership="GTEX",
                status="confirmed",
                start_date=date(2026, 3, 2),
                end_date=date(2026, 3, 6),
                visitor_organisation="Visitor Cluster",
                visitor_type="cluster organisation",
                visitor_country="DE",
                visitor_is_sme=False,
                visitor_community="partner",
                host_organisation="Host SME",
                host_type="SME",
                host_country="FR",
                host_is_sme=True,
                host_community="external",
                representative="Jane Doe",
            ),
            today=date(2026, 11, 25),
        )
    return url


def test_exchange_show_with_its_history(stay: str) -> None:
    shown = as_json(stay, f"{SHOW} --json", user=ANNA)
    assert (shown["reference"], shown["status"], shown["version"]) == ("G-1", "confirmed", 1)
    assert (shown["representative"], shown["lump_sum_eur"]) == ("Jane Doe", 1100.0)
    assert [(h["who"], h["action"]) for h in shown["history"]] == [(ADMIN, "create")]
    assert as_json(stay, f"{SHOW} --json", user=OFFICER)["representative"] is None  # personal
    text = ok(xc(stay, SHOW))
    assert text.startswith("GTEX / G-1 (version 1)\n") and "History:\n" in text
    assert refused(xc(stay, "exchange show --partnership GTEX --reference G-2"), 1) == (
        "error: GTEX has no exchange with the reference 'G-2'."
    )


def test_exchange_complete_pay_cancel_with_versions(stay: str, engine: Engine) -> None:
    assert ok(xc(stay, f"exchange complete {KEY} --validated-on 2026-03-20", user=ANNA)) == (
        "Completed GTEX / G-1: now version 2.\n"
    )
    # A change against the version read before: refused, nothing written.
    assert refused(
        xc(stay, f"exchange pay {KEY} --amount 1100 --date 2026-04-01 --expect-version 1"), 1
    ).startswith("error: Exchange ")
    assert refused(xc(stay, f"exchange pay {KEY} --amount 1100.01 --date 2026-04-01"), 1) == (
        "error: paid_eur: A payment lies between EUR 0 and EUR 1,100.00"
    )
    assert ok(
        xc(stay, f"exchange pay {KEY} --amount 1,100 --date 2026-04-01 --expect-version 2")
    ) == ("Recorded EUR 1,100.00 paid on 2026-04-01 for GTEX / G-1: now version 3.\n")
    assert refused(xc(stay, f'exchange cancel {KEY} --reason " "'), 1) == (
        "error: cancellation_reason: A cancelled exchange needs a cancellation reason"
    )
    assert refused(xc(stay, f"exchange cancel {KEY} --reason No", user=OFFICER), 3).startswith(
        f"error: Permission denied: {OFFICER} may not change exchanges"
    )
    ok(xc(stay, f'exchange cancel {KEY} --reason "The host withdrew"'))
    shown = as_json(stay, f"{SHOW} --json")
    assert (shown["status"], shown["cancellation_reason"]) == ("cancelled", "The host withdrew")
    assert (shown["validated_on"], shown["paid_on"], shown["paid_eur"]) == (
        "2026-03-20", "2026-04-01", 1100.0,
    )  # fmt: skip
    # The officer's refused attempt is on record too, as on the page.
    actions = [h["action"] for h in shown["history"]]
    assert actions == ["create", "complete", "pay", "refused", "cancel"]
    assert shown["history"][2]["changes"]["paid_cents"] == [None, 110000]
