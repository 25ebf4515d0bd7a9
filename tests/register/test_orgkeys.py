"""Organisation keys of whole columns: the one-name `reference.name_key`, row by row."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from xchange.reference import name_key
from xchange.register.orgkeys import distinct_name_keys, org_keys

NAMES = ["Acme  GmbH.", "acme gmbh", "Ärzte Verbund", None, "Beta Hub", "Ärzte Verbund", "   "]


def test_org_keys_join_name_key_and_country_and_keep_blanks() -> None:
    names = pd.Series(NAMES, index=range(10, 17), dtype="string")
    countries = pd.Series(
        ["DE", "DE", "AT", "FR", None, "AT", "IT"], index=names.index, dtype="string"
    )
    keys = org_keys(names, countries)
    assert keys.index.equals(names.index)
    assert keys.dtype == "string"
    assert keys.tolist() == [
        "acme gmbh|DE",
        "acme gmbh|DE",
        "ärzte verbund|AT",
        pd.NA,
        pd.NA,
        "ärzte verbund|AT",
        "|IT",
    ]


def test_org_keys_of_a_form_s_python_objects() -> None:
    names = pd.Series(["Acme  GmbH.", None], dtype=object)
    countries = pd.Series(["DE", "FR"], dtype=object)
    assert org_keys(names, countries).tolist() == ["acme gmbh|DE", pd.NA]


@given(st.lists(st.none() | st.text(max_size=8)), st.lists(st.none() | st.text(max_size=8)))
@settings(max_examples=200, deadline=None)
def test_distinct_name_keys_are_the_keys_of_every_name(visitors: list, hosts: list) -> None:
    columns = [pd.Series(names, dtype="string") for names in (visitors, hosts)]
    keys = distinct_name_keys(*columns).to_pylist()
    names = {name for name in visitors + hosts if name is not None}
    assert sorted(keys) == sorted(name_key(name) for name in names)
