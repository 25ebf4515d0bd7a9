"""Import a file: upload a CSV or a workbook (XLSX, XLSM, XLS, XLSB, ODS), preview it, check it
(dry run), then import it whole; take an import back; download the templates. (Exports have a
page of their own, `7_Export.py`, open to every role.)"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from xchange import ui
from xchange.config import get_settings
from xchange.errors import XchangeError
from xchange.imports import importer
from xchange.imports.guarded import read_untrusted, start
from xchange.imports.kinds import SUFFIXES

user = ui.page_setup("pages/4_Import.py", "Import a file")
# The reading processes' forkserver preloads pandas and pyarrow while the user picks a file:
# the first file after a server start then takes 0.06 s to read instead of 1.0 to 1.5 s.
start()
ui.show_flash()
st.title("Import a file")
st.caption(
    "One row per exchange, in the template's columns: CSV, Excel (XLSX, XLSM, XLS, XLSB) or "
    "OpenDocument (ODS), as any spreadsheet program saves them in any European locale. A file with any error is refused whole, with every problem listed; rows "
    "already in the register (same partnership and reference) are updated, never duplicated."
)

ui.template_buttons()

limit_mb = get_settings().upload_max_bytes // (1024 * 1024)
upload = st.file_uploader(
    "File to import",
    type=list(SUFFIXES),
    help=f"CSV (comma or semicolon), XLSX, XLSM, XLS, XLSB or ODS, at most {ui.number(limit_mb)} "
    "MB. The first sheet with the template's columns is read.",
)
skip_invalid = st.checkbox(
    "Import the valid rows and list the others",
    help="By default one error refuses the whole file, so that nothing is half imported.",
)


def show_report(report: importer.ImportReport, source_name: str) -> None:
    """The summary, the problems row by row, and the report files to download."""
    (st.error if report.refused else st.success)(ui.escape(report.summary()))
    if report.issues:
        rows = pd.DataFrame(
            [
                {
                    "Row": issue.row,
                    "Column": report.headers.get(issue.field, issue.field),
                    "Value": issue.value,
                    "Problem": issue.message,
                    "Kind": "error" if issue.severity == "error" else "warning",
                }
                for issue in report.issues
            ]
        )
        st.dataframe(rows, hide_index=True, width="stretch")
        st.download_button(
            "Report (CSV)",
            importer.report_csv(report),
            file_name=f"{source_name}-report.csv",
            icon=":material/download:",
        )


if upload is not None:
    try:
        source = read_untrusted(upload.getvalue(), upload.name)  # in a process of its own
    except XchangeError as exc:  # FileRefused and friends: a sentence, not a trace
        st.error(ui.escape(exc), icon=":material/block:")
        st.stop()
    st.markdown(f"**{ui.escape(source.describe())}**")
    st.dataframe(source.preview(10), hide_index=False, width="stretch")
    check, run = st.columns(2)
    if check.button("Check the file (dry run)", icon=":material/fact_check:"):
        with st.spinner("Checking every row against the rules..."):
            report = ui.read_or_stop(
                importer.run_import,
                actor=user,
                source=source,
                dry_run=True,
                skip_invalid=skip_invalid,
            )
        show_report(report, upload.name)
        if report.issues and report.refused:
            st.download_button(
                "The file with its problems marked",
                importer.annotated_copy(source, report),
                file_name=importer.annotated_name(source),
                icon=":material/edit_note:",
            )
    if run.button("Import", type="primary", icon=":material/upload:"):
        with st.spinner("Importing in one transaction..."):
            written = ui.write(
                importer.run_import,
                actor=user,
                source=source,
                skip_invalid=skip_invalid,
                check_foreign_keys=False,  # see run_import
            )
        if written is not None:
            show_report(written, upload.name)

st.subheader("Take an import back")
batch = st.number_input(
    "Import number",
    min_value=1,
    step=1,
    value=None,
    help="The number given when the file was imported (also in its report).",
)
if batch is not None and st.button("Undo this import", icon=":material/undo:"):
    undone = ui.write(importer.undo_import, actor=user, batch_id=int(batch))
    if undone is not None:
        ui.flash(f"Import {int(batch)} was taken back.")
        st.rerun()
