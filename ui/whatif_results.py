"""权重模拟's live result: tier counts, the migration matrix with its movers, D entries and exits,
changes per industry and the fiscal effect — computed in full first, then drawn in one go.

Why compute first: a slider step used to alternate computing and drawing, so the browser
rebuilt the result element by element for ~0.45 s (the weight total, then the counts, then the
matrix, then the movers). Everything a step shows is now ready before the first element is
sent, and long lists show what a person reads (`SHOWN` rows) with the full list as a download.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import pandas as pd
import streamlit as st

from muyun import export, formatting, labels, whatif
from ui import policy_view
from ui.filters import Filters
from ui.whatif_views import firm_table, tier_label

T = labels.WHATIF_TEXT
H = labels.WHATIF_HEADERS
L = labels.WHATIF_PANEL_TEXT
CELL_KEY = "wi_cell"
MATRIX_KEY = "wi_matrix"
INDUSTRIES_KEY = "wi_industries_open"  # the per-industry table is computed and drawn when open
MATRIX_LABEL_PX = 120  # fixed widths: readable labels, and cells a browser test can click
MATRIX_CELL_PX = 95  # 120 + 4 × 95 px: the matrix fits the right column at 1280 px
SHOWN = 100  # rows of a firm list on the page; the rest is in its download
ANY = "*"  # a cell of the migration with any tier on one side: "*D" enters D, "D*" leaves it
CELLS: list[str] = [
    "",
    f"{ANY}D",
    f"D{ANY}",
    *(b + a for b in labels.TIERS for a in labels.TIERS if a != b),
]
MOVER_COLUMNS = [
    "name",
    "industry",
    "town",
    "tier_before",
    "tier_after",
    "rank_before",
    "rank_after",
    "total_before",
    "total_after",
    "credit_code",
]
# What fits beside the matrix (who, from, to, both ranks); scores, industry, town and code
# behind 显示全部列.
MOVER_COMPACT = ["name", "tier_before", "tier_after", "rank_before", "rank_after"]


@dataclass(frozen=True)
class Results:
    """Everything one step shows, computed before anything is drawn."""

    firms: int
    moved: int
    counts: pd.DataFrame
    matrix: pd.DataFrame
    cell: str
    movers: pd.DataFrame
    into_d: int
    out_of_d: int
    industries: pd.DataFrame | None  # None while its expander is closed
    effect: whatif.FiscalEffect | None


def compute(pairs: pd.DataFrame, effect: whatif.FiscalEffect | None, f: Filters) -> Results:
    """The step's figures and lists (the sidebar's industry and town filters narrow lists only).

    The matrix cell and whether the per-industry table is open come from the session (their
    widgets are drawn later, with these values).
    """
    if st.session_state.get(CELL_KEY) not in CELLS:
        st.session_state[CELL_KEY] = ""
    cell: str = st.session_state[CELL_KEY]
    before, after = (None if side in ("", ANY) else side for side in (cell[:1], cell[1:]))
    shown = whatif.narrow(pairs, f.industries, f.towns)
    into, out_of = whatif.d_counts(shown)
    return Results(
        firms=len(pairs),
        moved=whatif.moved_count(pairs),
        counts=whatif.tier_counts(pairs),
        matrix=whatif.migration_matrix(pairs).rename(index=tier_label),
        cell=cell,
        movers=whatif.movers(shown, before, after),
        into_d=into,
        out_of_d=out_of,
        industries=whatif.industry_changes(shown) if st.session_state.get(INDUSTRIES_KEY) else None,
        effect=effect,
    )


def cell_label(cell: str) -> str:
    if not cell:
        return T["cell_all"]
    if ANY in cell:
        return L["into_d"] if cell.endswith("D") else L["out_of_d"]
    return T["cell_option"].format(
        before=cell[0],
        before_name=labels.TIER_CLASS[cell[0]],
        after=cell[1],
        after_name=labels.TIER_CLASS[cell[1]],
    )


def pick_cell() -> None:
    """A click on the migration matrix selects that cell's movers in the selectbox."""
    cells = st.session_state[MATRIX_KEY]["selection"]["cells"]
    if not cells:
        return
    row, column = cells[0]
    if column in labels.TIERS and 0 <= row < len(labels.TIERS):
        before = labels.TIERS[row]
        st.session_state[CELL_KEY] = before + column if before != column else ""


