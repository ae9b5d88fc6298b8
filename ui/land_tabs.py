"""The 小微企业园 and 资金与零增地技改 tabs of 低效用地整治 (split from pages/land.py).

Tables carry only the columns an official reads at 1280 px, with short headers and set widths,
so none scrolls sideways (issue 13 item 8); the Excel exports keep every column.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from muyun import formatting, labels, land
from ui import land_cache, tables

T = labels.LAND_TEXT
H = labels.LAND_HEADERS
C = labels.LAND_COMPACT_HEADERS
MU_FORMAT = tables.number_format(2)
M2_FORMAT = tables.number_format(0)
WAN_YUAN_FORMAT = tables.number_format(1)
PCT_FORMAT = tables.number_format(1)
COUNT_FORMAT = "%,d"
YEAR_FORMAT = "%d"
RECOGNITION_HEIGHT_PX = 320
FUNDS_HEIGHT_PX = 340
WAN_YUAN_CHART_FORMAT = ",.1f"  # 万元 in tooltips: one place, as the funds table
TAB_KEY = "land_tab"  # the land page's open tab, kept in the URL


def card_grid(cards: int, per_row: int = 3) -> list[DeltaGenerator]:
    """Columns for `cards` metric cards, `per_row` to a row, so labels and values fit at 1280 px."""
    return [c for _ in range(0, cards, per_row) for c in st.columns(per_row)]


def _pct(share: float | None) -> str:
    """A share as "118.9%" (an em dash without a target)."""
    return "—" if share is None or pd.isna(share) else f"{formatting.number(share * 100, 1)}%"


def _count(n: int, unit: str) -> str:
    return formatting.number(n, 0, unit)


def _headers(frame: pd.DataFrame, headers: dict[str, str]) -> pd.DataFrame:
    return frame.rename(columns={c: headers.get(c, c) for c in frame.columns})


def parks(year: int) -> None:
    """小微企业园: counts by status, recognitions over time and the parks table."""
    view = land_cache.parks_view()
    if view.parks.empty:
        st.info(T["no_parks"])
        return
    park = labels.UNIT_COUNT_PARK
    statuses = view.shown_statuses
    columns = card_grid(2 + len(statuses))
    columns[0].metric(T["parks_total"], _count(view.total_parks, park))
    columns[1].metric(T["parks_floor"], land.fmt_wan_m2(view.total_floor_m2))
    for column, row in zip(columns[2:], statuses.itertuples(index=False), strict=False):
        # The count as the value, the floor area under it: "26 个 · 214 万平方米" was cut.
        column.metric(
            row.status,
            _count(row.parks, park),
            land.fmt_wan_m2(row.floor_m2),
            delta_arrow="off",
            delta_color="off",
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
        st.altair_chart(
            _recognition_chart(view.recognition), width="stretch", key="land_parks_over_time"
        )

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
    _parks_table(shown)


def funds() -> None:
    """The special fund by use and the plot-ratio upgrades (零增地技改)."""
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
            # 亿元 as the value, 万元 under it: "1.2 亿元（12,000 万元）" did not fit a card.
            column.metric(
                label,
                land.fmt_yi_yuan(value),
                land.fmt_wan_yuan(value),
                delta_arrow="off",
                delta_color="off",
            )
        c3.metric(T["funds_rate"], _pct(funds.spend_rate))
        st.altair_chart(_funds_chart(funds.by_use), width="stretch", key="land_funds")
        money = st.column_config.NumberColumn
        st.dataframe(
            funds.by_use[["use", "extracted_10k", "spent_10k", "spend_rate_pct"]],
            placeholder="—",
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
            icon=":material/push_pin:",
        )
    _upgrades_table(ups.cases)


def _folded(frame: pd.DataFrame, keep: str, series: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """`frame` with the `series` columns under their headers (with units), and those headers.

    The chart folds them into one mark per series, so the frame stays one row per year or use
    and every tooltip shows all the series of its row.
    """
    names = [H[c] for c in series]
    return frame[[keep, *series]].rename(columns=dict(zip(series, names, strict=True))), names


def _recognition_chart(recognition: pd.DataFrame) -> alt.Chart:
    """Provincial and star parks to date, one line each, one tick per year."""
    wide, names = _folded(recognition, "year", ["provincial_total", "star_total"])
    return (
        alt.Chart(wide)
        .transform_fold([*names], as_=["kind", "value"])
        .mark_line(point=True)
        .encode(
            x=alt.X("year:O", title=H["year"], axis=alt.Axis(labelAngle=0)),
            y=alt.Y("value:Q", title=H["parks"], axis=alt.Axis(format=",d", tickMinStep=1)),
            color=alt.Color("kind:N", title=None, sort=names, legend=alt.Legend(orient="bottom")),
            tooltip=[
                alt.Tooltip("year:O", title=H["year"]),
                *(alt.Tooltip(f"{n}:Q", format=",d") for n in names),
            ],
        )
        .properties(height=RECOGNITION_HEIGHT_PX)
    )


def _funds_chart(by_use: pd.DataFrame) -> alt.Chart:
    """Drawn and spent 万元 side by side for each use of the fund.

    The uses are imported text: they travel as data only, never in the spec (the order is a
    rank in the data). Vega draws axis labels as SVG or canvas text and its tooltip escapes
    HTML, so a use reads as typed, tags and all, and nothing in it is a link.
    """
    wide, names = _folded(by_use, "use", ["extracted_10k", "spent_10k"])
    return (
        alt.Chart(wide.assign(rank=range(len(wide))))
        .transform_fold([*names], as_=["kind", "value"])
        .mark_bar()
        .encode(
            x=alt.X(
                "use:N",
                title=H["use"],
                sort=alt.EncodingSortField("rank", op="min"),  # the table's order
                axis=alt.Axis(labelAngle=0),
            ),
            xOffset=alt.XOffset("kind:N", sort=names),
            y=alt.Y("value:Q", title=labels.UNIT_WAN_YUAN, axis=alt.Axis(format=",d")),
            color=alt.Color("kind:N", title=None, sort=names, legend=alt.Legend(orient="bottom")),
            tooltip=[
                alt.Tooltip("use:N", title=H["use"]),
                *(alt.Tooltip(f"{n}:Q", format=WAN_YUAN_CHART_FORMAT) for n in names),
            ],
        )
        .properties(height=FUNDS_HEIGHT_PX)
    )


def _all_columns(key: str) -> bool:
    """The official's choice to see every column (the table then scrolls sideways)."""
    return st.toggle(C["all_columns"], key=key, help=C["all_columns_help"])


