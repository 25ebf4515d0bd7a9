"""Importing a spreadsheet of exchanges: validated whole, written in one transaction, undoable.

    source = read_untrusted(data, "exchanges.csv")         # xchange.imports.guarded; FileRefused
    with db.write_session(engine) as session:
        report = run_import(session=session, actor=user, source=source)
    report.rows_created, report.rows_updated, report.rows_unchanged, report.issues, report.batch_id
    report_csv(report)                  # the report as CSV bytes
    annotated_copy(source, report)      # the file again, each problem marked on its cell
    undo_import(session=session, actor=user, batch_id=7)   # xchange.imports.undo

The whole table goes through the register's own rules (`rules.validate`): every error of
DOMAIN.md, also across rows and against the database. Then the import's own checks: the actor
may write for each partnership; a row carrying a `version` (a file the tracker exported) whose
record changed since is stale; a pseudonym from an export is not a name. All or nothing: one
error and nothing is written, unless `skip_invalid` asks for the valid rows alone. A row that
would create or change an exchange in an approved quarter is an error (`imports.locked`); a
row left unchanged is not. Rows are
matched by (partnership, reference): a stored record is updated where the row differs from it
and left alone where it does not, so importing the same file twice changes nothing.

A column the file does not have reads as blank on every row, as an empty cell does: a file is
the source for the rows it holds.
"""

from __future__ import annotations

import csv
import gc
import io
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date

import pandas as pd
from sqlmodel import Session

from xchange.accounts import access
from xchange.db import engine as db
from xchange.errors import PermissionDenied
from xchange.imports.files import read_file
from xchange.imports.guarded import read_untrusted
from xchange.imports.locked import locked_rows
from xchange.imports.plan import ImportPlan, build_plan
from xchange.imports.reading import VERSION, FileRefused, ReadResult
from xchange.imports.report import ImportReport
from xchange.imports.undo import UndoRefused, UndoReport, undo_import
from xchange.imports.write import write_plan
from xchange.models import User
from xchange.register import rules
from xchange.register.parsing import Issue, field_label

__all__ = [
    "FileRefused",
    "ImportReport",
    "ReadResult",
    "UndoRefused",
    "UndoReport",
    "annotated_copy",
    "annotated_name",
    "plan_import",
    "read_file",
    "read_untrusted",
    "report_csv",
    "run_import",
    "undo_import",
]

# Columns of the CSV report, in order.
REPORT_COLUMNS = ("row", "column", "value", "severity", "message", "code")
# How many passes `--skip-invalid` makes: leaving rows out can expose a new conflict (a visit
# the file cancelled, now kept), found on the next pass over the remaining rows.
_MAX_PASSES = 4


