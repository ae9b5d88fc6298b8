"""Streamlit pieces that show the policy money (methodology §9): notices, totals, firm lists,
the what-if page's fiscal effect and rate sliders, the firm's own figures.

Why one module: the 政策测算 page, the what-if page and the enterprise page all show the same
figures, so they share one way to label them (万元, the illustrative notice) and the what-if
page grows only by a call or two.
"""

from __future__ import annotations

from collections.abc import Hashable

import pandas as pd
import streamlit as st
from streamlit.elements.lib.column_types import ColumnConfig

from muyun import formatting, labels, policy, report, whatif
from muyun.profile import PolicyRates, Profile
from ui import cache, paged_table, tables

T = labels.POLICY_TEXT
H = labels.POLICY_HEADERS
W = labels.WHATIF_FISCAL_TEXT
WAN = labels.UNIT_WAN_YUAN
FIRM_COLUMNS = [
    "name",
    "tier",
    "industry",
    "town",
    "land_tax_relief",
    "electricity_surcharge",
    "water_surcharge",
    "policy_net",
    "repeat_escalated",
    "credit_code",
]


def notice(profile: Profile) -> None:
    """The illustrative marking (every view that shows money) and the rates' source."""
    rates = profile.policy
    if rates is None:
        return
    if rates.illustrative or profile.illustrative:
        st.info(T["illustrative"], icon=":material/info:")
    if rates.source:
        st.caption(T["source"].format(source=rates.source))


def wan(value: float, digits: int = 2) -> str:
    return formatting.number(value, digits, WAN)


def metrics(total: policy.Totals) -> None:
    """Relief cost, surcharge revenue, net and tiered firms, as four metrics."""
    # Three money cards on a row and the firm count under them: four in a row cut the values.
    cards = [*st.columns(3), st.columns(3)[0]]
    cards[0].metric(T["metric_relief"], wan(total.land_tax_relief))
    cards[1].metric(T["metric_surcharge"], wan(total.surcharges))
    cards[2].metric(T["metric_net"], wan(total.policy_net))
    cards[3].metric(T["metric_firms"], formatting.number(total.firms, 0, labels.UNIT_FIRMS))


def money_config() -> dict[str, ColumnConfig]:
    """Column config of the money columns: 万元 in the header, two decimals."""
    return {
        column: tables.number_column(H[column].removesuffix("（万元）"), WAN)
        for column in (*policy.COLUMNS, "surcharges")
    }


def totals_table(table: pd.DataFrame, group_header: str, key: str) -> None:
    """A `policy.totals_by` table (group, tiered firms, relief, surcharges, net)."""
    st.dataframe(
        table,
        hide_index=True,
        column_config={
            "group": st.column_config.TextColumn(group_header),
            "firms": tables.number_column(H["firms"].removesuffix("（家）"), labels.UNIT_FIRMS, 0),
            **money_config(),
        },
        height=tables.table_height(len(table), 420),
        key=key,
    )


def firms_table(frame: pd.DataFrame, key: str, scope: Hashable = None) -> None:
    """The firms behind a figure, with their four columns (names shown as plain text); a page
    of them at a time when many (`scope`: what they are, see `ui.paged_table.page_of`)."""
    # On screen without the credit code (it is in the CSV), fixed widths and 万元 in the cells
    # (issue 13): every money column fits at 1280 px instead of running off the right edge.
    columns = [c for c in FIRM_COLUMNS if c in frame.columns and c != "credit_code"]
    widths = {"name": 150, "tier": 40, "industry": 70, "town": 80}
    config: dict[str, ColumnConfig] = {
        c: st.column_config.TextColumn(H[c], width=w, pinned=c == "name") for c, w in widths.items()
    }
    config["repeat_escalated"] = st.column_config.CheckboxColumn(H["repeat"], width=70)
    config.update(
        {
            column: st.column_config.NumberColumn(
                H[column].removesuffix(f"（{WAN}）"),
                format=f"%,.2f {WAN}",
                width=110 if column == "land_tax_relief" else 95,
            )
            for column in policy.COLUMNS
        }
    )
    # Every tiered firm of a province is 150,000 rows: one page of them goes to the browser.
    paged_table.render(
        frame[columns],
        key,
        column_config=config,
        scope=scope,
        hide_index=True,
        height=tables.table_height(len(frame), 420),
    )


