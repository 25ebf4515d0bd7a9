"""The reading process's side of `guarded`: read one file, write the result as Arrow.

This module is what the forkserver preloads, so it (and everything it imports) must import
nothing from the database layer: a reading process holds no connection, and forking one from
the server must not copy any.
"""

from __future__ import annotations

import os
import resource
from multiprocessing.connection import Connection
from pathlib import Path

from xchange.columns import COLUMNS
from xchange.imports.arrowframe import to_ipc, write_ipc
from xchange.imports.files import read_file
from xchange.imports.limits import Limits
from xchange.imports.reading import FileRefused

# What the first byte of an answer says.
READ, REFUSED, FAILED = b"R", b"F", b"E"


def address_space() -> int:
    """Bytes of address space this process holds now (Linux), 0 where unknown."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def run(conn: Connection, folder: str, filename: str, limits: Limits, headroom: int) -> None:
    """Read `folder`/upload; write the result to `folder`/result.arrow and answer on `conn`
    with 8 bytes of peak resident memory, then READ, or REFUSED or FAILED and a sentence.
    (Files rather than the pipe: tens of megabytes cross a pipe 64 KB at a time.)

    The address space is capped at what this process already holds plus `headroom`, so that
    one absurd allocation (a dense grid of 512 GiB) fails at once rather than being paged in
    (a bare limit would not do: pandas and pyarrow alone hold some 1.45 GB of it). The
    parent watches resident memory and time."""
    held = address_space()
    if held:
        cap = held + headroom
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    try:
        data = Path(folder, "upload").read_bytes()
        write_ipc(read_file(data, filename, limits=limits), str(Path(folder, "result.arrow")))
        answer = READ
    except FileRefused as refused:
        answer = REFUSED + str(refused).encode()
    except MemoryError:
        answer = FAILED + b"memory"
    except BaseException as exc:  # a calamine panic is a BaseException; report, do not trace
        answer = FAILED + f"{type(exc).__name__}: {exc}"[:500].encode()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    conn.send_bytes(peak.to_bytes(8, "little") + answer)
    conn.close()


def warm_up() -> None:
    """Read a small CSV once, so that what a first reading initialises (pandas' and pyarrow's
    lazy imports, thread pools, compiled patterns) is done in the forkserver, before the fork,
    rather than in every reading process."""
    header = ",".join(COLUMNS)
    data = f"{header}\n{header.replace('_', '-')}\n".encode()
    to_ipc(read_file(data, "warm-up.csv", limits=Limits(file_bytes=len(data))))
