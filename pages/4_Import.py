"""Import a file: upload a CSV or XLSX, preview it, check it (dry run), then import it whole;
take an import back; download the template and exports."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from xchange import ui
from xchange.config import get_settings
from xchange.errors import XchangeError
from xchange.exports import exchanges as export
from xchange.exports import templates
from xchange.imports import importer
from xchange.imports.guarded import read_untrusted, start

user = ui.page_setup("pages/4_Import.py", "Import a file")
# The reading processes' forkserver preloads pandas and pyarrow while the user picks a file:
# the first file after a server start then takes 0.06 s to read instead of 1.0 to 1.5 s.
start()
ui.show_flash()
st.title("Import a file")
st.caption(
    "One row per exchange, in the template's columns (CSV or XLSX, as Excel saves them in any "
    "European locale). A file with any error is refused whole, with every problem listed; rows "
    "already in the register (same partnership and reference) are updated, never duplicated."
)

with st.container(horizontal=True):
    st.download_button(
        "Template (XLSX, with drop-downs)",
        templates.template_xlsx(),
        file_name="clusterxchange-template.xlsx",
        icon=":material/table:",
    )
    st.download_button(
        "Template (CSV)",
        templates.template_csv(),
        file_name="clusterxchange-template.csv",
        icon=":material/description:",
    )

limit_mb = get_settings().upload_max_bytes // (1024 * 1024)
upload = st.file_uploader(
    "File to import",
    type=["csv", "xlsx"],
    help=f"CSV (comma or semicolon) or XLSX, at most {ui.number(limit_mb)} MB. The first sheet with the "
    "template's columns is read.",
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
                file_name=f"marked-{upload.name}",
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

st.subheader("Export")
with st.container(horizontal=True):
    since = st.date_input("Ending from", value=None, help="Filter on the end date of the stay.")
    until = st.date_input("Ending until", value=None)
    kind = st.segmented_control("Format", ["xlsx", "csv"], default="xlsx")
# Built on request only: an export of the whole register takes seconds, and the page reruns on
# every click.
if st.button("Prepare the export", icon=":material/database:"):
    with st.spinner("Writing the exchanges..."):
        st.session_state["import.export"] = (
            kind or "xlsx",
            ui.read_or_stop(
                export.export_xlsx if kind == "xlsx" else export.export_csv,
                actor=user,
                date_from=since,
                date_to=until,
            ),
        )
if "import.export" in st.session_state:
    prepared_kind, data = st.session_state["import.export"]
    st.download_button(
        f"Download the exchanges ({ui.escape(prepared_kind.upper())})",
        data,
        file_name=f"clusterxchange-{date.today().isoformat()}.{prepared_kind}",
        icon=":material/download:",
        help="The template's columns plus version: edit and import it back.",
    )
