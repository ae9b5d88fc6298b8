"""低效用地整治's managed list of low-efficiency firms (the fourth tab): the list of the year,
editable by an administrator, its Excel export, the firms that left it and the edit history."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit.elements.lib.column_types import ColumnConfig

from muyun import export, formatting, labels, land
from ui import admin, cache, filters, land_cache, paged_table, tables

T = labels.LAND_TEXT
H = labels.LAND_HEADERS
C = labels.LAND_COMPACT_HEADERS
MU_FORMAT = tables.number_format(2)
LIST_KEY = "land_list"  # the list table and its page controls (`ui.paged_table`)


def _count(n: int, unit: str) -> str:
    return formatting.number(n, 0, unit)


# The list as officials work through it: who, why, what is decided, then the figures.
DISPLAY_ORDER: tuple[str, ...] = (
    "name",  # pinned; the editable fields follow at once so they are on screen (issue 13)
    *land.EDITABLE_FIELDS,
    "reasons",
    "tier",
    "tier_class",
    "tax_per_mu",
    "land_mu",
    "unregistered_lease_mu",
    "industry",
    "scale",
    "town",
    "on_previous_list",
    "credit_code",
    "updated_at",
)


def _list_columns(towns: list[str]) -> dict[str, ColumnConfig]:
    header = land.list_header
    config: dict[str, ColumnConfig] = {
        c: st.column_config.Column(header(c)) for c in (*land.LIST_COLUMNS, "tier_class")
    }
    config.update(
        {
            "name": st.column_config.TextColumn(header("name"), pinned=True, width="medium"),
            "tax_per_mu": st.column_config.NumberColumn(header("tax_per_mu"), format="%.2f"),
            "land_mu": st.column_config.NumberColumn(header("land_mu"), format="%.2f"),
            "unregistered_lease_mu": st.column_config.NumberColumn(
                header("unregistered_lease_mu"), format="%.2f"
            ),
            "on_previous_list": st.column_config.CheckboxColumn(header("on_previous_list")),
            "path": st.column_config.SelectboxColumn(
                header("path"), options=list(labels.REMEDIATION_PATHS), required=True
            ),
            "status": st.column_config.SelectboxColumn(
                header("status"), options=list(labels.LOW_EFFICIENCY_STATUSES), required=True
            ),
            "responsible_town": st.column_config.SelectboxColumn(
                header("responsible_town"), options=towns, required=True
            ),
            "notes": st.column_config.TextColumn(header("notes"), max_chars=land.NOTES_MAX_CHARS),
            "updated_at": st.column_config.DatetimeColumn(
                header("updated_at"), format="YYYY-MM-DD HH:mm"
            ),
        }
    )
    return config


# The list as it fits 1280 px: who, what is decided and why (the rest behind 显示全部列).
COMPACT_ORDER: tuple[str, ...] = ("name", *land.EDITABLE_FIELDS, "reasons")
COMPACT_WIDTHS: dict[str, int] = {
    "name": 208,
    "path": 84,
    "status": 64,
    "responsible_town": 88,
    "notes": 80,
    "reasons": 260,
}
LEAVING_WIDTHS: dict[str, int] = {
    "name": 224,
    "industry": 80,
    "town": 84,
    "previous_tier": 72,
    "tier": 72,
    "previous_tax_per_mu": 112,
    "tax_per_mu": 112,
}


def _compact(config: dict[str, ColumnConfig]) -> dict[str, ColumnConfig]:
    """The list's column config with short headers and set widths (same editors and options)."""
    short = {
        "path": C["path"],
        "status": C["list_status"],
        "responsible_town": land.list_header("responsible_town"),
        "notes": land.list_header("notes"),
        "reasons": C["reasons"],
        "name": land.list_header("name"),
    }
    out = dict(config)
    for column, width in COMPACT_WIDTHS.items():
        out[column] = {**config[column], "label": short[column], "width": width}
    return out


def _leaving_table(leaving: pd.DataFrame, scope: filters.Filters) -> None:
    """Firms leaving the list; credit code and last year's reasons behind 显示全部列; a page at
    a time when many (thousands at province scale)."""
    money = st.column_config.NumberColumn
    if st.toggle(C["all_columns"], key="land_leaving_all", help=C["all_columns_help"]):
        paged_table.render(
            leaving.rename(columns=land.list_header),
            "land_leaving",
            scope=scope,
            placeholder="—",
            hide_index=True,
            column_config={
                land.list_header("tax_per_mu"): money(format="%.2f"),
                land.list_header("previous_tax_per_mu"): money(format="%.2f"),
            },
        )
        return
    w = LEAVING_WIDTHS
    paged_table.render(
        leaving,
        "land_leaving",
        scope=scope,
        placeholder="—",
        hide_index=True,
        column_order=list(w),
        column_config={
            "name": st.column_config.TextColumn(land.list_header("name"), width=w["name"]),
            "industry": st.column_config.TextColumn(C["industry"], width=w["industry"]),
            "town": st.column_config.TextColumn(C["town"], width=w["town"]),
            "previous_tier": st.column_config.TextColumn(
                C["previous_tier"], width=w["previous_tier"]
            ),
            "tier": st.column_config.TextColumn(C["tier"], width=w["tier"]),
            "previous_tax_per_mu": money(
                C["previous_tax_per_mu"], format=C["tax_format"], width=w["previous_tax_per_mu"]
            ),
            "tax_per_mu": money(C["tax_per_mu"], format=C["tax_format"], width=w["tax_per_mu"]),
        },
    )


