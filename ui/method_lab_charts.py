"""The method lab's charts (`ui.method_lab`): the Spearman heat map and the sensitivity indices,
as Vega-Lite; kept apart so the lab's tabs stay a page's length."""

from __future__ import annotations

import altair as alt
import pandas as pd

from muyun import labels
from muyun.method_lab import sensitivity

T = labels.METHOD_LAB_TEXT
C = labels.METHOD_LAB_COLUMNS
HEATMAP_ROW_PX = 44  # height of one row of the heat map
HEATMAP_LABELS_PX = 150  # its title and slanted column names
INDEX_ROW_PX = 40  # height of one factor's pair of bars in the indices chart


def heatmap(matrix: pd.DataFrame, title: str) -> alt.LayerChart:
    """The Spearman matrix as coloured cells with their value, blue −1 to red +1 (as RdBu_r)."""
    names = [factor_name(k) for k in matrix.columns]
    rows = max(HEATMAP_ROW_PX * len(names), 200)
    cells = pd.DataFrame(
        {
            "first": [n for n in names for _ in names],
            "second": names * len(names),
            "rho": matrix.to_numpy(dtype=float).ravel(),
        }
    ).dropna(subset=["rho"])  # a pair without a coefficient stays a blank cell
    base = alt.Chart(cells).encode(
        x=alt.X(
            "second:N",
            sort=names,
            title=None,
            axis=alt.Axis(labelAngle=-30, labelLimit=160, labelOverlap=False),
        ),
        y=alt.Y(
            "first:N", sort=names, title=None, axis=alt.Axis(labelLimit=160, labelOverlap=False)
        ),
        tooltip=[
            alt.Tooltip("first:N", title=C["first"]),
            alt.Tooltip("second:N", title=C["second"]),
            alt.Tooltip("rho:Q", title=C["rho"], format=".2f"),
        ],
    )
    colour = alt.Color(
        "rho:Q",
        title=C["rho"],
        scale=alt.Scale(scheme="redblue", reverse=True, domain=[-1, 1]),
        legend=alt.Legend(format=".1f", gradientLength=rows - 20),
    )
    squares = base.mark_rect(stroke="white", strokeWidth=1).encode(color=colour)
    values = base.mark_text(fontSize=12).encode(
        text=alt.Text("rho:Q", format=".2f"),
        # White on the dark ends of the scale, so every value stays legible.
        color=alt.condition("abs(datum.rho) > 0.6", alt.value("white"), alt.value("#222222")),
    )
    # The height holds the title and the slanted names too (a stretched chart fits in it).
    return (squares + values).properties(
        title=alt.TitleParams(title, anchor="start"), height=rows + HEATMAP_LABELS_PX
    )


def indices_chart(indices: pd.DataFrame) -> alt.FacetChart:
    """First-order and total-effect index of each factor, side by side, one panel per output."""
    kinds = {"first_order": C["first_order"], "total_effect": C["total_effect"]}
    long = indices.melt(
        id_vars=["factor", "output"], value_vars=list(kinds), var_name="kind", value_name="value"
    )
    long["factor"] = long["factor"].map(factor_name)
    long["output"] = long["output"].map(labels.SENSITIVITY_OUTPUTS)
    long["kind"] = long["kind"].map(kinds)
    factors = list(dict.fromkeys(long["factor"]))
    outputs = list(dict.fromkeys(long["output"]))
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("factor:N", sort=factors, title=C["factor"], axis=alt.Axis(labelLimit=160)),
            yOffset=alt.YOffset("kind:N", sort=list(kinds.values())),
            x=alt.X("value:Q", title=T["index_value"], axis=alt.Axis(format=".2f")),
            color=alt.Color(
                "kind:N",
                sort=list(kinds.values()),
                title=None,
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                alt.Tooltip("output:N", title=C["output"]),
                alt.Tooltip("factor:N", title=C["factor"]),
                alt.Tooltip("kind:N", title=T["index_kind"]),
                alt.Tooltip("value:Q", title=T["index_value"], format=".3f"),
            ],
        )
        .properties(height=INDEX_ROW_PX * len(factors))
        .facet(column=alt.Column("output:N", sort=outputs, title=None))
    )


def factor_name(key: object) -> str:
    """An indicator's (or the cap factor's) Chinese name; anything else as it is."""
    text = str(key)
    if text == sensitivity.CAP_FACTOR:
        return labels.SENSITIVITY_OUTPUTS["cap"]
    return labels.INDICATORS[text].name if text in labels.INDICATORS else text
