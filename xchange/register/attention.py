"""A coordinator's to-do list: the exchanges of their partnerships that need something done.

Kinds, in the order a page lists them (KINDS holds their headings, ADVICE what to do):

- `dates_passed`: still `planned` although the stay has started (or ended): confirm or cancel it.
- `not_validated`: `confirmed` and ended: validate the closing report and mark it completed.
- `unpaid`: `completed` with a lump sum but no payment recorded.
- `rule_error` / `rule_warning`: the rules run again over the open (planned or confirmed)
  records, as a form would run them today; a warning is never blocking, so it stays until
  someone fixes the record.
- `outside_action`: a stay (of any status but cancelled) outside its partnership's action
  period, stored before the rule or left outside by a change of the action's dates.
- `missing_data`: no ecosystem, activity or (for a physical stay) distance, which the quarterly
  reports and the halving rule use.

Cancelled exchanges never need attention.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from xchange.accounts import access
from xchange.models import User
from xchange.presentation import euros, iso
from xchange.programme.period import stays_outside
from xchange.register import rules
from xchange.register.parsing import COLUMNS

KINDS: dict[str, str] = {
    "dates_passed": "Still planned, but the stay has started",
    "not_validated": "Ended, closing report not validated",
    "unpaid": "Completed, lump sum not paid",
    "rule_error": "Breaks a rule now",
    "rule_warning": "Warnings never resolved",
    "outside_action": "Outside the partnership's action",
    "missing_data": "Missing data that reports use",
}
ADVICE: dict[str, str] = {
    "dates_passed": "Confirm the stay (agreement signed), mark it completed, or cancel it "
    "with a reason.",
    "not_validated": "Once the closing report is validated, mark the exchange completed: only "
    "completed stays count towards the targets.",
    "unpaid": "Record the payment of the lump sum to the visiting organisation.",
    "rule_error": "These records no longer pass the scheme's rules (a setting may have "
    "changed since they were logged): edit them.",
    "rule_warning": "Warnings never block a record; check each one and edit the record "
    "if it is wrong.",
    "outside_action": "An exchange takes place within its partnership's action: correct the "
    "dates, or cancel the stay with a reason.",
    "missing_data": "Quarterly reports break figures down by ecosystem and activity, and the "
    "distance decides whether the lump sum is halved: fill them in when you know them.",
}
# Warnings that another kind already reports.
_COVERED = frozenset({"planned_dates_passed", "before_action_start", "after_action_end"})

_X = sa.table(
    "exchange",
    sa.column("start_date", sa.Date),
    sa.column("end_date", sa.Date),
    sa.column("paid_on", sa.Date),
    *(
        sa.column(name)
        for name in (
            "id",
            "partnership_id",
            "reference",
            "status",
            "modality",
            "visitor_org_id",
            "host_org_id",
            "visitor_type",
            "host_type",
            "visitor_country",
            "host_country",
            "visitor_is_sme",
            "host_is_sme",
            "visitor_community",
            "host_community",
            "ecosystem",
            "activity",
            "distance_km",
            "lump_sum_cents",
            "cancellation_reason",
            "notes",
        )
    ),
)
_P = sa.table("partnership", sa.column("id"), sa.column("acronym"))
_ORG = sa.table("organisation", sa.column("id"), sa.column("name"))


@dataclass(frozen=True)
class AttentionItem:
    """One thing to do about one exchange, in plain words."""

    kind: str  # a key of KINDS
    exchange_id: int
    reference: str
    partnership: str  # acronym
    message: str
    since: date | None = None  # when it became due (for the oldest first)

    @property
    def heading(self) -> str:
        """The kind in plain words."""
        return KINDS[self.kind]


def needs_attention(session: Session, *, actor: User, today: date) -> list[AttentionItem]:
    """Everything that needs doing about the exchanges `actor` may read, by kind (KINDS' order),
    oldest first within a kind. Coordinators get their own partnerships' exchanges only."""
    frame = _open_records(session, actor)
    if frame.empty:
        return []
    readable = access.partnership_ids_readable(session=session, actor=actor)
    items = [*_by_dates_and_status(frame, today), *_by_rules(session, frame, today, readable)]
    items += _outside_action(session, readable)
    items += _missing_data(frame)
    order = {kind: i for i, kind in enumerate(KINDS)}
    return sorted(
        items,
        key=lambda i: (order[i.kind], i.since or date.max, i.partnership, i.reference),
    )


def by_kind(items: Iterable[AttentionItem]) -> dict[str, list[AttentionItem]]:
    """The items grouped under each kind of KINDS, in its order (kinds with none included)."""
    grouped: dict[str, list[AttentionItem]] = {kind: [] for kind in KINDS}
    for item in items:
        grouped[item.kind].append(item)
    return grouped


def _open_records(session: Session, actor: User) -> pd.DataFrame:
    """The actor's non-cancelled exchanges, with the columns the rules read."""
    readable = access.partnership_ids_readable(session=session, actor=actor)
    if readable is not None and not readable:
        return pd.DataFrame()
    visitor, host = _ORG.alias("visitor"), _ORG.alias("host")
    query = (
        sa.select(
            _X,
            _P.c.acronym.label("partnership"),
            visitor.c.name.label("visitor_organisation"),
            host.c.name.label("host_organisation"),
        )
        .select_from(
            _X.join(_P, _P.c.id == _X.c.partnership_id)
            .join(visitor, visitor.c.id == _X.c.visitor_org_id)
            .join(host, host.c.id == _X.c.host_org_id)
        )
        .where(_X.c.status != "cancelled")
        .order_by(_X.c.id)
    )
    if readable is not None:
        query = query.where(_X.c.partnership_id.in_(sorted(readable)))
    return pd.DataFrame(session.execute(query).mappings().all())


def _item(kind: str, row: pd.Series, message: str, since: date | None) -> AttentionItem:
    return AttentionItem(
        kind, int(row["id"]), str(row["reference"]), str(row["partnership"]), message, since
    )


def _day(value: object) -> date | None:
    return value if isinstance(value, date) else None


def _stay(row: pd.Series) -> str:
    """`Acme (DE) → Beta (FR), 2026-03-10 to 2026-03-14`."""
    return (
        f"{row['visitor_organisation']} ({row['visitor_country']}) → "
        f"{row['host_organisation']} ({row['host_country']}), "
        f"{iso(row['start_date'])} to {iso(row['end_date'])}"
    )


def _by_dates_and_status(frame: pd.DataFrame, today: date) -> list[AttentionItem]:
    items: list[AttentionItem] = []
    for _, row in frame.iterrows():
        status, start, end = row["status"], row["start_date"], row["end_date"]
        if status == "planned" and start < today:
            happened = f"ended on {iso(end)}" if end < today else f"started on {iso(start)}"
            items.append(
                _item(
                    "dates_passed",
                    row,
                    f"Still planned, but the stay {happened} ({_stay(row)}): confirm it, "
                    "mark it completed or cancel it.",
                    start,
                )
            )
        elif status == "confirmed" and end < today:
            items.append(
                _item(
                    "not_validated",
                    row,
                    f"Ended on {iso(end)}, {(today - end).days} days ago ({_stay(row)}): "
                    "validate the closing report and mark it completed.",
                    end,
                )
            )
        elif status == "completed" and pd.isna(row["paid_on"]) and row["lump_sum_cents"] > 0:
            items.append(
                _item(
                    "unpaid",
                    row,
                    f"Completed, but the lump sum of {euros(row['lump_sum_cents'] / 100)} "
                    f"is not recorded as paid ({_stay(row)}).",
                    end,
                )
            )
    return items


def _by_rules(
    session: Session, frame: pd.DataFrame, today: date, readable: set[int] | None
) -> list[AttentionItem]:
    """The rules over the open records, as a form would run them on each record today, their
    messages naming only the records of `readable` partnerships (None: all)."""
    open_rows = frame[frame["status"].isin(["planned", "confirmed"])].reset_index(drop=True)
    if open_rows.empty:
        return []
    table = open_rows[[c for c in COLUMNS if c in open_rows.columns]].copy()
    table["lump_sum_eur"] = open_rows["lump_sum_cents"] / 100
    table["exchange_id"] = open_rows["id"]
    validation = rules.validate(table, rules.load_context(session, table, today, readable=readable))
    items: list[AttentionItem] = []
    for issue in validation.issues:
        if issue.row is None or issue.code in _COVERED:
            continue
        row = open_rows.iloc[issue.row]  # the table's labels are its positions
        kind = "rule_error" if issue.severity == "error" else "rule_warning"
        items.append(_item(kind, row, f"{issue.message}.", _day(row["start_date"])))
    return items


def _outside_action(session: Session, readable: set[int] | None) -> list[AttentionItem]:
    return [
        AttentionItem(
            "outside_action",
            stay.exchange_id,
            stay.reference,
            stay.acronym,
            f"The stay from {iso(stay.start_date)} to {iso(stay.end_date)} lies outside the "
            f"action, {iso(stay.action_start)} to {iso(stay.action_end)}.",
            stay.start_date,
        )
        for stay in stays_outside(session, partnership_ids=readable)
    ]


def _missing_data(frame: pd.DataFrame) -> list[AttentionItem]:
    items: list[AttentionItem] = []
    for _, row in frame.iterrows():
        missing = [
            name
            for name, absent in (
                ("ecosystem", pd.isna(row["ecosystem"])),
                ("activity", pd.isna(row["activity"])),
                ("distance", row["modality"] == "physical" and pd.isna(row["distance_km"])),
            )
            if absent
        ]
        if missing:
            listed = (
                ", ".join(missing[:-1]) + " and " + missing[-1] if len(missing) > 1 else missing[0]
            )
            items.append(
                _item(
                    "missing_data", row, f"No {listed} recorded ({_stay(row)}).", row["start_date"]
                )
            )
    return items
