"""Reading an untrusted file in a process of its own, with a memory and a time limit.

    source = read_untrusted(data, "exchanges.xlsx")   # a ReadResult, or FileRefused

Whatever a file does to a native reader (calamine aborting on a 512 GiB grid, a panic, a
runaway allocation), the user gets one sentence and the server and its other users carry on.
The reading process comes from a `forkserver` (forking the multi-threaded server could
deadlock on a lock some other thread held) that preloads `readchild`, which imports nothing
from the database layer. Its address space is capped above what it holds at start (see
`readchild.run`), its resident memory is watched from here, and it is killed after
`Limits.seconds`; at most two read at once. The file goes to it, and the result (Arrow IPC,
not a pickle) comes back, through a private temporary folder.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import signal
import tempfile
import threading
import time
from multiprocessing import context, popen_forkserver, spawn
from pathlib import Path
from typing import Any

import pyarrow as pa

from xchange.imports import readchild
from xchange.imports.arrowframe import from_ipc
from xchange.imports.limits import FileRefused, Limits, check_size
from xchange.imports.reading import ReadResult

READERS = 2  # reading processes at once
# Address space a reading process may add to what it holds at start: a legitimate 100,000-row
# workbook adds some 1.4 GB of it (thread arenas, mostly unused) at 550 MB resident.
HEADROOM = 3 * 1024**3
_POLL = 0.02  # seconds between two looks at the process's memory
_MB = 1024 * 1024

_readers = threading.BoundedSemaphore(READERS)
_launching = threading.Lock()
_context: Any = None


def read_untrusted(
    data: bytes, filename: str, *, max_bytes: int | None = None, limits: Limits | None = None
) -> ReadResult:
    """`filereader.read_file(data, filename)` in a reading process of its own; FileRefused
    (one sentence) for a file that is refused, or that the reader cannot finish within
    `limits` (memory, time) or dies on. `result.peak_bytes` is that process's peak memory."""
    limits = limits or Limits.default()
    if max_bytes is not None:
        limits = dataclasses.replace(limits, file_bytes=max_bytes)
    check_size(len(data), filename, limits)  # before copying it anywhere
    if not _readers.acquire(timeout=limits.seconds):
        raise FileRefused(
            f"{filename} was not read: the server is reading other files; try again in a minute"
        )
    try:
        with tempfile.TemporaryDirectory(prefix="xchange-read-") as folder:
            Path(folder, "upload").write_bytes(data)
            peak, answer = _run(folder, filename, limits)
            kind, body = answer[:1], answer[1:]
            if kind == readchild.READ:
                # Mapped, not read: the text columns keep the file's pages (the folder may go).
                with pa.memory_map(str(Path(folder, "result.arrow"))) as mapped:
                    result = from_ipc(mapped)
                result.peak_bytes = peak
                return result
    finally:
        _readers.release()
    if kind == readchild.REFUSED:
        raise FileRefused(body.decode())
    if body == b"memory":
        raise FileRefused(_too_big(filename, limits))
    raise FileRefused(f"{filename} could not be read ({body.decode(errors='replace')})")


def _run(folder: str, filename: str, limits: Limits) -> tuple[int, bytes]:
    """(peak resident bytes, answer) from one reading process of the upload in `folder`;
    the process is gone on return."""
    receiver, sender = reading_context().Pipe(duplex=False)
    process = ReadingProcess(
        target=readchild.run, args=(sender, folder, filename, limits, HEADROOM), daemon=True
    )
    try:
        with _launching:
            process.start()
        sender.close()
        deadline = time.monotonic() + limits.seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise FileRefused(
                    f"{filename} could not be read within {limits.seconds:g} seconds: split it "
                    "into smaller files, or save it as CSV"
                )
            if receiver.poll(min(_POLL, left)):
                try:
                    message = receiver.recv_bytes()
                except EOFError:  # it died before answering
                    process.join(1)
                    raise FileRefused(_died(filename, process.exitcode)) from None
                return int.from_bytes(message[:8], "little"), message[8:]
            resident = _resident(process.pid)
            if resident > limits.memory_bytes:
                raise FileRefused(_too_big(filename, limits))
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        receiver.close()
        sender.close()


def _too_big(filename: str, limits: Limits) -> str:
    return (
        f"{filename} needs more than {limits.memory_bytes // _MB:,} MB of memory to read: split "
        "it into smaller files, or save it as CSV"
    )


def _died(filename: str, exitcode: int | None) -> str:
    how = (
        f"signal {signal.Signals(-exitcode).name}"
        if exitcode is not None and exitcode < 0 and -exitcode in signal.valid_signals()
        else f"exit code {exitcode}"
    )
    return (
        f"{filename} could not be read: the reader stopped on it ({how}), as it does on a "
        "damaged or hostile file; save it again from Excel, or as CSV"
    )


def _resident(pid: int | None) -> int:
    """Resident bytes of process `pid` (Linux), 0 where unknown."""
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def start() -> None:
    """Start the forkserver now (its preloading takes a second or two) rather than on the
    first file."""
    from multiprocessing import forkserver

    reading_context()
    forkserver.ensure_running()


def reading_context() -> Any:
    """The forkserver context that reading processes start from, the reader preloaded."""
    global _context
    if _context is None:
        forkserver = multiprocessing.get_context("forkserver")
        forkserver.set_forkserver_preload(["xchange.imports.readchild", "xchange.imports.readwarm"])
        _context = forkserver
    return _context


class _Popen(popen_forkserver.Popen):
    """Starts a reading process without the parent's `__main__`.

    multiprocessing would run the parent's main script again in the child (`streamlit`'s or
    `xchange`'s entry point, a benchmark), importing the server or the database layer into
    every reader; the preparation data is sent without it. (`_launching` makes the swap safe
    between threads.)"""

    def _launch(self, process_obj: Any) -> None:
        prepare = spawn.get_preparation_data

        def without_main(name: str) -> dict[str, Any]:
            data = prepare(name)
            data.pop("init_main_from_path", None)
            data.pop("init_main_from_name", None)
            return data

        spawn.get_preparation_data = without_main
        try:
            super()._launch(process_obj)  # type: ignore[misc]
        finally:
            spawn.get_preparation_data = prepare


class ReadingProcess(context.ForkServerProcess):
    """A process started from `reading_context()` without the parent's `__main__` (`_Popen`)."""

    @staticmethod
    def _Popen(process_obj: Any) -> Any:  # noqa: N802 (multiprocessing's name)
        return _Popen(process_obj)
