"""The Organisations tab of the Administration page: duplicates and merging them."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from xchange.models import User
from xchange.presentation import number
from xchange.register import organisations
from xchange.ui.actions import read, saved, write
from xchange.ui.cache import cached_duplicates
from xchange.ui.text import escape


def organisations_tab(user: User) -> None:
    """The Organisations tab: suggested duplicates, and merging one organisation into another."""
    st.markdown("##### Suggested duplicates")
    with st.spinner("Looking for organisations logged twice..."):
        pairs = cached_duplicates()
    if not pairs:
        st.info(
            "No likely duplicates: no two organisations in one country have names that read "
            "the same without case, accents, punctuation and legal form."
        )
    else:
        st.caption(
            f"{number(len(pairs))} {'pair' if len(pairs) == 1 else 'pairs'} in one country "
            "whose names read the same without "
            "case, accents, punctuation and legal form (GmbH, SA, SRL, Ltd...). The busier one "
            "is proposed to keep. Check before merging: two branches may share a name."
        )
        st.dataframe(
            pd.DataFrame(
                {
                    "Keep": [p.keep.label() for p in pairs],
                    "Its exchanges": [p.keep.exchanges for p in pairs],
                    "Merge into it": [p.merge.label() for p in pairs],
                    "Exchanges that move": [p.merge.exchanges for p in pairs],
                }
            ),
            hide_index=True,
            width="stretch",
            column_config={
                "Its exchanges": st.column_config.NumberColumn(format="localized"),
                "Exchanges that move": st.column_config.NumberColumn(format="localized"),
            },
        )
        suggestion = st.selectbox(
            "Review a suggestion",
            options=list(range(len(pairs))),
            index=None,
            format_func=lambda i: f"{pairs[i].merge.label()} into {pairs[i].keep.label()}",
            key="merge.suggestion",
            placeholder="Pick a pair to review below",
            help="Fills in the two organisations below; nothing is merged until you confirm.",
        )
        if suggestion is not None and st.button(
            "Review this pair",
            key="merge.use_suggestion",
            help="Puts the pair in the merge form below.",
        ):
            chosen_pair = pairs[int(suggestion)]
            st.session_state["merge.keep_query"] = f"#{chosen_pair.keep.id}"
            st.session_state["merge.merge_query"] = f"#{chosen_pair.merge.id}"
            st.session_state.pop("merge.confirm", None)
            st.rerun()

    st.markdown("##### Merge two organisations")
    st.caption(
        "Every exchange of the second moves to the first, as visitor or as host; the second is "
        "then deleted. Exchanges keep the type, SME status and country they were logged with, "
        "so no KPI changes."
    )
    keep_column, merge_column = st.columns(2)
    picks: dict[str, int | None] = {}
    for column, side, label, what in (
        (keep_column, "keep", "Organisation to keep", "the organisation that stays"),
        (merge_column, "merge", "Organisation to merge into it", "the duplicate, deleted after"),
    ):
        with column:
            query = st.text_input(
                f"Find {escape(what)}",
                key=f"merge.{side}_query",
                placeholder="Part of the name, or #id",
                help="Any part of the name, in any case; #12 finds the organisation with id 12.",
            )
            found = read(organisations.search_organisations, text=query, limit=50)
            labels: dict[int, str] = {
                o.id: f"{o.label()} · {o.exchanges:,} exchanges" for o in found
            }
            picks[side] = st.selectbox(
                escape(label),
                options=list(labels),
                index=0 if query.startswith("#") and labels else None,
                format_func=labels.__getitem__,
                key=f"merge.{side}_{query}",
                placeholder="No match: change the search" if not labels else "Pick one",
                help="The first 50 matches, by name.",
            )
    keep_id, merge_id = picks["keep"], picks["merge"]
    if keep_id is not None and merge_id is not None:
        if keep_id == merge_id:
            st.warning("Pick two different organisations: one to keep, one to merge into it.")
        else:
            preview = read(
                organisations.preview_merge, keep_id=int(keep_id), merge_id=int(merge_id)
            )
            with st.container(border=True):
                st.markdown(f"**{escape(preview.describe())}**")
                for note in preview.notes:
                    st.info(escape(note))
                for problem in preview.problems:
                    st.error(escape(problem))
                if preview.ok:
                    pending = st.session_state.get("merge.confirm") == (keep_id, merge_id)
                    if not pending:
                        if st.button(
                            "Merge...",
                            key="merge.start",
                            icon=":material/merge:",
                            help="Asks for confirmation first.",
                        ):
                            st.session_state["merge.confirm"] = (keep_id, merge_id)
                            st.rerun()
                    else:
                        st.warning(
                            f"Merge {escape(preview.merge.name)} into {escape(preview.keep.name)}? "
                            f"{number(preview.moves)} "
                            f"{'exchange moves' if preview.moves == 1 else 'exchanges move'} and "
                            f"{escape(preview.merge.name)} is deleted. This cannot be undone here.",
                            icon=":material/warning:",
                        )
                        yes_column, no_column = st.columns(2)
                        confirmed = yes_column.button(
                            f"Yes, merge into {escape(preview.keep.name)}",
                            type="primary",
                            key="merge.yes",
                            help="Moves the exchanges and deletes the duplicate.",
                        )
                        if no_column.button("Cancel", key="merge.no", help="Nothing is changed."):
                            st.session_state.pop("merge.confirm", None)
                            st.rerun()
                        if confirmed:
                            kept = write(
                                organisations.merge_organisations,
                                actor=user,
                                spinner="Merging...",
                                keep_id=int(keep_id),
                                merge_id=int(merge_id),
                            )
                            st.session_state.pop("merge.confirm", None)
                            if kept is not None:
                                saved(
                                    "merge",
                                    f"Merged {preview.merge.name} into {kept.name}: "
                                    f"{number(preview.moves)} "
                                    f"{'exchange' if preview.moves == 1 else 'exchanges'} moved.",
                                )