# ── what-if ──────────────────────────────────────────────────────────────────────────────


def rate_sliders(rates: PolicyRates, key_prefix: str = "") -> dict[str, float]:
    """One slider per adjustable rate, bound to the URL; returns name → value."""
    chosen: dict[str, float] = {}
    for name, value in policy.rate_params(rates).items():
        low, high, step = policy.rate_bound(name, value)
        chosen[name] = float(
            st.slider(
                policy.rate_label(name, rates),
                min_value=low,
                max_value=high,
                value=float(value),
                step=step,
                key=f"{key_prefix}{name}",
                bind="query-params",
            )
        )
    return chosen


def fiscal_effect(effect: whatif.FiscalEffect, scale: str) -> None:
    """Δ relief, Δ surcharges, Δ net and firms paying more / less, against the baseline."""
    st.subheader(W["heading"].format(scale=scale))
    # Two rows (3 + 2 cards): five side by side cut their labels and values in the page's
    # right-hand column (issue 13); no change reads 0.00, not +0.00.
    cards = [*st.columns(3), *st.columns(3)[:2]]
    for card, name, label_key in (
        (cards[0], "land_tax_relief", "relief"),
        (cards[1], "surcharges", "surcharges"),
        (cards[2], "policy_net", "net"),
    ):
        before = getattr(effect.before, name)
        change = round(getattr(effect.after, name) - before, 2)
        card.metric(
            W[label_key],
            f"{change:+,.2f} {WAN}" if change else f"{0:.2f} {WAN}",
            help=W["baseline_help"].format(value=formatting.number(before, 2)),
        )
    cards[3].metric(W["more"], formatting.number(effect.paying_more, 0, labels.UNIT_FIRMS))
    cards[4].metric(W["less"], formatting.number(effect.paying_less, 0, labels.UNIT_FIRMS))


def fiscal_compare(effect: whatif.FiscalEffect, first: str, second: str, key: str) -> None:
    """Two scenarios' totals side by side (second − first), for the saved-scenario comparison."""
    st.markdown(f"**{W['compare_heading']}**")
    rows = ("land_tax_relief", "electricity_surcharge", "water_surcharge", "policy_net")
    table = pd.DataFrame(
        {
            "item": [H[r] for r in rows],
            "first": [getattr(effect.before, r) for r in rows],
            "second": [getattr(effect.after, r) for r in rows],
        }
    )
    table["change"] = table["second"] - table["first"]
    st.dataframe(
        table,
        hide_index=True,
        column_config={
            "item": st.column_config.TextColumn(""),
            "first": tables.number_column(first, WAN),
            "second": tables.number_column(second, WAN),
            "change": tables.number_column(labels.WHATIF_HEADERS["change"], WAN),
        },
        key=key,
    )
    st.caption(
        f"{W['more']}：{effect.paying_more} {labels.UNIT_FIRMS}{labels.CLAUSE_SEP}"
        f"{W['less']}：{effect.paying_less} {labels.UNIT_FIRMS}"
    )


def robustness_spread(spread: whatif.FiscalSpread | None, runs: int) -> None:
    """The spread of the total net fiscal effect across the random weight sets."""
    if spread is None:
        return
    st.markdown(f"**{W['robust_heading'].format(runs=runs)}**")
    st.caption(
        W["robust_line"].format(
            p5=formatting.number(spread.p5, 2),
            p50=formatting.number(spread.p50, 2),
            p95=formatting.number(spread.p95, 2),
            current=formatting.number(spread.current, 2),
        )
    )


# ── one firm ─────────────────────────────────────────────────────────────────────────────


@st.cache_data(max_entries=256, ttl=cache.CACHE_TTL_S, show_spinner=False)
def firm_lines(year: int, credit_code: str, profile_name: str, basis: str) -> tuple[str, ...]:
    """The firm's money lines as its report states them (gap to the next tier included), on
    the same result (published or live) as the report."""
    context = cache.report_context(year, profile_name, basis)
    return report.build_report(context, credit_code).money


def firm_money(year: int, credit_code: str, profile_name: str) -> None:
    """What the firm pays or saves this year because of its tier, and the next tier's gain."""
    lines = firm_lines(year, credit_code, profile_name, cache.current_basis())
    if not lines:
        return
    st.subheader(T["firm_heading"].format(year=year))
    for line in lines:
        st.markdown(f"- {line}")
