"""The blank import templates as download buttons: the Import and Export pages offer the same
three, from one place."""

from __future__ import annotations

import streamlit as st

from xchange.exports import templates


def template_buttons() -> None:
    """XLSX with drop-downs, CSV with semicolons (European Excel), CSV with commas."""
    with st.container(horizontal=True):
        st.download_button(
            "Template (XLSX, with drop-downs)",
            templates.template_xlsx(),
            file_name="clusterxchange-template.xlsx",
            icon=":material/table:",
        )
        st.download_button(
            "Template (CSV, semicolons)",
            templates.template_csv("excel-eu"),
            file_name="clusterxchange-template-eu.csv",
            icon=":material/description:",
        )
        st.download_button(
            "Template (CSV, commas)",
            templates.template_csv(),
            file_name="clusterxchange-template.csv",
            icon=":material/description:",
        )
