"""What an import did (or, for a dry run or a refused file, would do): the `ImportReport` the
importer fills and the write stamps with its batch."""

from __future__ import annotations

from dataclasses import dataclass, field

from xchange.columns import Issue


@dataclass
class ImportReport:
    """What an import did (or, for a dry run or a refused file, would do), row by row."""

    filename: str
    rows: int
    rows_created: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    rows_refused: int = 0
    issues: list[Issue] = field(default_factory=list)
    batch_id: int | None = None
    dry_run: bool = False
    skip_invalid: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def errors(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.severity == "warning"]

    @property
    def refused(self) -> bool:
        """True when errors stopped the whole file (nothing written, or would be)."""
        return bool(self.errors) and not self.skip_invalid

    @property
    def written(self) -> bool:
        return self.batch_id is not None

    def summary(self) -> str:
        """One sentence: what happened to how many rows."""
        counts = (
            f"{self.rows_created:,} created, {self.rows_updated:,} updated, "
            f"{self.rows_unchanged:,} unchanged"
        )
        problems = _count(len(self.errors), "error") + ", " + _count(len(self.warnings), "warning")
        if self.refused:
            bad = len({i.row for i in self.errors if i.row is not None})
            rows = f" in {_count(bad, 'row')}" if bad else ""
            return (
                f"Nothing {'would be ' if self.dry_run else ''}imported from {self.filename}: "
                f"{_count(len(self.errors), 'error')}{rows}. The other rows would give {counts}"
            )
        skipped = f", {self.rows_refused:,} refused" if self.rows_refused else ""
        if self.dry_run:
            return f"Dry run of {self.filename}, nothing written: would be {counts}{skipped}; {problems}"
        batch = f" (import {self.batch_id})" if self.batch_id is not None else ""
        return f"Imported {self.filename}{batch}: {counts}{skipped}; {problems}"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
