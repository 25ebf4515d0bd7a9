"""How an organisation is recognised across records: `name_key|country`, for whole columns.

`org_keys` gives each row's key as the register stores it; `distinct_name_keys` the name keys
to look the stored organisations up by, each distinct name keyed once.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from xchange import reference, textcolumns
from xchange.textcolumns import arrow_text


def org_keys(names: pd.Series, countries: pd.Series) -> pd.Series:
    """`name_key|country` for each row (blank where either is): how an organisation is
    recognised across records."""
    keys = reference.name_keys(textcolumns.cells(names))
    country = arrow_text(countries.astype("string"))
    if country is None:  # "string" is Arrow-backed unless pandas is told otherwise
        text = pd.Series(pd.array(keys, dtype="string"), index=names.index)
        return (text + "|" + countries.astype("string")).astype("string")
    separator = pa.scalar("|", pa.large_string())
    joined = pc.binary_join_element_wise(keys, country.cast(pa.large_string()), separator)
    return pd.Series(pd.array(joined, dtype="string"), index=names.index)


def distinct_name_keys(*columns: pd.Series) -> pa.Array:
    """`reference.name_key` of each distinct name in the text `columns` (blanks left out). A
    file names most organisations on several rows: finding a name's equals costs less than
    keying it again."""
    cells = pa.chunked_array([textcolumns.cells(column) for column in columns], pa.large_string())
    return reference.name_keys(pc.unique(cells).drop_null())


__all__ = ["distinct_name_keys", "org_keys"]
