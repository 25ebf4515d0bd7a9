"""Deterministic demo data: a seeded generator of organisations, people and exchanges that
feeds `xchange demo`, the benchmarks and the tests.

Its public names load on first use (`xchange.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from xchange.lazy import lazy_names

if TYPE_CHECKING:
    from xchange.demo.facts import (
        rule_context,
        stored_facts,
        typed_table,
        verify_facts,
        verify_keys,
    )
    from xchange.demo.generate import DemoData, DemoPartnership, demo_partnerships
    from xchange.demo.load import (
        DemoSummary,
        demo_frame,
        demo_passwords,
        exchange_constants,
        load_demo,
    )
    from xchange.demo.orgs import (
        Array,
        Organisations,
        country_index,
        fast_name_keys,
        hosts,
        only_where,
        person_names,
        pick_each,
        rebook,
        visitors,
    )
    from xchange.demo.words import CountryWords, PartnershipSpec

# Public name -> the submodule that defines it (read by `__getattr__` and by
# tests/test_architecture.py, which follows these names to their module).
_SUBMODULES = {
    "Array": "orgs",
    "country_index": "orgs",
    "CountryWords": "words",
    "demo_frame": "load",
    "demo_partnerships": "generate",
    "demo_passwords": "load",
    "DemoData": "generate",
    "DemoPartnership": "generate",
    "DemoSummary": "load",
    "exchange_constants": "load",
    "fast_name_keys": "orgs",
    "hosts": "orgs",
    "load_demo": "load",
    "only_where": "orgs",
    "Organisations": "orgs",
    "PartnershipSpec": "words",
    "person_names": "orgs",
    "pick_each": "orgs",
    "rebook": "orgs",
    "rule_context": "facts",
    "stored_facts": "facts",
    "typed_table": "facts",
    "verify_facts": "facts",
    "verify_keys": "facts",
    "visitors": "orgs",
}
__all__ = [
    "Array",
    "country_index",
    "CountryWords",
    "demo_frame",
    "demo_partnerships",
    "demo_passwords",
    "DemoData",
    "DemoPartnership",
    "DemoSummary",
    "exchange_constants",
    "fast_name_keys",
    "hosts",
    "load_demo",
    "only_where",
    "Organisations",
    "PartnershipSpec",
    "person_names",
    "pick_each",
    "rebook",
    "rule_context",
    "stored_facts",
    "typed_table",
    "verify_facts",
    "verify_keys",
    "visitors",
]

__getattr__, __dir__ = lazy_names(__name__, _SUBMODULES)