def run_import(
    *,
    session: Session,
    actor: User,
    source: ReadResult,
    dry_run: bool = False,
    skip_invalid: bool = False,
    today: date | None = None,
) -> ImportReport:
    """Plan the import of `source` and, unless refused or a dry run, write it in `session`.

        Writes flush into the caller's transaction (`db.write_session` commits or rolls back all of
        it). Raises PermissionDenied when the actor may write for none of the file's partnerships.
    Imports (and undos) take turns (`db.queue_imports`): a second import of a file waits for the
    first to commit, then finds its rows unchanged. A key another writer took meanwhile raises
    `WriteConflict`, which `db.with_retry` (the command's and the page's write) answers by
    importing again.

        Open that session with `check_foreign_keys=False`, as the command and the page do: every id
        an import writes is one it read or reserved itself under the transaction's write lock, so
        SQLite's look-up per reference and row would only confirm it. (With the check on, the
        import is as correct, only slower; PostgreSQL always checks.)
    """
    with _collector_paused():
        return _run_import(
            session=session,
            actor=actor,
            source=source,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
            today=today,
        )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector: an import makes millions of short-lived tuples
    and lists, none in a cycle, and the collector's full passes over them cost tenths of a
    second while freeing nothing. Reference counting still frees everything as it goes."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _run_import(
    *,
    session: Session,
    actor: User,
    source: ReadResult,
    dry_run: bool,
    skip_invalid: bool,
    today: date | None,
) -> ImportReport:
    began = time.perf_counter()
    if not dry_run:  # planned and written in one turn: another import cannot plan the same
        db.queue_imports(session)
    plan = plan_import(
        session=session,
        actor=actor,
        source=source,
        skip_invalid=skip_invalid,
        today=today,
        record_refusals=not dry_run,
    )
    report = ImportReport(
        filename=source.filename,
        rows=source.rows,
        rows_created=len(plan.create),
        rows_updated=len(plan.update),
        rows_unchanged=len(plan.unchanged),
        rows_refused=len(plan.refused),
        issues=plan.issues,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        headers=source.headers,
        seconds=dict(plan.seconds),
    )
    if dry_run or report.refused:
        report.seconds["total"] = time.perf_counter() - began
        return report
    for partnership_id in sorted(plan.partnership_ids):
        access.require_write(
            session=session, actor=actor, partnership_id=partnership_id, action="import"
        )
    started = time.perf_counter()
    report.batch_id = write_plan(session=session, actor=actor, plan=plan, report=report)
    report.seconds["write"] = time.perf_counter() - started
    report.seconds["total"] = time.perf_counter() - began
    return report


def plan_import(
    *,
    session: Session,
    actor: User,
    source: ReadResult,
    skip_invalid: bool = False,
    today: date | None = None,
    record_refusals: bool = False,
) -> ImportPlan:
    """Validate `source` against the register and decide each row's fate; writes nothing
    (except, with `record_refusals`, the audit trail's record of a refused partnership)."""
    seconds: dict[str, float] = {}
    raw = source.frame.drop(columns=[VERSION], errors="ignore")

    # Messages name only what the actor may read: not another partnership's records.
    readable = access.partnership_ids_readable(session=session, actor=actor)

    def load_context() -> rules.RuleContext:
        clock = time.perf_counter()
        ctx = rules.load_context(session, raw, today, readable=readable)
        seconds["context"] = time.perf_counter() - clock
        return ctx

    clock = time.perf_counter()
    # The stored facts are read on a second thread while this one parses the cells: neither
    # needs the other, and both spend much of their time outside the interpreter (SQLite,
    # Arrow). Nothing else uses the session meanwhile.
    with ThreadPoolExecutor(max_workers=1) as helper:
        context = helper.submit(load_context)
        parsed = rules.parse(raw)
        ctx = context.result()
    validation = rules.check(parsed, ctx)
    seconds["validate"] = time.perf_counter() - clock  # the context's time included
    base = list(source.issues) + validation.issues
    base += _permission_issues(session, actor, validation.table, ctx, record_refusals)
    clock = time.perf_counter()
    plan = build_plan(session, source, validation.table, base, ctx)
    locked = locked_rows(session, plan)
    if locked:  # those rows are refused like any other error (all of the file, unless skipped)
        base += locked
        plan = build_plan(session, source, validation.table, base, ctx)
    if skip_invalid:
        extra = _settle(raw, ctx, plan)
        if extra:
            plan = build_plan(session, source, validation.table, base + extra, ctx)
    plan.seconds = {**seconds, "plan": time.perf_counter() - clock}
    plan.issues.sort(key=lambda i: (i.row if i.row is not None else -1, i.severity != "error"))
    return plan


