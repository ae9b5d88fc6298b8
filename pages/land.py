"""低效用地整治: rectified land against targets, micro-enterprise parks, funds, plot-ratio
upgrades and the managed list of low-efficiency firms. Renders only; figures come from
`muyun.land` through `ui.land_cache`."""

from __future__ import annotations

import html

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from muyun import export, formatting, labels, land
from ui import admin, cache, filters, land_cache, tables

T = labels.LAND_TEXT
H = labels.LAND_HEADERS
# The list as officials work through it: who, why, what is decided, then the figures.
DISPLAY_ORDER: tuple[str, ...] = (
    "credit_code",
    "name",
    "reasons",
    *land.EDITABLE_FIELDS,
    "tier",
    "tier_class",
    "tax_per_mu",
    "land_mu",
    "unregistered_lease_mu",
    "industry",
    "scale",
    "town",
    "on_previous_list",
    "updated_at",
)


MU_FORMAT = tables.number_format(2)  # 亩 and 公顷 in tables: two places, as land registers
M2_FORMAT = tables.number_format(0)
WAN_YUAN_FORMAT = tables.number_format(1)
PCT_FORMAT = tables.number_format(1)  # a percentage number under a header that carries "（%）"
COUNT_FORMAT = "%,d"
YEAR_FORMAT = "%d"
CHART_HEIGHT_PX = 420


def _pct(share: float | None) -> str:
    """A share as "118.9%" (an em dash without a target)."""
    return "—" if share is None or pd.isna(share) else f"{formatting.number(share * 100, 1)}%"


def _count(n: int, unit: str) -> str:
    return formatting.number(n, 0, unit)


def _headers(frame: pd.DataFrame, headers: dict[str, str]) -> pd.DataFrame:
    return frame.rename(columns={c: headers.get(c, c) for c in frame.columns})


def _mu_column(name: str) -> st.column_config.NumberColumn:
    """A 亩 column headed with its unit, e.g. "集中连片拆除（亩）"."""
    return tables.number_column(name, labels.UNIT_MU, digits=2)


def _category_chart_args(order: list[str]) -> dict[str, object]:
    """The same colour and legend order for the five categories in every chart."""
    return {
        "color": "category",
        "color_discrete_map": labels.RECTIFICATION_COLOURS,
        "category_orders": {"category": order},
    }


def _land_year(selected: int) -> int | None:
    """The global year when the land data covers the same years, else the page's own choice."""
    years = land_cache.land_years()
    if not years:
        return None
    if set(years) == set(cache.available_years()):
        return selected
    default = min(years, key=lambda y: (abs(y - selected), y))
    return st.selectbox(
        T["land_year"],
        years,
        index=years.index(default),
        key=f"land_year_{selected}",
        help=T["land_year_help"],
    )


