"""Organisations: finding them, spotting the same one logged under two names, merging the pair.

An organisation is recognised by its name's key and its country (`reference.name_key`), so
`ACME GmbH` and `Acme` end up as two rows although they are one legal entity. `find_duplicates`
suggests such pairs; `merge_organisations` moves every exchange of one onto the other and deletes
it. Exchanges keep each side's type, SME flag, community and country as logged, so a merge
changes no KPI (and the trigger-kept summaries, which do not hold organisations, stay right).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from xchange import reference
from xchange.accounts import access
from xchange.db.versioning import record_change
from xchange.errors import InvalidInput, NotFound, StaleRecord
from xchange.models import Exchange, Modality, Organisation, Partnership, Status, User
from xchange.programme.quarters import refuse_locked

# Legal forms across the eligible countries, as `loose_key` leaves them (dots and slashes
# removed, so S.A. reads sa and A/S reads as). Removed only at the end of a name, where legal
# forms stand, so that a word inside a name is never lost.
LEGAL_FORMS = frozenset(
    {
        # German-speaking
        "gmbh", "mbh", "ag", "kg", "ohg", "gbr", "ug", "ev", "eg", "gmbhco", "kgaa",
        # French, Belgian, Luxembourgish
        "sa", "sas", "sasu", "sarl", "eurl", "snc", "sci", "scop", "asbl", "aisbl", "gie",
        "sprl", "scrl", "srl", "bv", "bvba", "cvba", "vzw", "ivzw", "nv", "vof", "cv",
        # Italian, Spanish, Portuguese
        "spa", "sapa", "srls", "scarl", "scpa", "sl", "slu", "sll", "lda", "ltda", "sgps",
        # English-speaking
        "ltd", "limited", "plc", "llp", "llc", "inc", "corp", "cic", "clg",
        # Nordic and Baltic
        "oy", "oyj", "ab", "as", "asa", "aps", "ou", "uab", "sia", "ehf", "hf",
        # Central and Eastern Europe, the Balkans, Türkiye, Ukraine
        "kft", "zrt", "nyrt", "bt", "sro", "spol", "doo", "dd", "ad", "ead", "ood", "eood",
        "sp", "z", "oo", "zoo", "spzoo", "dooel", "shpk", "sha", "ik", "ike", "ae", "oe",
        "ee", "epe", "tov", "pp", "ojsc", "jsc", "pjsc", "ooo", "sc",
        # connectors left behind by "GmbH & Co. KG", "Smith and Company"
        "co", "and", "company",
    }
)  # fmt: skip
# Prefixes some registers put first (Romanian "S.C. ... S.R.L.").
LEADING_FORMS = frozenset({"sc", "the"})


@dataclass(frozen=True)
class OrganisationSummary:
    """An organisation and how often it takes part (exchanges of any status)."""

    id: int
    name: str
    country: str
    type: str
    is_sme: bool
    visits: int = 0
    hosts: int = 0
    # Physical, non-cancelled visits: at most one (an organisation visits only once).
    active_visits: int = 0

    @property
    def exchanges(self) -> int:
        return self.visits + self.hosts

    def label(self) -> str:
        """`Acme Cluster (DE, #12)`: what a person picks from a list."""
        return f"{self.name} ({self.country}, #{self.id})"


@dataclass(frozen=True)
class DuplicatePair:
    """Two organisations that are likely one: merge `merge` into `keep`."""

    keep: OrganisationSummary
    merge: OrganisationSummary
    reason: str


@dataclass(frozen=True)
class MergePreview:
    """What merging `merge` into `keep` would do, and why it cannot when `problems` is not empty.

    `notes` say what a person should know but does not block (different countries, a profile
    that differs).
    """

    keep: OrganisationSummary
    merge: OrganisationSummary
    as_visitor: int
    as_host: int
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def moves(self) -> int:
        """Exchanges that change organisation."""
        return self.as_visitor + self.as_host

    @property
    def ok(self) -> bool:
        return not self.problems

    def describe(self) -> str:
        """One sentence naming both organisations and what moves."""
        moved = "exchange moves" if self.moves == 1 else "exchanges move"
        return (
            f"{self.merge.label()} merges into {self.keep.label()}: {self.moves:,} {moved} "
            f"({self.as_visitor:,} as visitor, {self.as_host:,} as host), then "
            f"{self.merge.name} is deleted."
        )


def loose_key(name: str) -> str:
    """The name with case, accents, punctuation and trailing legal forms removed.

    `ACME GmbH`, `Acme G.m.b.H.` and `acme` all read `acme`; `Société Générale S.A.` reads
    `societe generale`; `Fundación Tecnalia R&D` reads `fundacion tecnalia r and d`. A name
    made only of a legal form keeps it, so no name reads as empty.
    """
    key = unicodedata.normalize("NFKD", reference.name_key(name))
    key = "".join(char for char in key if not unicodedata.combining(char))
    key = key.replace("&", " and ")
    key = re.sub(r"[.'’/]", "", key)  # S.A. -> sa, A/S -> as, O'Neill -> oneill
    words = re.sub(r"[\W_]+", " ", key).split()
    while len(words) > 1 and words[-1] in LEGAL_FORMS:
        words.pop()
    while len(words) > 1 and words[0] in LEADING_FORMS:
        words.pop(0)
    return " ".join(words)


def search_organisations(
    session: Session, text: str = "", *, limit: int = 50
) -> list[OrganisationSummary]:
    """Organisations whose name contains `text` (any case), by name; at most `limit`.

    `#12` or `12` finds the organisation with id 12 as well. An empty text lists the first ones.
    """
    typed = text.strip()
    query = select(Organisation)
    if typed:
        pattern = "%" + _escape_like(reference.name_key(typed)) + "%"
        condition: sa.ColumnElement[bool] = col(Organisation.name_key).like(pattern, escape="\\")
        number = typed.lstrip("#")
        if number.isdigit():
            condition = sa.or_(condition, col(Organisation.id) == int(number))
        query = query.where(condition)
    rows = session.exec(
        query.order_by(col(Organisation.name_key), col(Organisation.id)).limit(limit)
    )
    return summaries(session, rows.all())


def get_summary(session: Session, organisation_id: int) -> OrganisationSummary:
    """One organisation with its counts; NotFound otherwise."""
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise NotFound(f"There is no organisation with id {organisation_id}")
    return summaries(session, [org])[0]


def summaries(session: Session, orgs: Iterable[Organisation]) -> list[OrganisationSummary]:
    """The organisations with their counts of exchanges, in the order given."""
    orgs = list(orgs)
    ids = [org.id for org in orgs if org.id is not None]
    visits: dict[int, int] = {}
    hosts: dict[int, int] = {}
    active: dict[int, int] = {}
    for chunk in _chunks(ids):
        x = Exchange.__table__.c  # type: ignore[attr-defined]
        is_active = sa.and_(
            x.modality == Modality.PHYSICAL.value, x.status != Status.CANCELLED.value
        )
        for org_id, n, n_active in session.execute(
            sa.select(
                x.visitor_org_id,
                sa.func.count(),
                sa.func.sum(sa.case((is_active, 1), else_=0)),
            )
            .where(x.visitor_org_id.in_(chunk))
            .group_by(x.visitor_org_id)
        ).all():
            visits[int(org_id)] = int(n)
            active[int(org_id)] = int(n_active or 0)
        for org_id, n in session.execute(
            sa.select(x.host_org_id, sa.func.count())
            .where(x.host_org_id.in_(chunk))
            .group_by(x.host_org_id)
        ).all():
            hosts[int(org_id)] = int(n)
    return [
        OrganisationSummary(
            id=org.id,
            name=org.name,
            country=org.country,
            type=org.type,
            is_sme=org.is_sme,
            visits=visits.get(org.id, 0),
            hosts=hosts.get(org.id, 0),
            active_visits=active.get(org.id, 0),
        )
        for org in orgs
        if org.id is not None
    ]


def find_duplicates(session: Session) -> list[DuplicatePair]:
    """Pairs of organisations in one country whose names match once `loose_key` has removed
    case, accents, punctuation and legal forms (`ACME GmbH` and `Acme`).

    In each group the organisation with the most exchanges is the one to keep (the oldest on a
    tie), and every other one is paired with it. Sorted by country, then name. Reads every
    organisation's name once: about a second for a few hundred thousand.
    """
    groups: dict[tuple[str, str], list[Organisation]] = {}
    for org in session.exec(select(Organisation).order_by(col(Organisation.id))).all():
        groups.setdefault((org.country, loose_key(org.name)), []).append(org)
    alike = [members for members in groups.values() if len(members) > 1]
    if not alike:
        return []
    counted = {s.id: s for s in summaries(session, (o for members in alike for o in members))}
    pairs: list[DuplicatePair] = []
    for members in alike:
        ranked = sorted((counted[o.id] for o in members if o.id is not None), key=_keep_first)
        keep = ranked[0]
        for other in ranked[1:]:
            reason = (
                f"Both in {reference.country_name(keep.country)}; {keep.name!r} and "
                f"{other.name!r} read the same without case, accents, punctuation and legal form."
            )
            pairs.append(DuplicatePair(keep=keep, merge=other, reason=reason))
    return sorted(pairs, key=lambda p: (p.keep.country, p.keep.name.casefold(), p.merge.id))


def preview_merge(session: Session, *, keep_id: int, merge_id: int) -> MergePreview:
    """What `merge_organisations` would do, without writing; `problems` say why it cannot."""
    if keep_id == merge_id:
        raise InvalidInput("Pick two different organisations: one to keep, one to merge into it.")
    keep, merge = get_summary(session, keep_id), get_summary(session, merge_id)
    rows = _exchanges_of(session, (keep_id, merge_id))
    problems: list[str] = []
    # An organisation visits only once (physical, not cancelled): merged, both visits would be
    # one organisation's.
    active = [r for r in rows if r.visitor_org_id in (keep_id, merge_id) and r.active]
    if len(active) > 1:
        listed = "; ".join(
            f"{(keep if r.visitor_org_id == keep_id else merge).name} in {r.code} ({r.status})"
            for r in active
        )
        problems.append(
            f"Both organisations visit physically ({listed}): an organisation visits only once. "
            "Cancel one of these exchanges, or make it virtual, before merging."
        )
    between = [r for r in rows if {r.visitor_org_id, r.host_org_id} == {keep_id, merge_id}]
    for r in between:
        problems.append(
            f"Exchange {r.code} has one of them visiting the other: merged, the organisation "
            "would visit itself. Correct that exchange first."
        )
    notes: list[str] = []
    if keep.country != merge.country:
        notes.append(
            f"They are in different countries ({keep.country} and {merge.country}): the kept "
            f"organisation stays in {keep.country}; exchanges keep the country they were "
            "logged with."
        )
    if (keep.type, keep.is_sme) != (merge.type, merge.is_sme):
        notes.append(
            f"Their profiles differ: {keep.name} is kept as {_profile(keep)}, {merge.name} said "
            f"{_profile(merge)}. Exchanges keep the type and SME status they were logged with, "
            "so no KPI changes."
        )
    return MergePreview(
        keep=keep,
        merge=merge,
        as_visitor=sum(1 for r in rows if r.visitor_org_id == merge_id),
        as_host=sum(1 for r in rows if r.host_org_id == merge_id),
        problems=problems,
        notes=notes,
    )


def merge_organisations(
    *, session: Session, actor: User, keep_id: int, merge_id: int
) -> Organisation:
    """Move every exchange of organisation `merge_id` onto `keep_id`, then delete `merge_id`.

    Admins only. Both sides move (visits and hosted stays). Each moved exchange gets its next
    version and an audit event (action "merge", `visitor_org_id` / `host_org_id` old -> new);
    the kept organisation gets one for the merge (the merged one's profile and the number of
    exchanges moved) and the merged one a "delete". Refused with `QuarterLocked` when a moved
    exchange ends in an approved quarter, and with `InvalidInput`, before
    anything is written, when the merged organisation would then visit twice physically (not
    cancelled) or visit itself; the database's own one-visit index backs the first check
    against a writer that slips in meanwhile. Returns the kept organisation.
    """
    access.require_admin(
        session=session,
        actor=actor,
        action="merge_organisations",
        entity="organisation",
        entity_id=keep_id,
    )
    # Lock both rows (PostgreSQL; SQLite's write transaction holds the whole database): an
    # exchange written meanwhile with the merged organisation waits, then fails its foreign
    # key, instead of pointing at a row this deletes.
    locked = session.exec(
        select(Organisation).where(col(Organisation.id).in_([keep_id, merge_id])).with_for_update()
    ).all()
    found = {org.id: org for org in locked}
    for wanted in (keep_id, merge_id):
        if wanted not in found:
            raise NotFound(f"There is no organisation with id {wanted}")
    preview = preview_merge(session, keep_id=keep_id, merge_id=merge_id)
    if not preview.ok:
        raise InvalidInput(
            f"{preview.merge.label()} cannot be merged into {preview.keep.label()}: "
            + " ".join(preview.problems)
        )
    keep, merge = found[keep_id], found[merge_id]
    x = Exchange.__table__.c  # type: ignore[attr-defined]
    # Moving an approved quarter's exchanges would change what its report shows.
    refuse_locked(
        session,
        session.execute(
            sa.select(x.partnership_id, x.end_quarter)
            .where(sa.or_(x.visitor_org_id == merge_id, x.host_org_id == merge_id))
            .distinct()
        ).all(),
    )
    for row in _exchanges_of(session, (merge_id,)):
        moved = {
            side: keep_id
            for side in ("visitor_org_id", "host_org_id")
            if getattr(row, side) == merge_id
        }
        try:
            # updated_at / updated_by stay: they show the partnership's own last activity, and
            # this is an administrator's correction, which the audit trail records.
            done = session.execute(
                sa.update(Exchange)
                .where(x.id == row.id, x.version == row.version)
                .values(**moved, version=row.version + 1)
                .execution_options(synchronize_session=False)
            )
        except IntegrityError as exc:
            raise InvalidInput(
                f"{merge.name} cannot be merged into {keep.name}: the kept organisation would "
                "visit twice, and an organisation visits only once. Nothing was merged."
            ) from exc
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleRecord(
                f"Exchange {row.code} changed while the organisations were being merged; "
                "nothing was merged. Try again."
            )
        changes: dict[str, list[int]] = {side: [merge_id, keep_id] for side in moved}
        changes["version"] = [row.version, row.version + 1]
        record_change(session, actor, "exchange", row.id, "merge", changes)

    record_change(
        session,
        actor,
        "organisation",
        keep_id,
        "merge",
        {
            "merged_organisation": [_profile_json(merge), None],
            "exchanges_as_visitor": [0, preview.as_visitor],
            "exchanges_as_host": [0, preview.as_host],
        },
    )
    record_change(
        session,
        actor,
        "organisation",
        merge_id,
        "delete",
        {**{k: [v, None] for k, v in _profile_json(merge).items()}, "merged_into": [None, keep_id]},
    )
    session.delete(merge)
    session.flush()
    return keep


# --- internals -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    id: int
    version: int
    visitor_org_id: int
    host_org_id: int
    status: str
    modality: str
    code: str  # "GTEX/GTEX-0012": partnership and reference, as people name an exchange

    @property
    def active(self) -> bool:
        return self.modality == Modality.PHYSICAL.value and self.status != Status.CANCELLED.value


def _exchanges_of(session: Session, org_ids: tuple[int, ...]) -> list[_Row]:
    """Every exchange in which one of `org_ids` visits or hosts, by id."""
    x = Exchange.__table__.c  # type: ignore[attr-defined]
    p = Partnership.__table__.c  # type: ignore[attr-defined]
    query = (
        sa.select(
            x.id,
            x.version,
            x.visitor_org_id,
            x.host_org_id,
            x.status,
            x.modality,
            p.acronym,
            x.reference,
        )
        .join(Partnership.__table__, p.id == x.partnership_id)  # type: ignore[attr-defined]
        .where(sa.or_(x.visitor_org_id.in_(org_ids), x.host_org_id.in_(org_ids)))
        .order_by(x.id)
    )
    return [
        _Row(
            int(r.id),
            int(r.version),
            int(r.visitor_org_id),
            int(r.host_org_id),
            str(r.status),
            str(r.modality),
            f"{r.acronym}/{r.reference}",
        )
        for r in session.execute(query).all()
    ]


def _keep_first(summary: OrganisationSummary) -> tuple[int, int]:
    # The busiest is most likely the spelling people use; on a tie, the first one logged.
    return (-summary.exchanges, summary.id)


def _profile(summary: OrganisationSummary) -> str:
    label = reference.ORG_TYPE_LABELS.get(summary.type, summary.type)
    return f"{label}, {'SME' if summary.is_sme else 'not an SME'}"


def _profile_json(org: Organisation) -> dict[str, object]:
    return {
        "id": org.id,
        "name": org.name,
        "country": org.country,
        "type": org.type,
        "is_sme": org.is_sme,
    }


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _chunks(ids: list[int], size: int = 500) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