def short_list(
    frame: pd.DataFrame,
    columns: list[str],
    key: str,
    compact: list[str] | None,
    f: Filters,
    title: str,
) -> None:
    """The first `SHOWN` rows of a firm list; a longer list comes whole as an Excel download
    (built on click only), named after the filters and `title`."""
    firm_table(frame.head(SHOWN), columns, key, compact=compact)
    if len(frame) <= SHOWN:
        return
    caption, button = st.columns([3, 2], vertical_alignment="center")
    caption.caption(L["shown"].format(shown=SHOWN, n=len(frame)))
    button.download_button(
        L["download"],
        data=partial(export.to_excel_bytes, frame[columns], lambda c: H.get(c, c)),
        file_name=f"{export.file_stem(f.year, f.scale, f.industries, f.towns, title)}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        on_click="ignore",
        icon=":material/download:",
        key=f"{key}_download",
    )


def draw_tiers(results: Results, f: Filters) -> None:
    """Fiscal effect, tier counts, migration matrix and its movers, D entries and exits."""
    if results.effect is not None:
        policy_view.fiscal_effect(results.effect, f.scale)
    st.subheader(T["counts"])
    # Two by two: four cards in the right-hand column cut "D 倒逼转型升级类" at 1280 px.
    cards = [*st.columns(2), *st.columns(2)]
    for column, tier in zip(cards, labels.TIERS, strict=True):
        row = results.counts.loc[tier]
        column.metric(
            tier_label(tier),
            formatting.number(row["after"], 0, labels.UNIT_FIRMS),
            f"{row['change']:+,d} {labels.UNIT_FIRMS}" if row["change"] else None,
            delta_color="inverse" if tier in ("C", "D") else "normal",
            help=T["baseline_count"].format(n=row["before"]),
        )

    st.subheader(T["matrix"])
    st.dataframe(
        results.matrix,
        placeholder="—",
        key=MATRIX_KEY,
        on_select=pick_cell,
        selection_mode="single-cell",
        column_config={
            "_index": st.column_config.TextColumn(T["matrix_corner"], width=MATRIX_LABEL_PX),
            **{
                t: st.column_config.NumberColumn(
                    T["matrix_to"].format(tier=t),
                    format=f"%d {labels.UNIT_FIRMS}",
                    width=MATRIX_CELL_PX,
                    help=tier_label(t),
                )
                for t in labels.TIERS
            },
        },
    )
    st.caption(T["matrix_help"])
    st.selectbox(T["cell"], CELLS, format_func=cell_label, key=CELL_KEY)
    st.markdown(f"**{T['movers'].format(n=len(results.movers))}**")
    if results.movers.empty:
        st.caption(T["no_movers"])
    else:
        title = cell_label(results.cell)
        short_list(results.movers, MOVER_COLUMNS, "wi_movers", MOVER_COMPACT, f, title)

    # Entries into and exits from D: the counts here, the firms in the list above ("*D", "D*").
    left, right = st.columns(2)
    left.error(T["into_d"].format(n=results.into_d), icon=":material/arrow_downward:")
    right.success(T["out_of_d"].format(n=results.out_of_d), icon=":material/arrow_upward:")


def draw_industries(results: Results) -> None:
    """Changes per industry, at the page's full width (ten columns do not fit beside sliders),
    folded and lazy: while the expander is closed a slider step neither computes nor sends the
    table (a plain expander's content is computed and sent on every step, open or not)."""
    box = st.expander(
        T["industries"], icon=":material/category:", key=INDUSTRIES_KEY, on_change="rerun"
    )
    if results.industries is None or not box.open:
        return
    with box:
        st.dataframe(
            results.industries,
            placeholder="—",
            hide_index=True,
            # Ten columns in the page width: the unit goes into the cells, headers stay short.
            column_config={
                name: st.column_config.TextColumn(H[name], width=80)
                if name == "industry"
                else st.column_config.NumberColumn(
                    H[name].removesuffix(f"（{labels.UNIT_FIRMS}）"),
                    format=f"%d {labels.UNIT_FIRMS}",
                    width=78,
                )
                for name in results.industries.columns
            },
            key="wi_industries",
        )