def _progress_tab(year: int) -> None:
    view = land_cache.year_view(year)
    cats = view.categories
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(T["total"].format(year=year), land.fmt_mu(view.total_mu))
    c2.metric(T["total_hectare"], land.fmt_hectare(view.total_mu))
    if view.total_target_mu:
        c3.metric(T["target"], land.fmt_mu(view.total_target_mu))
        c4.metric(T["progress"], _pct(view.total_progress))
    else:
        c3.metric(T["target"], "—", help=T["no_target"].format(year=year))
    st.caption(
        T["done"].format(area=land.fmt_mu(view.done_mu), hectare=land.fmt_hectare(view.done_mu))
    )

    st.subheader(T["by_category"])
    for row in cats.itertuples(index=False):
        area = land.fmt_category_area(row.category, row.area_mu)
        if pd.notna(row.target_mu) and row.target_mu > 0:
            text = T["category_progress"].format(
                category=row.category,
                area=area,
                target=land.fmt_mu(row.target_mu),
                pct=_pct(row.progress),
            )
            st.progress(min(float(row.progress), 1.0), text=text)
        else:
            st.markdown(T["category_no_target"].format(category=row.category, area=area))
    if view.total_target_mu:
        st.progress(
            min(float(view.total_progress), 1.0),
            text=T["total_progress"].format(
                area=land.fmt_mu(view.total_mu),
                target=land.fmt_mu(view.total_target_mu),
                pct=_pct(view.total_progress),
            ),
        )
    parts = " + ".join(
        land.fmt_category_area(c, a) for c, a in zip(cats["category"], cats["area_mu"], strict=True)
    )
    st.markdown(T["categories_sum"].format(parts=parts, total=land.fmt_mu(view.total_mu)))
    columns = ["category", "area_mu", "area_hectare", "target_mu", "progress_pct", "projects"]
    st.dataframe(
        cats[columns],
        hide_index=True,
        column_config={
            "category": st.column_config.TextColumn(H["category"]),
            "area_mu": st.column_config.NumberColumn(H["area_mu"], format=MU_FORMAT),
            "area_hectare": st.column_config.NumberColumn(H["area_hectare"], format=MU_FORMAT),
            "target_mu": st.column_config.NumberColumn(H["target_mu"], format=MU_FORMAT),
            "progress_pct": st.column_config.NumberColumn(H["progress_pct"], format=PCT_FORMAT),
            "projects": st.column_config.NumberColumn(H["projects"], format=COUNT_FORMAT),
        },
        key="land_categories",
    )

    history = land_cache.trend()
    order = land.category_order([*cats["category"], *history["category"]])
    town_categories = [c for c in view.by_town.columns if c not in ("town", "total_mu")]
    left, right = st.columns(2)
    with left:
        st.subheader(T["by_town"])
        if not view.by_town.empty:
            long = view.by_town.melt(
                id_vars=["town"],
                value_vars=town_categories,
                var_name="category",
                value_name="area_mu",
            )
            chart = _category_chart_args(order)
            chart["category_orders"]["town"] = list(view.by_town["town"])
            fig = px.bar(
                long,
                x="area_mu",
                y="town",
                orientation="h",
                labels={"area_mu": H["area_mu"], "town": H["town"], "category": H["category"]},
                **chart,
            )
            fig.update_layout(
                height=CHART_HEIGHT_PX, margin={"t": 10, "b": 10}, legend_title_text=""
            )
            st.plotly_chart(fig, key="land_by_town")
    with right:
        st.subheader(T["trend"])
        if not history.empty:
            fig = px.bar(
                history,
                x="year",
                y="area_mu",
                labels={"area_mu": H["area_mu"], "year": H["year"], "category": H["category"]},
                **_category_chart_args(order),
            )
            targets = land.trend_targets(history)
            if not targets.empty:
                fig.add_trace(
                    go.Scatter(
                        x=targets["year"],
                        y=targets["year_target_mu"],
                        name=T["trend_target"],
                        mode="lines+markers",
                        line={"color": "#333333", "dash": "dash"},
                    )
                )
            fig.update_layout(
                height=CHART_HEIGHT_PX, margin={"t": 10, "b": 10}, legend_title_text=""
            )
            fig.update_xaxes(dtick=1)
            st.plotly_chart(fig, key="land_trend")
    if not view.by_town.empty:
        st.dataframe(
            view.by_town,
            hide_index=True,
            column_config={
                "town": st.column_config.TextColumn(H["town"]),
                **{c: _mu_column(c) for c in town_categories},
                "total_mu": st.column_config.NumberColumn(H["total_mu"], format=MU_FORMAT),
            },
            key="land_by_town_table",
        )

    st.subheader(T["facts"])
    if view.facts.empty:
        st.caption(T["no_facts"].format(year=year))
        return
    facts = view.facts.assign(
        value=[
            f"{land.fmt_number(v, 2)} {u or ''}".strip() if pd.notna(v) else ""
            for v, u in zip(view.facts["value"], view.facts["unit"], strict=True)
        ]
    )
    for fact in facts[facts["highlight"]].itertuples(index=False):
        body = fact.text if isinstance(fact.text, str) and fact.text else fact.value
        st.markdown("- " + T["fact_line"].format(label=fact.label, body=body, source=fact.source))
    with st.expander(T["all_facts"].format(count=len(facts))):
        table = facts[["label", "value", "text", "source"]]
        st.dataframe(_headers(table, H), hide_index=True)


