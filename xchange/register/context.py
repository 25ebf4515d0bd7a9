"""What the rules know beyond the table: the programme's settings and the stored facts a table
mentions (partnerships, records under its references, its organisations and their visits),
loaded once per validation by `load_context` with just the rows the table names."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, select

from xchange.db.lookup import keyed_rows
from xchange.models import EligibleCountry, HostCountryRate, Partnership
from xchange.programme.row import read_programme
from xchange.register.orgkeys import distinct_name_keys
from xchange.register.parsing import as_text, by_distinct


@dataclass(frozen=True)
class PartnershipTerms:
    """What the rules need to know of a partnership."""

    id: int
    acronym: str
    full_rate_cents: int
    host_rates: dict[str, int] = field(default_factory=dict)
    # The action period a stay must lie in (None: not checked, as for a context built by hand).
    action_start: date | None = None
    action_end: date | None = None


@dataclass
class RuleContext:
    """Settings and the database facts a table's rules need, loaded once per validation."""

    today: date
    partnerships: dict[str, PartnershipTerms]  # key: acronym, case-folded
    eligible: list[tuple[str, date | None, date | None]]
    virtual_window: tuple[date | None, date | None] = (None, None)
    visitor_types: frozenset[str] = frozenset()
    host_types: frozenset[str] = frozenset()
    # (partnership id, reference) -> id of the exchange already stored under that key.
    existing_ids: dict[tuple[int, str], int] = field(default_factory=dict)
    # Organisation key -> physical, non-cancelled visits already stored: (exchange id, how a
    # message names it: "exchange ACR/ref", or only "another partnership's exchange" for a reader
    # who may not see that partnership's records).
    visits: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    # Organisation key -> (type, is SME) as stored on the organisation.
    profiles: dict[str, tuple[str, bool]] = field(default_factory=dict)
    # Keys of stored organisations whose profile the reader may not see (one that takes part in
    # no exchange of the reader's partnerships): a message says the profile differs, not how.
    hidden_profiles: frozenset[str] = frozenset()
    # Organisation key -> the stored organisation's id.
    org_ids: dict[str, int] = field(default_factory=dict)
    # Days after a partnership's action end that a stay may still end.
    action_tolerance_days: int = 0


def casefolded(column: pd.Series) -> pd.Series:
    """A text column case-folded, one distinct value at a time (a few partnership acronyms)."""
    return by_distinct(column, lambda value: str(value).casefold(), "string")


def load_context(
    session: Session,
    table: pd.DataFrame,
    today: date | None = None,
    *,
    readable: set[int] | None = None,
) -> RuleContext:
    """The settings and stored facts that the rules need for the rows of `table` (raw or typed).

    Only the organisations and references that `table` mentions are read, so validating one form
    stays fast with a million stored exchanges.

    `readable`: the partnerships whose records the person who will read the messages may see
    (`access.partnership_ids_readable`; None, the default, for all). The others' records are
    then neither named nor matched: a row of theirs is not taken for an update of their stored
    record, a visit of theirs reads "another partnership's exchange", and the profile of an
    organisation that takes part in none of the readable partnerships' exchanges is not told.
    """
    programme = read_programme(session)
    partnerships = {
        p.acronym.casefold(): PartnershipTerms(
            p.id or 0,
            p.acronym,
            p.full_rate_cents,
            action_start=p.action_start,
            action_end=p.action_end,
        )
        for p in session.exec(select(Partnership)).all()
    }
    by_id = {terms.id: terms for terms in partnerships.values()}
    for rate in session.exec(select(HostCountryRate)).all():
        by_id[rate.partnership_id].host_rates[rate.country] = rate.rate_cents
    eligible = [(c.code, c.valid_from, c.valid_to) for c in session.exec(select(EligibleCountry))]
    ctx = RuleContext(
        today=today or date.today(),
        partnerships=partnerships,
        eligible=eligible,
        virtual_window=(programme.virtual_window_start, programme.virtual_window_end),
        visitor_types=frozenset(programme.visitor_types),
        host_types=frozenset(programme.host_types),
        action_tolerance_days=programme.action_period_tolerance_days,
    )
    # Only partnerships, references and organisation names are needed here: read them as
    # text, without parsing the whole table a second time.
    parsed = pd.DataFrame(index=table.index)
    for name in ("partnership", "reference", "visitor_organisation", "host_organisation"):
        parsed[name] = as_text(table[name]) if name in table.columns else pd.NA
    connection = session.connection()
    _load_existing_ids(connection, ctx, parsed, readable)
    _load_organisations(connection, ctx, parsed, readable)
    return ctx


