"""专项政策评估: programmes such as N+X 数字化改造 — who took part, with what money, and what it did
for them against comparable firms that did not (matched difference-in-differences, issue 14)."""

from __future__ import annotations

from functools import partial

import altair as alt
import pandas as pd
import streamlit as st

from muyun import export, formatting, labels, programmes
from ui import cache, filters, regional, tables

T = labels.PROGRAMME_TEXT
H = labels.PROGRAMME_HEADERS
MEAN_COLUMNS = ("treated_pre", "treated_post", "control_pre", "control_post")
SERIES_COLOURS = [labels.FIRM_COLOUR, labels.AVERAGE_COLOUR]  # participants, matched controls

f = filters.current()
st.title(labels.PAGE_TITLES["programmes"])
part = regional.participation()
if part.empty:
    st.info(T["no_programmes"], icon=":material/info:")
    st.stop()

names = sorted(part["programme"].unique())
programme = st.selectbox(T["programme"], names, key="prog_name", bind="query-params")
source = cache.result_source(f.year, f.profile)
mine = part[part["programme"] == programme]
summary = programmes.summary(mine)

cards = st.columns(3)
cards[0].metric(T["metric_firms"], f"{mine['credit_code'].nunique():,} {labels.UNIT_FIRMS}")
cards[1].metric(
    T["metric_funds"], formatting.number(float(mine["funds_10k"].sum()), 1, labels.UNIT_WAN_YUAN)
)

st.subheader(T["summary"])
st.dataframe(
    summary,
    hide_index=True,
    placeholder="—",
    column_config={
        "programme": st.column_config.TextColumn(H["programme"]),
        "year": st.column_config.NumberColumn(H["year"], format="%d"),
        "firms": tables.number_column(H["firms"], digits=0),
        "funds_10k": tables.number_column(H["funds_10k"], digits=1),
        "projects": tables.number_column(H["projects"], digits=0),
    },
)

st.subheader(T["effects"])
st.caption(T["intro"].format(k=programmes.DEFAULT_NEIGHBOURS))
effects = regional.programme_effects(programme, f.profile, cache.current_basis())
if effects["evaluated"].max() == 0:
    st.info(T["nothing"])
    st.stop()
va = effects.iloc[programmes.OUTCOMES.index("va_per_mu")]
cards[2].metric(
    T["metric_did"],
    formatting.number(va["did"], 2, "万元/亩"),
    help=f"{H['ci_low']} {va['ci_low']:.2f} · {H['ci_high']} {va['ci_high']:.2f}",
)
number_columns = (
    "treated_pre",
    "treated_post",
    "control_pre",
    "control_post",
    "did",
    "ci_low",
    "ci_high",
    "se",
)
config = {c: tables.number_column(H[c]) for c in number_columns}
config.update(
    outcome=st.column_config.TextColumn(H["outcome"]),
    evaluated=tables.number_column(H["evaluated"], digits=0),
    not_evaluable=tables.number_column(H["not_evaluable"], digits=0),
    verdict=st.column_config.TextColumn(H["verdict"]),
)
st.dataframe(effects, hide_index=True, placeholder="—", column_config=config, key="prog_effects")
st.caption(T["ci_note"].format(n=programmes.DEFAULT_BOOTSTRAP))
missing = int(effects["not_evaluable"].max())
if missing:
    st.caption(T["not_evaluable"].format(n=missing))

# Four means per outcome: participants and matched controls, the year before and after.
periods = [T["period_pre"], T["period_post"]]
series = [T["series_treated"], T["series_control"]]
columns = st.columns(len(effects))
for column, (_, effect) in zip(columns, effects.iterrows(), strict=True):
    means = pd.DataFrame(
        {
            "series": [series[0]] * 2 + [series[1]] * 2,
            "period": periods * 2,
            "value": [float(effect[c]) for c in MEAN_COLUMNS],
            "label": [H[c] for c in MEAN_COLUMNS],
        }
    )
    chart = (
        alt.Chart(means, title=alt.TitleParams(str(effect["outcome"]), anchor="start"))
        .mark_line(point=alt.OverlayMarkDef(filled=True, size=60))
        .encode(
            x=alt.X("period:N", sort=periods, title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)),
            color=alt.Color(
                "series:N",
                sort=series,
                title=None,
                scale=alt.Scale(domain=series, range=SERIES_COLOURS),
                legend=alt.Legend(orient="bottom", direction="horizontal"),
            ),
            tooltip=[
                alt.Tooltip("label:N", title="title"),  # vega-tooltip's heading: 参与企业·前
                alt.Tooltip("value:Q", title=str(effect["outcome"]), format=",.2f"),
            ],
        )
        .properties(height=300)
    )
    column.altair_chart(chart, width="stretch")
    column.caption(
        T["effect_line"].format(did=effect["did"], low=effect["ci_low"], high=effect["ci_high"])
    )

st.subheader(T["tiers"])
shares = regional.programme_tiers(programme, f.profile, cache.current_basis())
st.dataframe(
    shares,
    hide_index=True,
    column_config={"year": st.column_config.NumberColumn(H["year"], format="%d")}
    | {t: tables.number_column(f"{t}（{labels.UNIT_FIRMS}）", digits=0) for t in labels.TIERS},
)
st.download_button(
    T["download_xlsx"],
    data=partial(export.to_excel_bytes, effects.copy(), lambda c: H.get(c, c)),
    file_name=f"{export.file_stem(programme, T['file'])}.xlsx",
    icon=":material/download:",
    on_click="ignore",
    key="prog_xlsx",
)
