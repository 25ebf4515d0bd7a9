"""The demo's organisations and people: who visits, who hosts, and what they are called.

Part of the demo generator (`xchange.demo.generate` draws the exchanges and calls on this). Host
pools per partnership (its consortium, its members) and one shared pool from beyond every
community; one new visiting organisation per exchange, since an organisation visits only once;
names built from `demo_words`, unique per country as the register requires.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from xchange.demo import words
from xchange.demo.words import PartnershipSpec
from xchange.models import OrgType, SizeClass
from xchange.reference import DEFAULT_ELIGIBLE, ECOSYSTEMS

Array = npt.NDArray[Any]

PARTNER_VISITOR_SHARE = 0.03  # consortium members visit too, each once
REBOOKED_SHARE = 0.35  # cancelled stays whose visitor books again later

COUNTRY_CODES = np.array(DEFAULT_ELIGIBLE, dtype=object)
_WEIGHTS = np.array([words.COUNTRIES[c].weight for c in DEFAULT_ELIGIBLE], dtype=float)
COUNTRY_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()
ECOSYSTEM_CODES = np.array(list(ECOSYSTEMS), dtype=object)

VISITOR_OTHER_TYPES = np.array(
    [OrgType.CLUSTER.value, OrgType.BUSINESS_NETWORK.value, OrgType.SCALE_UP_SUPPORT.value],
    dtype=object,
)
VISITOR_OTHER_P = np.array([0.45, 0.2, 0.35])
HOST_TYPES = np.array([t.value for t in OrgType], dtype=object)
# cluster, business network, scale-up support, SME, large company, public authority, innovation
# agency, training provider, university, other
HOST_TYPE_P = np.array([0.14, 0.07, 0.22, 0.22, 0.1, 0.05, 0.04, 0.05, 0.1, 0.01])
# Types that are never SMEs; of the others (SME aside) a few small non-profits declare so.
NEVER_SME = (OrgType.LARGE_COMPANY.value, OrgType.PUBLIC_AUTHORITY.value, OrgType.UNIVERSITY.value)
DECLARED_SME_SHARE = 0.06


def only_where(mask: Array, values: Array) -> Array:
    """`values` (as objects) where `mask` holds, None elsewhere."""
    result: Array = values.astype(object)
    result[~mask] = None
    return result


def pick_each(rng: np.random.Generator, choices: list[tuple[str, ...]], p: Array) -> Array:
    """For each row, one of `choices[p[row]]`, uniformly."""
    width = max(len(c) for c in choices)
    table = np.array([list(c) + [c[0]] * (width - len(c)) for c in choices], dtype=object)
    sizes = np.array([len(c) for c in choices])
    picked: Array = table[p, (rng.random(len(p)) * sizes[p]).astype(np.int64)]
    return picked


class Organisations:
    """Every organisation that may appear, as parallel arrays; hosts first, then visitors.

    Host pools: each partnership's consortium (its cluster organisations, `partner`), its
    members (`member`), and a shared pool from beyond every community (`external`). Visitors
    are appended one per exchange by `add_visitors`.
    """

    def __init__(
        self, rng: np.random.Generator, specs: Sequence[PartnershipSpec], counts: Array
    ) -> None:
        self.rng = rng
        self.type = np.zeros(0, dtype=object)
        self.country = np.zeros(0, dtype=object)
        self.sector = np.zeros(0, dtype=object)
        self.consortium: list[Array] = []
        self.members: list[Array] = []
        for spec, count in zip(specs, counts, strict=True):
            countries = np.array(spec.countries, dtype=object)
            kinds = np.where(
                rng.random(len(countries)) < 0.8,
                OrgType.CLUSTER.value,
                OrgType.BUSINESS_NETWORK.value,
            ).astype(object)
            self.consortium.append(self._add(kinds, countries, self._sectors(spec, len(kinds))))
            size = max(15, -(-int(count) // 8))
            home = rng.random(size) < 0.85
            where = np.where(
                home, countries[rng.integers(0, len(countries), size)], self.draw_countries(size)
            )
            kinds = HOST_TYPES[rng.choice(len(HOST_TYPES), size, p=HOST_TYPE_P)]
            self.members.append(self._add(kinds, where, self._sectors(spec, size)))
        size = max(60, -(-int(counts.sum()) // 15))
        kinds = HOST_TYPES[rng.choice(len(HOST_TYPES), size, p=HOST_TYPE_P)]
        self.external = self._add(
            kinds,
            self.draw_countries(size),
            ECOSYSTEM_CODES[rng.integers(0, len(ECOSYSTEM_CODES), size)],
        )

    def draw_countries(self, size: int) -> Array:
        """`size` countries, weighted by how many organisations each country has."""
        return COUNTRY_CODES[self.rng.choice(len(COUNTRY_CODES), size, p=COUNTRY_WEIGHTS)]

    def _sectors(self, spec: PartnershipSpec, size: int) -> Array:
        focus = np.array(spec.ecosystems, dtype=object)
        return focus[self.rng.integers(0, len(focus), size)]

    def _add(self, kinds: Array, countries: Array, sectors: Array) -> Array:
        first = len(self.type)
        self.type = np.concatenate([self.type, kinds])
        self.country = np.concatenate([self.country, countries])
        self.sector = np.concatenate([self.sector, sectors])
        return np.arange(first, len(self.type))

    def add_visitors(self, kinds: Array, countries: Array, sectors: Array) -> Array:
        """New organisations, one per row; returns their indices."""
        return self._add(kinds, countries, sectors)

    def finish(self) -> None:
        """Draw SME flags, size classes, locations and name parts, once all are known."""
        m, rng = len(self.type), self.rng
        self.is_sme = (self.type == OrgType.SME.value) | (
            ~np.isin(self.type, NEVER_SME) & (rng.random(m) < DECLARED_SME_SHARE)
        )
        sizes = np.array([s.value for s in SizeClass], dtype=object)
        self.size_class = only_where(self.is_sme, sizes[rng.choice(3, m, p=[0.35, 0.4, 0.25])])
        # Non-SME-type organisations declaring SME status are the small ones.
        self.size_class[self.is_sme & (self.type != OrgType.SME.value)] = SizeClass.SMALL.value
        capital = [words.COUNTRIES[c] for c in COUNTRY_CODES]
        k = country_index(self.country)
        lat = np.array([c.lat for c in capital])[k]
        lon = np.array([c.lon for c in capital])[k]
        spread = 0.35 + 0.1 * np.array([c.weight for c in capital])[k]
        self.lat = lat + rng.normal(0, 1, m) * spread
        self.lon = lon + rng.normal(0, 1, m) * spread * 1.4
        self.pattern = rng.integers(0, 60, m)  # which name template (60: any count divides it)
        self.parts = rng.integers(0, 1 << 30, (m, 4))  # which words fill it

    def distance(self, a: Array, b: Array) -> Array:
        """Great-circle distance in km between organisations `a` and `b` (index arrays)."""
        lat1, lat2 = np.radians(self.lat[a]), np.radians(self.lat[b])
        dlat, dlon = lat2 - lat1, np.radians(self.lon[b] - self.lon[a])
        h = np.sin(dlat / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin(dlon / 2) ** 2
        return 2 * 6371.0 * np.arcsin(np.sqrt(np.clip(h, 0, 1)))

    def creation_order(self, visitor: Array, host: Array, created: Array) -> tuple[Array, Array]:
        """The organisations that appear, in order of their first exchange, and when that was.

        Pool hosts that no exchange drew are left out: an organisation exists because it took
        part.
        """
        first = np.full(len(self.type), np.iinfo(np.int64).max, dtype=np.int64)
        stamps = created.astype(np.int64)
        np.minimum.at(first, visitor, stamps)
        np.minimum.at(first, host, stamps)
        used = np.flatnonzero(first < np.iinfo(np.int64).max)
        order = used[np.lexsort((used, first[used]))]
        return order, first[order].astype("datetime64[s]")

    def names(self, order: Array) -> tuple[Array, Array]:
        """Legal names of the organisations `order`, unique per country, and their keys."""
        return _org_names(self, order)


def visitors(
    rng: np.random.Generator,
    p: Array,
    specs: Sequence[PartnershipSpec],
    orgs: Organisations,
    not_counted: Array,
    ecosystem: Array,
) -> tuple[Array, Array]:
    """The visitor's community and organisation of each exchange.

    A few consortium members visit (each once, never in a cancelled or virtual stay); every
    other exchange brings a new visiting organisation: a member of a partner cluster, or an
    external one, more often an SME in some partnerships than in others.
    """
    n = len(p)
    external = rng.random(n) < np.array([x.visitor_external for x in specs])[p]
    community = np.where(external, "external", "member").astype(object)
    visitor = np.full(n, -1, dtype=np.int64)
    for k in range(len(specs)):
        pool = orgs.consortium[k]
        eligible = np.flatnonzero((p == k) & ~not_counted)
        wanted = min(len(pool), round(PARTNER_VISITOR_SHARE * len(eligible)))
        chosen = np.sort(rng.choice(eligible, wanted, replace=False))
        visitor[chosen] = pool[:wanted]
        community[chosen] = "partner"
    new = np.flatnonzero(visitor < 0)
    sme = rng.random(len(new)) < np.array([x.visitor_sme for x in specs])[p[new]]
    other = VISITOR_OTHER_TYPES[rng.choice(3, len(new), p=VISITOR_OTHER_P)]
    kinds = np.where(sme, OrgType.SME.value, other).astype(object)
    home = pick_each(rng, [x.countries for x in specs], p[new])
    anywhere = orgs.draw_countries(len(new))
    at_home = (community[new] == "member") & (rng.random(len(new)) < 0.85)
    countries = np.where(at_home, home, anywhere).astype(object)
    # A visitor's sector follows the exchange's ecosystem (any one when that is blank).
    sectors = np.where(
        ecosystem[new] == None,  # noqa: E711 (elementwise over an object array)
        ECOSYSTEM_CODES[rng.integers(0, len(ECOSYSTEM_CODES), len(new))],
        ecosystem[new],
    ).astype(object)
    visitor[new] = orgs.add_visitors(kinds, countries, sectors)
    return community, visitor


def rebook(
    rng: np.random.Generator,
    p: Array,
    start: Array,
    cancelled: Array,
    virtual: Array,
    visitor: Array,
    community: Array,
    orgs: Organisations,
) -> None:
    """Some cancelled stays were booked again later by the same visitor: share its organisation.

    Pairs each cancelled physical stay with its partnership's next stay by start date when that
    one is physical and went ahead (so the organisation still visits once); the cancelled stay's
    own new organisation then goes unused. Updates `visitor` and `community` in place.
    """
    n = len(p)
    order = np.lexsort((np.arange(n), start, p))
    i, j = order[:-1], order[1:]
    consortium = np.zeros(len(orgs.type), dtype=bool)
    consortium[np.concatenate(orgs.consortium)] = True
    fresh = ~consortium[visitor]
    pair = (
        (p[i] == p[j])
        & cancelled[i]
        & fresh[i]
        & ~cancelled[j]
        & ~virtual[j]
        & fresh[j]
        & (rng.random(len(i)) < REBOOKED_SHARE)
    )
    visitor[i[pair]] = visitor[j[pair]]
    community[i[pair]] = community[j[pair]]


def hosts(
    rng: np.random.Generator,
    p: Array,
    specs: Sequence[PartnershipSpec],
    orgs: Organisations,
    visitor_country: Array,
) -> tuple[Array, Array]:
    """The host's community and organisation: never in the visitor's country.

    Hosts repeat: within each pool a few popular organisations host most stays.
    """
    n = len(p)
    draw = rng.random(n)
    ext_share = np.array([x.host_external for x in specs])[p]
    category = np.where(draw < ext_share, 2, np.where(rng.random(n) < 0.3, 0, 1))
    host = np.full(n, -1, dtype=np.int64)
    todo = np.ones(n, dtype=bool)
    for _round in range(40):
        rows = np.flatnonzero(todo)
        if not len(rows):
            break
        if _round == 30:  # the rare leftovers go to the shared pool, which has every country
            category[rows] = 2
        for k in range(len(specs)):
            for cat, pool in ((0, orgs.consortium[k]), (1, orgs.members[k])):
                mine = rows[(p[rows] == k) & (category[rows] == cat)]
                host[mine] = _popular(rng, pool, len(mine))
        mine = rows[category[rows] == 2]
        host[mine] = _popular(rng, orgs.external, len(mine))
        todo[rows] = orgs.country[host[rows]] == visitor_country[rows]
    # Whatever still clashes takes the first shared host from another country.
    for row in np.flatnonzero(todo):
        others = orgs.external[orgs.country[orgs.external] != visitor_country[row]]
        host[row], category[row] = others[0], 2
    community = np.array(["partner", "member", "external"], dtype=object)[category]
    return community, host


def _popular(rng: np.random.Generator, pool: Array, size: int) -> Array:
    """`size` draws from `pool`, the first organisations far more often (Zipf-like)."""
    if size == 0:
        return np.zeros(0, dtype=np.int64)
    weights = 1.0 / (np.arange(len(pool)) + 2.0) ** 0.9
    picked: Array = pool[rng.choice(len(pool), size, p=weights / weights.sum())]
    return picked


def _word_table(lists: list[tuple[str, ...]]) -> tuple[Array, Array]:
    """Ragged word lists as a padded 2-D table and each row's length, for vectorised picks."""
    width = max(len(words_) for words_ in lists)
    table = np.array([list(w) + [""] * (width - len(w)) for w in lists], dtype=object)
    return table, np.array([len(w) for w in lists], dtype=np.int64)