def _load_existing_ids(
    connection: sa.Connection,
    ctx: RuleContext,
    parsed: pd.DataFrame,
    readable: set[int] | None,
) -> None:
    """The stored records under the (partnership, reference) keys the table names (of the
    readable partnerships)."""
    keyed = parsed[["partnership", "reference"]].dropna()
    codes, acronyms = pd.factorize(casefolded(keyed["partnership"]))
    references = keyed["reference"].to_numpy(dtype=object)
    for code, key in enumerate(np.asarray(acronyms, dtype=object).tolist()):
        terms = ctx.partnerships.get(key)
        if terms is None or (readable is not None and terms.id not in readable):
            continue
        rows = keyed_rows(
            connection,
            "SELECT reference, id FROM exchange",
            "reference",
            references[codes == code].tolist(),
            where=f"partnership_id = {int(terms.id)}",
        )
        ctx.existing_ids.update(((terms.id, ref), xid) for ref, xid in rows)


def _load_organisations(
    connection: sa.Connection,
    ctx: RuleContext,
    parsed: pd.DataFrame,
    readable: set[int] | None,
) -> None:
    """The stored organisations the table names (any country), and their physical visits."""
    names = parsed["visitor_organisation"], parsed["host_organisation"]
    keys = distinct_name_keys(*names).to_pylist()
    orgs = keyed_rows(
        connection,
        "SELECT id, name_key, country, type, is_sme FROM organisation",
        "name_key",
        keys,
    )
    by_id: dict[int, str] = {}
    for org_id, name_key, country, kind, sme in orgs:
        key = f"{name_key}|{country}"
        by_id[org_id] = key
        ctx.org_ids[key] = org_id
        ctx.profiles[key] = (kind, bool(sme))
    acronyms = {t.id: t.acronym for t in ctx.partnerships.values()}
    visits = keyed_rows(
        connection,
        "SELECT id, visitor_org_id, partnership_id, reference FROM exchange",
        "visitor_org_id",
        by_id,
        where="modality = 'physical' AND status != 'cancelled'",
    )
    for xid, org_id, partnership_id, ref in visits:
        if readable is None or partnership_id in readable:
            name = f"exchange {acronyms.get(partnership_id, '?')}/{ref}"
        else:
            name = "another partnership's exchange"
        ctx.visits.setdefault(by_id[org_id], []).append((xid, name))
    if readable is not None and by_id:
        seen = _organisations_in(connection, list(by_id), readable)
        ctx.hidden_profiles = frozenset(key for i, key in by_id.items() if i not in seen)


def _organisations_in(
    connection: sa.Connection, org_ids: list[int], partnership_ids: set[int]
) -> set[int]:
    """Which of `org_ids` take part, on either side, in an exchange of `partnership_ids`."""
    if not partnership_ids:
        return set()
    where = f"partnership_id IN ({', '.join(str(int(p)) for p in sorted(partnership_ids))})"
    seen: set[int] = set()
    for side in ("visitor_org_id", "host_org_id"):
        select = f"SELECT {side} FROM exchange"  # noqa: S608 (our own names)
        rows = keyed_rows(connection, select, side, org_ids, where=where)
        seen.update(int(row[0]) for row in rows)
    return seen


__all__ = ["PartnershipTerms", "RuleContext", "casefolded", "load_context"]