def _star(rating: object, year: object) -> str | None:
    """The rating and its year, as 3星（2022）; None (shown as —) without a star rating."""
    if pd.isna(rating):
        return None
    year_text = "" if pd.isna(year) else str(int(year))  # type: ignore[call-overload]
    return C["star_value"].format(rating=int(rating), year=year_text)  # type: ignore[call-overload]


def _parks_table(shown: pd.DataFrame) -> None:
    """Parks with short headers and set widths; every column behind the toggle."""
    if _all_columns("land_parks_all"):
        park_headers = labels.TABLE_HEADERS["parks"]
        st.dataframe(
            _headers(shown, park_headers),
            placeholder="—",
            hide_index=True,
            column_config={
                park_headers["land_mu"]: st.column_config.NumberColumn(format=MU_FORMAT),
                park_headers["planned_floor_area_m2"]: st.column_config.NumberColumn(
                    format=M2_FORMAT
                ),
                park_headers["provincial_year"]: st.column_config.NumberColumn(format=YEAR_FORMAT),
                park_headers["star_year"]: st.column_config.NumberColumn(format=YEAR_FORMAT),
                park_headers["firms"]: st.column_config.NumberColumn(format=COUNT_FORMAT),
            },
            key="land_parks_table",
        )
        return
    compact = shown.assign(
        floor_wan_m2=shown["planned_floor_area_m2"] / 10_000,
        star=[_star(r, y) for r, y in zip(shown["star_rating"], shown["star_year"], strict=True)],
    )
    number = st.column_config.NumberColumn
    st.dataframe(
        compact,
        placeholder="—",
        hide_index=True,
        column_order=[
            "name",
            "town",
            "land_mu",
            "floor_wan_m2",
            "status",
            "provincial_year",
            "star",
            "firms",
        ],
        column_config={
            "name": st.column_config.TextColumn(C["park"], width=234, pinned=True),
            "town": st.column_config.TextColumn(C["town"], width=84),
            "land_mu": number(C["land_mu"], format=MU_FORMAT, width=88),
            "floor_wan_m2": number(C["floor_wan_m2"], format=MU_FORMAT, width=96),
            "status": st.column_config.TextColumn(C["status"], width=60),
            "provincial_year": number(C["provincial_year"], format=YEAR_FORMAT, width=72),
            "star": st.column_config.TextColumn(C["star"], width=90),
            "firms": number(C["firms"], format=COUNT_FORMAT, width=84),
        },
        key="land_parks_table",
    )


def _upgrades_table(cases: pd.DataFrame) -> None:
    """Plot-ratio upgrades: the figures on screen; id, published flag and source behind the toggle
    (the published cases are shown above with their source)."""
    columns = [
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
    full = _all_columns("land_upgrades_all")
    number = st.column_config.NumberColumn
    headers = H if full else {**H, **C, "name": C["company"]}
    width: dict[str, int | None] = {
        "name": 200, "year": 56, "town": 84, "floor_before_m2": 90, "floor_after_m2": 90,
        "added_m2": 90, "plot_ratio_multiple": 90, "reward_10k": 96,
    }  # fmt: skip
    shown = columns if full else [c for c in columns if c in width]

    def w(column: str) -> int | None:
        return None if full else width[column]

    st.dataframe(
        cases[shown],
        placeholder="—",
        hide_index=True,
        column_config={
            "name": st.column_config.TextColumn(headers["name"], width=w("name")),
            "town": st.column_config.TextColumn(headers["town"], width=w("town")),
            "year": number(headers["year"], format=YEAR_FORMAT, width=w("year")),
            **{
                c: number(headers[c], format=M2_FORMAT, width=w(c))
                for c in ("floor_before_m2", "floor_after_m2", "added_m2")
            },
            "plot_ratio_multiple": number(
                headers["plot_ratio_multiple"], format="%.2f", width=w("plot_ratio_multiple")
            ),
            "reward_10k": number(
                headers["reward_10k"], format=WAN_YUAN_FORMAT, width=w("reward_10k")
            ),
            "upgrade_id": st.column_config.TextColumn(H["upgrade_id"]),
            "published": st.column_config.CheckboxColumn(H["published"]),
            "source": st.column_config.TextColumn(H["source"]),
        },
        key="land_upgrades_table",
    )