def _pick(lists: list[tuple[str, ...]], row: Array, draw: Array) -> Array:
    """`lists[row[i]][draw[i] % len(lists[row[i]])]` for every i."""
    table, lengths = _word_table(lists)
    picked: Array = table[row, draw % lengths[row]]
    return picked


def country_index(codes: Array) -> Array:
    """Position of each country code in COUNTRY_CODES."""
    return pd.Index(COUNTRY_CODES).get_indexer(pd.Index(codes))


def person_names(countries: Array, draws: Array) -> Array:
    """`First Last` from the country's name lists."""
    k = country_index(countries)
    info = [words.COUNTRIES[c] for c in COUNTRY_CODES]
    first = _pick([c.first_names for c in info], k, draws[:, 0])
    last = _pick([c.last_names for c in info], k, draws[:, 1])
    names: Array = first + " " + last
    return names


def _org_names(orgs: Organisations, order: Array) -> tuple[Array, Array]:
    """Names from the type's templates and the country's words, made unique per country;
    and their matching keys."""
    m = len(order)
    kinds, codes = orgs.type[order], orgs.country[order]
    k = country_index(codes)
    a, b, c, d = (orgs.parts[order, i] for i in range(4))
    info = [words.COUNTRIES[code] for code in COUNTRY_CODES]
    sector_codes = list(words.SECTORS)
    sector_row = pd.Index(sector_codes).get_indexer(pd.Index(orgs.sector[order]))
    fill = {
        "S": _pick([words.SECTORS[e] for e in sector_codes], sector_row, b),
        "R": _pick([x.regions for x in info], k, c),
        "C": _pick([x.cities for x in info], k, c),
        "L": _pick([x.last_names for x in info], k, d),
        "X": _stems(a),
        "P": np.array(words.PRODUCTS, dtype=object)[b % len(words.PRODUCTS)],
    }
    names = np.empty(m, dtype=object)
    pattern = orgs.pattern[order]
    for kind, templates in words.TEMPLATES.items():
        of_kind = kinds == kind
        for t, template in enumerate(templates):
            rows = np.flatnonzero(of_kind & (pattern % len(templates) == t))
            names[rows] = _fill(template, fill, rows)
    small = np.array([x.sme_form for x in info], dtype=object)[k]
    large = np.array([x.large_form for x in info], dtype=object)[k]
    company = np.isin(kinds, [OrgType.SME.value, OrgType.LARGE_COMPANY.value])
    forms = np.where(
        kinds == OrgType.SME.value, " " + small, np.where(company, " " + large, "")
    ).astype(object)
    return _unique(names, forms, codes, company)


