"""`xchange import`: import exchanges from a file, or undo an import."""

from __future__ import annotations

import click

from xchange.cli.context import Context, fail, friendly_errors, pass_context, requires
from xchange.cli.rules import READER
from xchange.db import engine as db


@click.command("import")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the file and report; write nothing")
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows, list the others")
@click.option("--undo", "undo_batch", type=int, metavar="BATCH", help="Take back import BATCH")
@click.option("--report", "report_path", metavar="FILE", help="Also write the report as CSV")
@click.option(
    "--annotated", "annotated_path", metavar="FILE", help="Also write the file with its problems"
)
@pass_context
@friendly_errors
@requires(READER, "import")
def import_file(
    ctx: Context,
    file: str | None,
    dry_run: bool,
    skip_invalid: bool,
    undo_batch: int | None,
    report_path: str | None,
    annotated_path: str | None,
) -> None:
    """Import exchanges from CSV or a workbook: all or nothing, re-import updates, an import undoes.

    FILE may be CSV (comma or semicolon), XLSX, XLSM, XLS, XLSB or ODS, told apart by its
    content; each is read in a process of its own, within limits. One error refuses the whole file (exit code 1) with every problem listed, unless
    --skip-invalid asks for the valid rows alone. Rows match stored exchanges by partnership
    and reference; only what changed is written.

    \b
    Examples:
        xchange import exchanges.xlsx --dry-run
        xchange --user anna@cluster.eu import exchanges.csv --skip-invalid --report report.csv
        xchange import --undo 7
    """
    from pathlib import Path

    from xchange.imports import importer

    if undo_batch is not None:
        if file is not None:
            raise click.UsageError("give a FILE to import, or --undo BATCH, not both")
        undone = ctx.write(
            lambda session, actor: importer.undo_import(
                session=session, actor=actor, batch_id=undo_batch
            )
        )
        click.echo(undone.summary())
        return
    if file is None:
        raise click.UsageError("give a FILE to import, or --undo BATCH")
    path = Path(file)
    source = importer.read_untrusted(path.read_bytes(), path.name)  # as the page reads it
    click.echo(f"Read {path.name}: {source.describe()}")
    if dry_run:
        with db.read_session(ctx.engine) as session:
            report = importer.run_import(
                session=session,
                actor=ctx.actor(session),
                source=source,
                dry_run=True,
                skip_invalid=skip_invalid,
            )
    else:
        report = ctx.write(
            lambda session, actor: importer.run_import(
                session=session, actor=actor, source=source, skip_invalid=skip_invalid
            ),
            check_foreign_keys=False,  # see run_import
        )
    for issue in report.issues:
        click.echo(importer.issue_line(issue, report.headers))
    if report_path:
        Path(report_path).write_bytes(importer.report_csv(report))
    if annotated_path:
        # A workbook's marked copy is XLSX whatever it was (`importer.annotated_name`).
        Path(annotated_path).write_bytes(importer.annotated_copy(source, report))
    if report.refused:
        fail(f"{report.summary()} (--skip-invalid imports them alone)", 1)
    click.echo(report.summary())