def _settle(raw: pd.DataFrame, ctx: rules.RuleContext, plan: ImportPlan) -> list[Issue]:
    """Errors that appear once the refused rows are left out, found by validating the rows
    that remain again until none fails.

    Leaving a row out can expose a conflict its values hid: a row that cancelled a stored visit
    is refused, so that visit stands, and a new visit by the same organisation in the file
    becomes a second one.
    """
    seen = {(i.row, i.code, i.field) for i in plan.issues}
    keep = raw.index.difference(pd.Index(sorted(plan.refused)))
    extra: list[Issue] = []
    for _ in range(_MAX_PASSES):
        if not len(keep):
            break
        again = rules.validate(raw.loc[keep], ctx)
        fresh = [i for i in again.errors if (i.row, i.code, i.field) not in seen]
        if not fresh:
            break
        extra += fresh
        seen.update((i.row, i.code, i.field) for i in fresh)
        keep = keep.difference(pd.Index(sorted(again.rows_with_errors())))
    return extra


def _permission_issues(
    session: Session,
    actor: User,
    table: pd.DataFrame,
    ctx: rules.RuleContext,
    record: bool,
) -> list[Issue]:
    """An error on each row of a partnership the actor may not write for.

    An actor who may write for none of the file's partnerships (an officer, say) gets
    PermissionDenied for the whole file instead.
    """
    writable = access.partnership_ids_writable(session=session, actor=actor)
    if writable is None:
        return []
    ids = table["partnership_id"]
    touched = sorted({int(p) for p in ids.dropna()})
    refused = [p for p in touched if p not in writable]
    if touched and len(refused) == len(touched) and not writable:
        access.require_write(
            session=session, actor=actor, partnership_id=touched[0], action="import"
        )
    acronyms = {terms.id: terms.acronym for terms in ctx.partnerships.values()}
    issues = []
    for partnership_id in refused:
        reason = (
            f"{actor.email} may not write for partnership {acronyms[partnership_id]}: "
            "not one of their partnerships."
        )
        if record:  # the refusal is recorded in the audit trail, as any refused write is
            try:
                access.require_write(
                    session=session, actor=actor, partnership_id=partnership_id, action="import"
                )
            except PermissionDenied as exc:
                reason = str(exc)
        for row in ids.index[ids.eq(partnership_id).fillna(False)]:
            issues.append(
                Issue(
                    "not_permitted",
                    "error",
                    "partnership",
                    acronyms[partnership_id],
                    f"Row {row}: {reason}",
                    int(row),
                )
            )
    return issues


# --- the report ------------------------------------------------------------------------------


def report_csv(report: ImportReport) -> bytes:
    """The report as CSV (UTF-8 with BOM, so Excel shows accents): one line per issue."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(REPORT_COLUMNS)
    for issue in report.issues:
        writer.writerow(
            [
                "" if issue.row is None else issue.row,
                _protect(report.headers.get(issue.field, issue.field)),
                _protect(issue.value),
                issue.severity,
                _protect(issue.message),
                issue.code,
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def issue_line(issue: Issue, headers: dict[str, str] | None = None) -> str:
    """An issue as one printed line: `error  row 5  End date = '2025-13-01': ...`."""
    where = f"row {issue.row}" if issue.row is not None else "file"
    column = (headers or {}).get(issue.field, field_label(issue.field)) if issue.field else ""
    value = f" = {issue.value!r}" if issue.value else ""
    target = f"  {column}{value}" if column else ""
    return f"{issue.severity:<7}  {where:<9}{target}: {issue.message}"


def annotated_copy(source: ReadResult, report: ImportReport) -> bytes:
    """The file as read, each problem marked on its row (and cell): CSV for a CSV, XLSX for
    any workbook (`annotated_name` names it)."""
    from xchange.imports.annotate import annotated_csv, annotated_xlsx

    if source.kind != "csv":
        return annotated_xlsx(source, report.issues)
    return annotated_csv(source, report.issues)


def annotated_name(source: ReadResult) -> str:
    """The annotated copy's file name: `marked-x.csv`, and `.xlsx` for any workbook."""
    stem = source.filename.rsplit(".", 1)[0] if "." in source.filename else source.filename
    return f"marked-{stem}.{'csv' if source.kind == 'csv' else 'xlsx'}"


def _protect(text: str) -> str:
    from xchange.exports.exchanges import neutralise

    return str(neutralise(text))