def _unique(names: Array, forms: Array, codes: Array, company: Array) -> tuple[Array, Array]:
    """`names + forms` made unique per country, and each one's matching key.

    Later namesakes in a country are told apart by a qualifier: a company gets a product word
    before its legal form ("Belatex Robotics GmbH"), any other organisation a word like
    "Alliance"; past those, a number. Uniqueness is judged on the matching key, which the
    register's (name_key, country) constraint requires (see `fast_name_keys`).
    """
    full = names + forms
    keys = fast_name_keys(full).copy()  # pandas hands out a read-only view
    pairs = keys + "|" + codes
    groups = pd.factorize(pairs)[0]
    rank = pd.Series(groups).groupby(groups).cumcount().to_numpy()
    later = np.flatnonzero(rank > 0)
    taken = set(pairs[rank == 0])
    products = [w.strip() for w in words.PRODUCTS]
    for row in later.tolist():
        # The n-th namesake tries the n-th qualifier first, so most succeed at once.
        choices = products if company[row] else list(words.QUALIFIERS)
        attempt = int(rank[row]) - 1
        while True:
            extra = choices[attempt] if attempt < len(choices) else str(attempt - len(choices) + 2)
            candidate = f"{names[row]} {extra}{forms[row]}"
            key = candidate.casefold().rstrip(KEY_TRIM)
            if f"{key}|{codes[row]}" not in taken:
                break
            attempt += 1
        taken.add(f"{key}|{codes[row]}")
        full[row], keys[row] = candidate, key
    return full, keys


