"""The programme's settings by name, as a script reads and writes them: one row per setting.

`KEYS` names each field of `ProgrammeSettings` with the kind of value it holds; the kind reads a
typed value (`50 %`, `yes`, `2021-06-30`, `none`) and writes it back as text and as JSON. The
ranges are not here: a changed setting goes through `settings.check_settings`, as the
Administration page's form does, so a value out of range is refused with the page's message.
One more programme field is one more row (a test checks that every field has one).

Shares are fractions in JSON (0.5) and percentages in text (`50` or `50 %`), as on the page.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from xchange import reference
from xchange.errors import InvalidInput
from xchange.models import BeyondReading
from xchange.presentation import percent
from xchange.programme.settings import Eligibility, ProgrammeSettings

_YES = {"yes", "true", "y", "1", "on"}
_NO = {"no", "false", "n", "0", "off"}
_NONE = {"", "none", "-"}


@dataclass(frozen=True)
class Kind:
    """How one kind of setting reads from text and JSON, and how it is shown."""

    name: str  # as `settings show` and docs/cli.md name it
    parse: Callable[[str], Any]  # text typed on the command line -> the value
    show: Callable[[Any], str] = str
    to_json: Callable[[Any], Any] = lambda value: value
    from_json: Callable[[Any], Any] = lambda value: value


def _integer(text: str) -> int:
    try:
        return int(text.strip().replace(",", "").replace("_", ""))
    except ValueError:
        raise InvalidInput(f"{text!r} is not a whole number.") from None


def _fraction(text: str) -> float:
    """`50`, `50 %` or `50.5%` -> 0.5 / 0.505 (a percentage, as the page takes it)."""
    typed = text.strip().removesuffix("%").strip()
    try:
        value = float(typed)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a percentage like 50 or 50 %.") from None
    if not math.isfinite(value):
        raise InvalidInput(f"{text!r} is not a percentage like 50 or 50 %.")
    return round(value / 100, 6)


def _flag(text: str) -> bool:
    typed = text.strip().lower()
    if typed in _YES:
        return True
    if typed in _NO:
        return False
    raise InvalidInput(f"{text!r} is not yes or no.")


def _day_or_none(text: str) -> date | None:
    typed = text.strip()
    if typed.lower() in _NONE:
        return None
    try:
        return date.fromisoformat(typed)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date like 2026-03-14 (or none).") from None


def _day_from_json(value: Any) -> date | None:
    return None if value is None else _day_or_none(str(value))


def _choice(text: str) -> str:
    return text.strip().lower()  # `check_settings` names the allowed ones


def _types(text: str) -> tuple[str, ...]:
    """`cluster organisation, SME` -> the two, as typed (`check_settings` reads the labels)."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


TEXT = Kind("text", str.strip)
COUNT = Kind("whole number", _integer, show=lambda v: f"{v:,}", from_json=int)
SHARE = Kind("percentage", _fraction, show=percent, from_json=float)
# A margin in percentage points: `5` is 0.05, shown as 5.0 points.
POINTS = Kind(
    "percentage points", _fraction, show=lambda v: f"{v * 100:.1f} points", from_json=float
)
FLAG = Kind("yes or no", _flag, show=lambda v: "yes" if v else "no", from_json=bool)
DAY = Kind(
    "date or none",
    _day_or_none,
    show=lambda v: "none" if v is None else v.isoformat(),
    to_json=lambda v: None if v is None else v.isoformat(),
    from_json=_day_from_json,
)
CHOICE = Kind("one of " + ", ".join(r.value for r in BeyondReading), _choice)
TYPES = Kind(
    "organisation types, comma-separated",
    _types,
    show=lambda v: ", ".join(reference.ORG_TYPE_LABELS.get(t, t) for t in v),
    to_json=list,
    from_json=lambda v: tuple(str(t) for t in v),
)


@dataclass(frozen=True)
class Key:
    """One setting: its field in `ProgrammeSettings`, its kind, what it means."""

    field: str
    kind: Kind
    meaning: str

    @property
    def name(self) -> str:
        """The name typed on the command line: `sme-share-target`."""
        return self.field.replace("_", "-")