def _editor_key(selection: filters.Filters, part: str) -> str:
    """One editor state per list and page shown: edits are kept by row position, so a changed
    selection, page or order (`part`, see `paged_table.part_shown`) must not carry them over
    to other rows."""
    chosen = "-".join((*selection.industries, *selection.tiers, *selection.towns))
    key = f"land_list_editor_{selection.year}_{selection.profile}_{selection.scale}_{chosen}"
    return f"{key}_{part}" if part else key


def render(selection: filters.Filters) -> None:
    year = selection.year
    if year not in cache.available_years():
        st.info(T["list_no_year"].format(year=year))
        return
    profile = cache.load_profile(selection.profile)
    members, leaving = land_cache.low_efficiency(year, selection.profile)
    st.caption(
        T["list_caption"].format(
            year=year,
            profile=profile.name,
            line=land.fmt_number(profile.low_efficiency_tax_per_mu, 2),
        )
    )
    view = land.list_view(
        members,
        leaving,
        cache.scored_year(year, selection.profile),
        profile,
        scale=selection.scale,
        industries=selection.industries,
        towns=selection.towns,
        tiers=selection.tiers,
    )
    shown, leaving_shown = view.shown, view.leaving
    firm = labels.UNIT_FIRMS
    # Three cards to a row: seven side by side cut labels such as "C类且亩均税收低于3万元/亩".
    cols = [c for _ in range(0, 3 + len(view.by_reason), 3) for c in st.columns(3)]
    cols[0].metric(
        T["list_total"],
        _count(len(shown), firm),
        T["list_city"].format(count=formatting.number(view.city_total, 0)),
        delta_arrow="off",
        delta_color="off",
    )
    if year - 1 in cache.available_years():
        cols[1].metric(T["list_new"], _count(view.new, firm))
        cols[2].metric(T["list_leaving"], _count(len(leaving_shown), firm))
    else:
        cols[1].metric(T["list_new"], "—", help=T["list_no_previous"])
        cols[2].metric(T["list_leaving"], "—", help=T["list_no_previous"])
    for column, (reason, count) in zip(cols[3:], view.by_reason.items(), strict=False):
        column.metric(reason, _count(count, firm))

    st.subheader(T["list_table"])
    towns = list(cache.towns()["name"])
    config = _list_columns(towns)
    display = shown.reset_index(drop=True)
    display.insert(
        display.columns.get_loc("tier") + 1,
        "tier_class",
        display["tier"].map(labels.TIER_CLASS).fillna(""),
    )
    if st.toggle(C["all_columns"], key="land_list_all", help=C["all_columns_help"]):
        order = list(DISPLAY_ORDER)
    else:
        order, config = list(COMPACT_ORDER), _compact(config)
    with st.expander(T["list_admin"]):
        is_admin = admin.require("edit_list", key="land_admin") is not None
    # A page of the list at a time (29,000 firms at province scale); edits are saved per page.
    on_screen = paged_table.page_of(
        display, LIST_KEY, paged_table.headers_of(display, config, order), selection
    )
    if is_admin:
        st.caption(T["list_admin_hint"])
        with st.form(f"land_list_form_{year}"):
            edited = st.data_editor(
                on_screen,
                hide_index=True,
                column_config=config,
                column_order=order,
                disabled=[c for c in display.columns if c not in land.EDITABLE_FIELDS],
                key=_editor_key(selection, paged_table.part_shown(LIST_KEY)),
            )
            editor = st.text_input(T["list_editor"], key="land_editor", help=T["list_editor_help"])
            submitted = st.form_submit_button(T["list_save"], type="primary")
        if submitted:
            if not editor.strip():
                st.error(T["list_editor_needed"])
            else:
                try:
                    edits = land.save_list_edits(cache.database(), year, on_screen, edited, editor)
                except land.ListEditError as error:
                    st.error(str(error))
                else:
                    if not edits:
                        st.info(T["list_nothing"])
                    else:
                        land_cache.clear_list_caches()
                        st.toast(T["list_saved"].format(count=len(edits)))
                        st.rerun()
    else:
        st.dataframe(
            on_screen, hide_index=True, column_config=config, column_order=order, placeholder="—"
        )

    st.download_button(
        T["list_export"],
        data=lambda: export.to_excel_bytes(
            land.export_frame(shown), header=land.list_header, sheet_name=T["list_sheet"]
        ),
        file_name=T["list_file"].format(year=year),
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="land_list_export",
    )

    st.subheader(T["leaving_header"])
    if leaving_shown.empty:
        st.caption(T["leaving_none"])
    else:
        _leaving_table(leaving_shown, selection)

    with st.expander(T["history_header"]):
        history = land_cache.list_history(year)
        if history.empty:
            st.caption(T["history_none"])
        else:
            history = history.assign(field=history["field"].map(labels.LOW_EFFICIENCY_FIELDS))
            st.dataframe(history.rename(columns=land.list_header), hide_index=True, placeholder="—")