KEY_TRIM = ".,; "  # what reference.name_key trims from the end of a name


def fast_name_keys(names: Array) -> Array:
    """`reference.name_key` of names built from this module's words, over a whole array.

    The words are NFKC-normal and joined by single spaces, so the key reduces to casefolding
    and trimming trailing punctuation; `xchange.demo.load` checks a sample against `name_key`.
    """
    keys: Array = (
        pd.Series(names, dtype=object).str.casefold().str.rstrip(KEY_TRIM).to_numpy(dtype=object)
    )
    return keys


def _stems(draw: Array) -> Array:
    """Invented company stems: first + middle + last syllable ("Bel" + "a" + "tex")."""
    first = np.array(words.STEM_FIRST, dtype=object)
    middle = np.array(words.STEM_MIDDLE, dtype=object)
    last = np.array(words.STEM_LAST, dtype=object)
    stems: Array = (
        first[draw % len(first)]
        + middle[(draw // len(first)) % len(middle)]
        + last[(draw // (len(first) * len(middle))) % len(last)]
    )
    return stems


def _fill(template: str, fill: dict[str, Array], rows: Array) -> Array:
    """`template` ("{S} Cluster {R}") filled for `rows`, one vectorised concatenation per part."""
    result: Array = np.full(len(rows), "", dtype=object)
    for literal, name, _spec, _conversion in string.Formatter().parse(template):
        if literal:
            result = result + literal
        if name:
            result = result + fill[name][rows]
    return result