KEYS: tuple[Key, ...] = (
    Key("name", TEXT, "the programme's name, as reports title it"),
    Key("target_exchanges", COUNT, "counted exchanges over all partnerships"),
    Key("sme_share_target", SHARE, "share of counted exchanges involving an SME"),
    Key("beyond_share_target", SHARE, "share of counted exchanges beyond the community"),
    Key("beyond_reading", CHOICE, "what 'beyond the partnership community' means"),
    Key("count_virtual", FLAG, "whether completed virtual stays count in the KPIs"),
    Key("virtual_window_start", DAY, "first day virtual stays are accepted without a warning"),
    Key("virtual_window_end", DAY, "last day virtual stays are accepted without a warning"),
    Key("visitor_types", TYPES, "organisation types that may visit"),
    Key("host_types", TYPES, "organisation types that may host"),
    Key("at_risk_ratio", SHARE, "a count projected to reach this share of its target is at risk"),
    Key("at_risk_share_margin", POINTS, "a share this close below its floor is at risk"),
    Key("retention_months", COUNT, "months after an action ends that names are kept"),
    Key(
        "action_period_tolerance_days",
        COUNT,
        "days after a partnership's action end that a stay may still end",
    ),
)
BY_NAME: dict[str, Key] = {key.name: key for key in KEYS}


def key_named(typed: str) -> Key:
    """The key typed as `sme-share-target` or `sme_share_target`, any case; or `InvalidInput`."""
    found = BY_NAME.get(typed.strip().lower().replace("_", "-"))
    if found is None:
        raise InvalidInput(
            f"Unknown setting {typed!r}: one of {', '.join(BY_NAME)} "
            "(eligible countries: `xchange settings eligible-country`)."
        )
    return found


def with_values(current: ProgrammeSettings, typed: Mapping[str, str]) -> ProgrammeSettings:
    """`current` with each named setting read from its text (not yet checked: `check_settings`)."""
    values = {
        key_named(name).field: key_named(name).kind.parse(text) for name, text in typed.items()
    }
    return dataclasses.replace(current, **values)


def settings_json(current: ProgrammeSettings) -> dict[str, Any]:
    """Every setting by field name, in JSON form (the `settings` object of `settings show --json`)."""
    return {key.field: key.kind.to_json(getattr(current, key.field)) for key in KEYS}


def settings_from_json(current: ProgrammeSettings, values: Mapping[str, Any]) -> ProgrammeSettings:
    """`current` with the settings given in JSON form; an unknown name is refused, a missing one
    keeps its value."""
    fields = {key.field: key for key in KEYS}
    unknown = [name for name in values if name not in fields]
    if unknown:
        raise InvalidInput(
            f"Unknown setting {unknown[0]!r} in the file: one of {', '.join(fields)}."
        )
    try:
        read = {name: fields[name].kind.from_json(value) for name, value in values.items()}
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"A setting in the file cannot be read: {exc}") from None
    return dataclasses.replace(current, **read)


def eligibility_json(countries: list[Eligibility]) -> list[dict[str, str | None]]:
    """`[{"code": "GB", "from": null, "to": "2020-12-31"}, ...]`."""
    return [
        {
            "code": e.code,
            "from": None if e.valid_from is None else e.valid_from.isoformat(),
            "to": None if e.valid_to is None else e.valid_to.isoformat(),
        }
        for e in countries
    ]


def eligibility_from_json(rows: Any) -> list[Eligibility]:
    """The list `eligibility_json` writes (checked later by `check_eligibility`)."""
    if not isinstance(rows, list):
        raise InvalidInput("`eligible_countries` in the file must be a list.")
    read: list[Eligibility] = []
    for row in rows:
        if not isinstance(row, dict) or not isinstance(row.get("code"), str):
            raise InvalidInput(
                f'Each eligible country needs a code, like {{"code": "FR"}}: not {row!r}.'
            )
        read.append(
            Eligibility(row["code"], _day_from_json(row.get("from")), _day_from_json(row.get("to")))
        )
    return read


def period_added(
    countries: list[Eligibility], typed: str, valid_from: date | None, valid_to: date | None
) -> list[Eligibility]:
    """`countries` with one more period for the country `typed` (code or name); an overlap with
    one of its periods is refused by `check_eligibility`."""
    return [*countries, Eligibility(_code(typed), valid_from, valid_to)]


def period_ended(countries: list[Eligibility], typed: str, last_day: date) -> list[Eligibility]:
    """`countries` with the period of `typed` that holds `last_day` ending on it."""
    code = _code(typed)
    name = reference.country_name(code)
    periods = [e for e in countries if e.code == code]
    if not periods:
        raise InvalidInput(f"{name} ({code}) is not an eligible country: there is nothing to end.")
    for period in periods:
        started = period.valid_from is None or period.valid_from <= last_day
        if started and (period.valid_to is None or last_day <= period.valid_to):
            ended = Eligibility(code, period.valid_from, last_day)
            return [ended if e is period else e for e in countries]
    raise InvalidInput(
        f"{name} ({code}) is not eligible on {last_day.isoformat()} "
        f"({'; '.join(p.describe() for p in periods)}): there is nothing to end."
    )


def _code(typed: str) -> str:
    code = reference.parse_country(typed.strip())
    if code is None:
        raise InvalidInput(f"{typed!r} is not a country code or name (FR, Greece, EL...).")
    return code
