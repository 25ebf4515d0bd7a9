"""Reference lists: countries, ecosystems, organisation types, activities, and their spellings.

Every lookup here is a plain dict keyed by a normalised spelling, so the same tables serve one
form field (`parse_country("Greece")`) and a whole import column (`column.map(...)`).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import cache, lru_cache

import pyarrow as pa
import pyarrow.compute as pc
import pycountry

from xchange import dates
from xchange.models import Activity, Community, Modality, OrgType, SizeClass, Status
from xchange.textcolumns import by_distinct, double_space

EU27 = [
    "AT",
    "BE",
    "BG",
    "HR",
    "CY",
    "CZ",
    "DK",
    "EE",
    "FI",
    "FR",
    "DE",
    "GR",
    "HU",
    "IE",
    "IT",
    "LV",
    "LT",
    "LU",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SK",
    "SI",
    "ES",
    "SE",
]
# COSME participating countries (Art. 6 of the COSME regulation).
COSME_ASSOCIATED = ["AL", "AM", "BA", "IS", "XK", "MD", "ME", "MK", "RS", "TR", "UA"]
DEFAULT_ELIGIBLE = tuple(EU27 + COSME_ASSOCIATED)

# Names people write that pycountry lacks or spells differently. Codes are ISO 3166-1 alpha-2,
# with the EU's own codes (EL for Greece, UK for the United Kingdom) read as ISO.
COUNTRY_ALIASES: dict[str, str] = {
    "el": "GR",
    "uk": "GB",
    "xk": "XK",
    "kosovo": "XK",
    "turkey": "TR",
    "türkiye": "TR",
    "turkiye": "TR",
    "czech republic": "CZ",
    "moldova": "MD",
    "republic of moldova": "MD",
    "north macedonia": "MK",
    "macedonia": "MK",
    "great britain": "GB",
    "united kingdom": "GB",
    "the netherlands": "NL",
    "holland": "NL",
    "slovak republic": "SK",
    "bosnia and herzegovina": "BA",
    "bosnia": "BA",
}

# The 14 industrial ecosystems of the EU Industrial Strategy: short code -> name.
ECOSYSTEMS: dict[str, str] = {
    "AERO": "Aerospace & Defence",
    "AGRI": "Agri-food",
    "CONS": "Construction",
    "CCI": "Cultural & Creative Industries",
    "DIGI": "Digital",
    "ELEC": "Electronics",
    "EII": "Energy-Intensive Industries",
    "REN": "Renewable Energy",
    "HEAL": "Health",
    "MOB": "Mobility-Transport-Automotive",
    "PSE": "Proximity & Social Economy",
    "RETA": "Retail",
    "TEXT": "Textiles",
    "TOUR": "Tourism",
}

ORG_TYPE_LABELS: dict[str, str] = {
    OrgType.CLUSTER: "cluster organisation",
    OrgType.BUSINESS_NETWORK: "business network organisation",
    OrgType.SCALE_UP_SUPPORT: "scale-up support organisation",
    OrgType.SME: "SME",
    OrgType.LARGE_COMPANY: "large company",
    OrgType.PUBLIC_AUTHORITY: "public authority",
    OrgType.INNOVATION_AGENCY: "innovation agency",
    OrgType.TRAINING_PROVIDER: "training provider",
    OrgType.UNIVERSITY: "university",
    OrgType.OTHER: "other",
}

ACTIVITY_LABELS: dict[str, str] = {
    Activity.CAPACITY_BUILDING: "capacity building",
    Activity.KNOWLEDGE_SHARING: "knowledge sharing",
    Activity.PROJECT_DEVELOPMENT: "project development / innovation / R&D",
    Activity.MARKET_RESEARCH: "market research",
    Activity.NETWORKING: "networking and business opportunities",
}

_ACTIVITY_ALIASES = {
    "project development": Activity.PROJECT_DEVELOPMENT,
    "innovation": Activity.PROJECT_DEVELOPMENT,
    "r&d": Activity.PROJECT_DEVELOPMENT,
    "networking and business opportunities": Activity.NETWORKING,
    "business opportunities": Activity.NETWORKING,
}

TRUE_WORDS = frozenset({"yes", "y", "true", "1", "t", "ja", "oui", "si", "sí"})
FALSE_WORDS = frozenset({"no", "n", "false", "0", "f", "nein", "non"})


def enum_key(text: str) -> str:
    """The spelling-insensitive key of an enumerated value: case, spaces, hyphens, underscores."""
    return re.sub(r"[\s_\-]+", " ", text.strip().casefold())


@lru_cache(maxsize=1 << 18)  # an import asks for each name more than once (rules, plan)
def name_key(name: str) -> str:
    """The matching key of an organisation's legal name: `ACME  GmbH.` and `acme gmbh` match."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    # split() cuts at the characters a regular expression's \s matches, runs and ends alike.
    return " ".join(folded.split()).rstrip(".,; ")