def _parks_tab(year: int) -> None:
    view = land_cache.parks_view()
    if view.parks.empty:
        st.info(T["no_parks"])
        return
    park = labels.UNIT_COUNT_PARK
    statuses = view.shown_statuses
    columns = st.columns(2 + len(statuses))
    columns[0].metric(T["parks_total"], _count(view.total_parks, park))
    columns[1].metric(T["parks_floor"], land.fmt_wan_m2(view.total_floor_m2))
    for column, row in zip(columns[2:], statuses.itertuples(index=False), strict=True):
        column.metric(
            row.status,
            T["parks_status"].format(count=row.parks, floor=land.fmt_wan_m2(row.floor_m2)),
        )
    rec = view.recognition_as_of(year)
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(
        T["parks_provincial"].format(year=year),
        _count(rec["provincial_total"], park),
        T["parks_new"].format(year=year, count=rec["provincial_new"]),
        delta_arrow="off",
    )
    c2.metric(
        T["parks_star"].format(year=year),
        _count(rec["star_total"], park),
        T["parks_new"].format(year=year, count=rec["star_new"]),
        delta_arrow="off",
    )
    c3.metric(T["parks_cleared"], _count(view.cleared_parks, park))
    c4.metric(T["parks_firms_total"], _count(view.total_firms, labels.UNIT_FIRMS))

    if not view.recognition.empty:
        st.subheader(T["parks_over_time"])
        long = view.recognition.melt(
            id_vars=["year"], value_vars=["provincial_total", "star_total"], var_name="kind"
        )
        long["kind"] = long["kind"].map(H)
        fig = px.line(
            long,
            x="year",
            y="value",
            color="kind",
            markers=True,
            labels={"year": H["year"], "value": park, "kind": ""},
        )
        fig.update_layout(height=320, margin={"t": 10, "b": 10})
        fig.update_xaxes(dtick=1)
        st.plotly_chart(fig, key="land_parks_over_time")

    st.subheader(T["parks_table"])
    f1, f2 = st.columns(2)
    towns = f1.multiselect(
        H["town"],
        sorted(view.parks["town"].unique()),
        key="land_park_towns",
        placeholder=labels.FILTER_LABELS["all_towns"],
    )
    chosen = f2.multiselect(
        H["status"],
        list(statuses["status"]),
        key="land_park_status",
        placeholder=T["all_statuses"],
    )
    shown = land.filter_parks(view.parks, towns, chosen)
    st.caption(T["parks_firms"].format(firms=formatting.number(land.firms_in(shown), 0)))
    park_headers = labels.TABLE_HEADERS["parks"]
    st.dataframe(
        _headers(shown, park_headers),
        hide_index=True,
        column_config={
            park_headers["land_mu"]: st.column_config.NumberColumn(format=MU_FORMAT),
            park_headers["planned_floor_area_m2"]: st.column_config.NumberColumn(format=M2_FORMAT),
            park_headers["provincial_year"]: st.column_config.NumberColumn(format=YEAR_FORMAT),
            park_headers["star_year"]: st.column_config.NumberColumn(format=YEAR_FORMAT),
            park_headers["firms"]: st.column_config.NumberColumn(format=COUNT_FORMAT),
        },
        key="land_parks_table",
    )


def _funds_tab() -> None:
    st.subheader(T["funds_header"])
    funds = land_cache.funds_view()
    if funds.by_use.empty:
        st.info(T["no_funds"])
    else:
        c1, c2, c3 = st.columns(3)
        for column, label, value in (
            (c1, T["funds_drawn"], funds.extracted_10k),
            (c2, T["funds_spent"], funds.spent_10k),
        ):
            column.metric(
                label,
                T["funds_yuan"].format(yi=land.fmt_yi_yuan(value), wan=land.fmt_wan_yuan(value)),
            )
        c3.metric(T["funds_rate"], _pct(funds.spend_rate))
        long = funds.by_use.melt(
            id_vars=["use"], value_vars=["extracted_10k", "spent_10k"], var_name="kind"
        )
        long["kind"] = long["kind"].map(H)
        # Plotly renders tags (<a href>, <b>) in axis and hover text: imported uses are escaped.
        long["use"] = long["use"].map(html.escape)
        fig = px.bar(
            long,
            x="use",
            y="value",
            color="kind",
            barmode="group",
            labels={"use": H["use"], "value": labels.UNIT_WAN_YUAN, "kind": ""},
        )
        fig.update_layout(height=340, margin={"t": 10, "b": 10})
        st.plotly_chart(fig, key="land_funds")
        money = st.column_config.NumberColumn
        st.dataframe(
            funds.by_use[["use", "extracted_10k", "spent_10k", "spend_rate_pct"]],
            hide_index=True,
            column_config={
                "use": st.column_config.TextColumn(H["use"]),
                "extracted_10k": money(H["extracted_10k"], format=WAN_YUAN_FORMAT),
                "spent_10k": money(H["spent_10k"], format=WAN_YUAN_FORMAT),
                "spend_rate_pct": money(H["spend_rate_pct"], format=PCT_FORMAT),
            },
            key="land_funds_table",
        )

    st.subheader(T["upgrades_header"])
    ups = land_cache.upgrades_view()
    if not ups.count:
        st.info(T["no_upgrades"])
        return
    c1, c2, c3 = st.columns(3)
    c1.metric(T["upgrades_count"], _count(ups.count, labels.UNIT_COUNT_PARK))
    c2.metric(T["upgrades_added"], land.fmt_wan_m2(ups.added_m2))
    c3.metric(T["upgrades_reward"], land.fmt_wan_yuan(ups.reward_10k))
    for case in ups.published.itertuples(index=False):
        st.success(
            T["upgrade_case"].format(
                name=case.name,
                year=case.year,
                before=land.fmt_wan_m2(case.floor_before_m2),
                after=land.fmt_wan_m2(case.floor_after_m2),
                multiple=land.fmt_number(case.plot_ratio_multiple, 2),
                reward=land.fmt_wan_yuan(case.reward_10k),
                source=case.source,
            ),
            icon="📌",
        )
    table = ups.cases[
        [
            "upgrade_id",
            "year",
            "name",
            "town",
            "floor_before_m2",
            "floor_after_m2",
            "added_m2",
            "plot_ratio_multiple",
            "reward_10k",
            "published",
            "source",
        ]
    ]
    st.dataframe(
        _headers(table, H),
        hide_index=True,
        column_config={
            H["year"]: st.column_config.NumberColumn(format=YEAR_FORMAT),
            H["floor_before_m2"]: st.column_config.NumberColumn(format=M2_FORMAT),
            H["floor_after_m2"]: st.column_config.NumberColumn(format=M2_FORMAT),
            H["added_m2"]: st.column_config.NumberColumn(format=M2_FORMAT),
            H["plot_ratio_multiple"]: st.column_config.NumberColumn(format="%.2f"),
            H["reward_10k"]: st.column_config.NumberColumn(format=WAN_YUAN_FORMAT),
        },
        key="land_upgrades_table",
    )


