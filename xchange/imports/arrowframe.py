"""A `ReadResult` as Arrow IPC bytes and back: how the reading process hands a file over.

    data = to_ipc(result)       # in the reading process
    result = from_ipc(data)     # in the server: the same frame, dtypes and Python values

Arrow rather than pickle: the server unpickles nothing a file could have shaped, and text
columns cross without a copy per cell. A workbook's columns hold typed cells of several kinds
at once (a date, a text, an empty string); such a column goes as a struct of one child per
kind plus a kind code per cell, and comes back as the same Python objects.
"""

from __future__ import annotations

import functools
import json
from dataclasses import asdict
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.api.types import pandas_dtype

from xchange.columns import Issue
from xchange.imports.reading import ReadResult

_ROW = "__row__"
# Kind code -> Python type. Order matters: bool before int (a bool is an int), datetime before
# date (a datetime is a date).
_KINDS: list[type] = [str, bool, int, float, datetime, date, time, timedelta]
_NONE = len(_KINDS)
_CODES: dict[type, int] = {kind: code for code, kind in enumerate(_KINDS)}
_CODES[type(None)] = _NONE
# pandas' name for a column of one kind throughout (`infer_dtype`, nothing missing).
_SINGLE = {"string": 0, "boolean": 1, "integer": 2, "floating": 3, "date": 5}


def to_ipc(result: ReadResult) -> bytes:
    """`result` as one Arrow IPC stream: the frame as columns, the rest as schema metadata."""
    sink = pa.BufferOutputStream()
    _write(result, sink)
    return bytes(sink.getvalue())


def write_ipc(result: ReadResult, path: str) -> None:
    """`to_ipc` into the file at `path`."""
    with pa.OSFile(path, "wb") as sink:
        _write(result, sink)


def _write(result: ReadResult, sink: pa.NativeFile) -> None:
    frame = result.frame
    arrays = [pa.array(np.asarray(frame.index, dtype=np.int64))]
    names = [_ROW]
    dtypes = []
    for name in frame.columns:
        column = frame[name]
        if column.dtype == object:
            array, dtype = _objects_to_arrow(column)
        else:
            array, dtype = pa.array(column), str(column.dtype)
        arrays.append(array)
        dtypes.append(dtype)
        names.append(str(name))
    meta = {
        "filename": result.filename,
        "kind": result.kind,
        "headers": result.headers,
        "positions": result.positions,
        "header_row": result.header_row,
        "width": result.width,
        "issues": [asdict(issue) for issue in result.issues],
        "encoding": result.encoding,
        "delimiter": result.delimiter,
        "sheet": result.sheet,
        "dtypes": dtypes,
    }
    table = pa.table(arrays, names=names).replace_schema_metadata({"result": json.dumps(meta)})
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)


def from_ipc(data: bytes | pa.NativeFile) -> ReadResult:
    """The `ReadResult` that `to_ipc` wrote (bytes, or a file such as `pa.memory_map(path)`,
    whose buffers the text columns then use as they are)."""
    table = pa.ipc.open_stream(data).read_all()
    meta = json.loads((table.schema.metadata or {})[b"result"])
    index = pd.Index(table.column(_ROW).to_numpy())
    columns: dict[str, Any] = {}
    for name, dtype in zip(table.column_names[1:], meta["dtypes"], strict=True):
        values = table.column(name).combine_chunks()
        if dtype.startswith("object:"):
            cells = _arrow_to_objects(values, dtype.removeprefix("object:"))
            columns[name] = pd.Series(cells, index=index, dtype=object)
        else:
            columns[name] = pd.Series(_pandas_array(values, dtype), index=index, copy=False)
    frame = pd.DataFrame(columns, index=index, copy=False)
    if isinstance(index, pd.Index) and len(index) and _is_range(index):
        frame.index = pd.RangeIndex(int(index[0]), int(index[-1]) + 1)
    result = ReadResult(
        meta["filename"],
        meta["kind"],
        frame,
        meta["headers"],
        meta["positions"],
        meta["header_row"],
        meta["width"],
        [Issue(**issue) for issue in meta["issues"]],
        meta["encoding"],
        meta["delimiter"],
        meta["sheet"],
    )
    return result


@functools.cache
def _dtype(name: str) -> Any:
    return pandas_dtype(name)  # parsing a dtype's name costs more than a column's rebuild


def _pandas_array(values: pa.Array, name: str) -> Any:
    """`values` as a pandas array of the dtype named `name`, without a copy where pandas
    can keep Arrow's buffers (its text columns are Arrow arrays already)."""
    dtype = _dtype(name)
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and hasattr(dtype, "__from_arrow__"):
        return dtype.__from_arrow__(values)
    return pd.Series(values.to_pandas(), dtype=dtype).array


def _is_range(index: pd.Index) -> bool:
    values = index.to_numpy()
    return bool((np.diff(values) == 1).all())


def _objects_to_arrow(column: pd.Series) -> tuple[pa.Array, str]:
    """An object column as Arrow, and its tag: `object:<kind>` for cells of one kind,
    `object:mixed` for a struct of a `kind` code per cell and one child per kind present."""
    values = column.to_numpy(dtype=object)
    single = _SINGLE.get(pd.api.types.infer_dtype(values, skipna=False))
    if single == _CODES[date] and set(map(type, values)) != {date}:
        single = None  # pandas says "date" for dates mixed with datetimes too
    if single is not None:  # one kind throughout, found in C: no look at each cell
        return pa.array(values), f"object:{single}"  # Arrow infers the type fastest
    codes = np.fromiter(map(_code, values), dtype=np.int8, count=len(values))
    fields, names = [pa.array(codes, pa.int8())], ["kind"]
    for code in np.unique(codes):
        if code == _NONE:
            continue
        child = np.full(len(values), None, dtype=object)
        mask = codes == code
        child[mask] = values[mask]
        fields.append(pa.array(child))
        names.append(str(code))
    return pa.StructArray.from_arrays(fields, names=names), "object:mixed"


def _code(value: Any) -> int:
    code = _CODES.get(type(value))
    if code is not None:
        return code
    for code, kind in enumerate(_KINDS):  # a subclass (pandas' Timestamp is a datetime)
        if isinstance(value, kind):
            return code
    raise TypeError(f"a cell of type {type(value).__name__} cannot be handed over")


def _arrow_to_objects(values: pa.Array, tag: str) -> np.ndarray:
    """The Python objects `_objects_to_arrow` encoded under `tag`, as an object array."""
    # (`to_pylist` gives Python's own str, float, date, datetime: faster than via pandas.)
    if tag != "mixed":
        return _array(values.to_pylist())
    assert isinstance(values, pa.StructArray)
    codes = values.field("kind").to_numpy()
    out = np.full(len(codes), None, dtype=object)
    for index in range(1, values.type.num_fields):
        code = int(values.type.field(index).name)
        mask = codes == code
        child = values.field(index).filter(pa.array(mask))
        out[mask] = _array(child.to_pylist())
    return out


def _array(cells: list[Any]) -> np.ndarray:
    out = np.empty(len(cells), dtype=object)
    out[:] = cells
    return out