def name_keys(names: pa.Array) -> pa.Array:
    """`name_key` of each name in an Arrow string array (null stays null), for a whole column.

    A name of printable ASCII without two spaces in a row is keyed by Arrow's kernels: NFKC
    leaves ASCII alone, casefold is lower case there, and its only space is " ", so lowering
    and trimming give name_key's answer. The other names go through `name_key` once per
    distinct name.
    """
    # utf8_lower, not ascii_lower: the latter (pyarrow 26) writes garbage for an array whose
    # offsets do not start at 0, as a CSV column sliced below its header has them.
    keys = pc.ascii_rtrim(pc.ascii_trim(pc.utf8_lower(names), " "), ".,; ")
    plain = pc.ascii_is_printable(names).fill_null(True).to_numpy(zero_copy_only=False)
    irregular = ~plain | double_space(names)
    if not irregular.any():
        return keys
    mask = pa.array(irregular, type=pa.bool_())
    distinct = by_distinct(names.filter(mask), name_key, keys.type)
    return pc.replace_with_mask(keys, mask, distinct)


def _enum_table(values: dict[str, str], extra: dict[str, str] | None = None) -> dict[str, str]:
    """Spelling key -> stored value, from both the stored values and their labels."""
    table: dict[str, str] = {}
    for value, label in values.items():
        table[enum_key(str(value))] = str(value)
        table[enum_key(label)] = str(value)
    for alias, value in (extra or {}).items():
        table[enum_key(alias)] = str(value)
    return table


@cache
def enum_tables() -> dict[str, dict[str, str]]:
    """For each enumerated column kind, the spelling key -> stored value table."""
    return {
        "status": _enum_table({s.value: s.value for s in Status}),
        "modality": _enum_table({m.value: m.value for m in Modality}),
        "community": _enum_table({c.value: c.value for c in Community}),
        "org_type": _enum_table({str(k): v for k, v in ORG_TYPE_LABELS.items()}),
        "size_class": _enum_table({s.value: s.value for s in SizeClass}),
        "activity": _enum_table(
            {str(k): v for k, v in ACTIVITY_LABELS.items()},
            {k: str(v) for k, v in _ACTIVITY_ALIASES.items()},
        ),
        "ecosystem": _enum_table(
            ECOSYSTEMS, {name.replace("&", "and"): code for code, name in ECOSYSTEMS.items()}
        ),
    }


def allowed_spellings(kind: str) -> list[str]:
    """The canonical values of an enumerated column kind, for messages and drop-downs."""
    if kind == "org_type":
        return list(ORG_TYPE_LABELS.values())
    if kind == "activity":
        return list(ACTIVITY_LABELS.values())
    if kind == "ecosystem":
        return list(ECOSYSTEMS.values())
    return sorted(set(enum_tables()[kind].values()))


@cache
def country_table() -> dict[str, str]:
    """Every spelling we read (code, alpha-3, English names, aliases), casefolded -> alpha-2."""
    table: dict[str, str] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        for attr in ("alpha_2", "alpha_3", "name", "official_name", "common_name"):
            value = getattr(country, attr, None)
            if value:
                table[value.casefold()] = code
    table.update(COUNTRY_ALIASES)
    return table


def parse_country(text: str) -> str | None:
    """ISO alpha-2 code for a code or English name (`Greece`, `EL`, `gr` -> `GR`), else None."""
    return country_table().get(re.sub(r"\s+", " ", text.strip()).casefold())


def country_name(code: str) -> str:
    """English short name for display: `GR` -> `Greece`, `XK` -> `Kosovo`."""
    if code == "XK":
        return "Kosovo"
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return str(getattr(country, "common_name", None) or country.name)


def parse_bool(text: str) -> bool | None:
    """yes/no, true/false, y/n, 1/0 in any case -> bool; anything else -> None."""
    key = text.strip().casefold()
    if key in TRUE_WORDS:
        return True
    if key in FALSE_WORDS:
        return False
    return None


def quarter_label(quarter: str) -> str:
    """Stored quarter `2026Q3` -> on-screen `2026-Q3`."""
    return quarter.replace("Q", "-Q")


def parse_quarter(text: str) -> tuple[date, date]:
    """`2026Q3` or `2026-Q3`, as a person types it -> (first day, last day) of that quarter;
    ValueError for anything else, or for a quarter outside the accepted dates (2000-Q1 .. 2100-Q4).
    """
    match = re.fullmatch(r"(\d{4})-?[Qq]([1-4])", text.strip())
    if not match:
        raise ValueError(f"quarter {text!r} is not like 2026Q3")
    first, last = dates.quarter_days(text)
    if not (dates.within(first) and dates.within(last)):
        raise ValueError(
            f"quarter {text.strip()!r} is outside the dates the tracker accepts: "
            f"{quarter_label(dates.quarter_at(dates.FIRST_QUARTER))} to "
            f"{quarter_label(dates.quarter_at(dates.LAST_QUARTER))}"
        )
    return first, last