def _list_columns(towns: list[str]) -> dict[str, object]:
    header = land.list_header
    config: dict[str, object] = {
        c: st.column_config.Column(header(c)) for c in (*land.LIST_COLUMNS, "tier_class")
    }
    config.update(
        {
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


def _editor_key(selection: filters.Filters) -> str:
    """One editor state per list shown: edits are kept by row position, so a changed selection
    must not carry them over to other rows."""
    chosen = "-".join((*selection.industries, *selection.tiers, *selection.towns))
    return f"land_list_editor_{selection.year}_{selection.profile}_{selection.scale}_{chosen}"


def _list_tab(selection: filters.Filters) -> None:
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
    cols = st.columns(3 + len(view.by_reason))
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
    for column, (reason, count) in zip(cols[3:], view.by_reason.items(), strict=True):
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
    order = list(DISPLAY_ORDER)
    with st.expander(T["list_admin"]):
        is_admin = admin.require("edit_list", key="land_admin") is not None
    if is_admin:
        st.caption(T["list_admin_hint"])
        with st.form(f"land_list_form_{year}"):
            edited = st.data_editor(
                display,
                hide_index=True,
                column_config=config,
                column_order=order,
                disabled=[c for c in display.columns if c not in land.EDITABLE_FIELDS],
                key=_editor_key(selection),
            )
            editor = st.text_input(T["list_editor"], key="land_editor", help=T["list_editor_help"])
            submitted = st.form_submit_button(T["list_save"], type="primary")
        if submitted:
            if not editor.strip():
                st.error(T["list_editor_needed"])
            else:
                try:
                    edits = land.save_list_edits(cache.database(), year, display, edited, editor)
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
        st.dataframe(display, hide_index=True, column_config=config, column_order=order)

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
        money = st.column_config.NumberColumn(format="%.2f")
        st.dataframe(
            leaving_shown.rename(columns=land.list_header),
            hide_index=True,
            column_config={
                land.list_header("tax_per_mu"): money,
                land.list_header("previous_tax_per_mu"): money,
            },
        )

    with st.expander(T["history_header"]):
        history = land_cache.list_history(year)
        if history.empty:
            st.caption(T["history_none"])
        else:
            history = history.assign(field=history["field"].map(labels.LOW_EFFICIENCY_FIELDS))
            st.dataframe(history.rename(columns=land.list_header), hide_index=True)


selection = filters.current()
st.title(labels.PAGE_TITLES["land"])
land_year = _land_year(selection.year)
progress_tab, parks_tab, funds_tab, list_tab = st.tabs(
    [T["tab_progress"], T["tab_parks"], T["tab_funds"], T["tab_list"]]
)
with progress_tab:
    if land_year is None:
        st.info(T["no_land_data"])
    else:
        _progress_tab(land_year)
with parks_tab:
    _parks_tab(land_year or selection.year)
with funds_tab:
    _funds_tab()
with list_tab:
    _list_tab(selection)
