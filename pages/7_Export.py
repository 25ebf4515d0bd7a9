"""Export exchanges: every role, within what it may read (coordinators their partnerships,
officers every partnership with a pseudonym for each representative), as XLSX or CSV in the
spelling of the spreadsheet program that opens it; and the blank import templates."""

from __future__ import annotations

from datetime import date

import streamlit as st

from xchange import ui
from xchange.accounts import access
from xchange.exports import exchanges as export

# Choice on the page -> (file suffix, CSV dialect); see xchange.exports.dialects.
FORMATS = {
    "XLSX workbook": ("xlsx", None),
    "CSV, semicolons and decimal commas (Excel in German, French, Italian...)": ("csv", "excel-eu"),
    "CSV, commas and decimal points (Excel in English, other programs)": ("csv", "excel"),
}

user = ui.page_setup("pages/7_Export.py", "Export")
st.title("Export")
st.caption(
    "The exchanges you may see, in the import's columns plus each record's version: edit the "
    "file and import it back, or open it in any spreadsheet program."
    + (
        ""
        if access.can_see_personal_data(user)
        else " Representatives appear as a pseudonym (person- and ten characters), never a name."
    )
)

choices = ui.cached_list_choices(user)
with st.container(horizontal=True):
    acronym = st.selectbox(
        "Partnership",
        options=list(choices.partnerships.values()),
        index=None,
        placeholder="All the partnerships you may see",
    )
    since = st.date_input("Ending from", value=None, help="Filter on the end date of the stay.")
    until = st.date_input("Ending until", value=None)
chosen = st.radio("Format", list(FORMATS), key="export.format")
suffix, dialect = FORMATS[chosen]

# Built on request only: an export of the whole register takes seconds, and the page reruns on
# every click.
if st.button("Prepare the export", icon=":material/database:", type="primary"):
    with st.spinner("Writing the exchanges..."):
        if suffix == "xlsx":
            data = ui.read_or_stop(
                export.export_xlsx,
                actor=user,
                partnership=acronym,
                date_from=since,
                date_to=until,
            )
        else:
            data = ui.read_or_stop(
                export.export_csv,
                actor=user,
                partnership=acronym,
                date_from=since,
                date_to=until,
                dialect=dialect,
            )
        st.session_state["export.file"] = (suffix, data)
if "export.file" in st.session_state:
    prepared, data = st.session_state["export.file"]
    st.download_button(
        f"Download the exchanges ({ui.escape(prepared.upper())})",
        data,
        file_name=f"clusterxchange-{date.today().isoformat()}.{prepared}",
        icon=":material/download:",
        help="The template's columns plus version: edit and import it back.",
    )

st.subheader("Blank templates")
ui.template_buttons()
