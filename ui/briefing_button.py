"""The one-click briefing (汇报材料) of 总览: a PDF of the current view for A4 print."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from muyun import briefing, export, labels, queries, report
from muyun import land as land_service
from ui import cache, land_cache
from ui.filters import Filters

T = labels.OVERVIEW_EXTRA


def land_rows(year: int) -> list[tuple[str, str]]:
    """The year's rectification progress (done, target, share), empty without land data."""
    if year not in land_cache.land_years():
        return []
    view = land_cache.year_view(year)
    rows = [(T["land_done"], land_service.fmt_number(view.total_mu, 1))]
    if view.total_target_mu:
        rows.append((T["land_target"], land_service.fmt_number(view.total_target_mu, 1)))
        rows.append((T["land_progress"], f"{view.total_mu / view.total_target_mu:.1%}"))
    return rows


def scoped(f: Filters, year: int, basis: str) -> pd.DataFrame | None:
    """The scored year cut to every sidebar filter (None: no data that year)."""
    if year not in cache.available_years():
        return None
    return f.select(cache.scored_year(year, f.profile, basis))


def render(f: Filters, data: dict[str, object]) -> None:
    """A download button; the PDF is drawn only when clicked. The button holds the filters,
    not the firms: the scored years are fetched from the shared cache on the click."""
    prof_name = f.profile
    basis = cache.current_basis()
    demo = queries.is_demo(cache.dataset_info())

    def pdf() -> bytes:
        prof = cache.load_profile(prof_name)
        current = scoped(f, f.year, basis)
        assert current is not None
        kpis = data["kpis"]
        before = data["previous"]
        trend = data["trend"]
        assert isinstance(kpis, queries.Kpis) and isinstance(trend, pd.DataFrame)
        built = briefing.build(
            year=f.year,
            scale=f.scale,
            scope={"industry": f.industries, "tier": f.tiers, "town": f.towns},
            profile=prof,
            kpis=kpis,
            previous=before if isinstance(before, queries.Kpis) else None,
            trend=trend,
            changes=briefing.tier_changes(current, scoped(f, f.year - 1, basis)),
            generated=f"{date.today():%Y-%m-%d}",
            land=land_rows(f.year),
            note=labels.DEMO_NOTICE if demo else "",
        )
        # fpdf2 is imported on the click, not with the page (a few tenths of a second).
        from muyun.report_templates import briefing_pdf

        return briefing_pdf.render(built, report.cjk_font_path())

    stem = export.file_stem(f.year, f.scale, f.industries, f.tiers, f.towns, T["briefing_file"])
    st.download_button(
        T["briefing"],
        data=pdf,
        file_name=f"{stem}.pdf",
        mime="application/pdf",
        on_click="ignore",
        icon=":material/picture_as_pdf:",
        help=T["briefing_help"],
        key="overview_briefing",
    )
