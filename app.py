"""亩云 muyun — Streamlit entry point: page config, navigation and the global filters."""

import logging

import duckdb
import streamlit as st

from muyun import firmlink, labels, queries, scoring
from muyun.db import StoreError
from ui import cache, filters, shared_cache

# A missing, corrupt, locked or unreadable store: one neutral Chinese page for whoever is
# looking (no path, PID or DuckDB text), the detail in the server log for the administrator.
STORE_FAILURES = (StoreError, duckdb.Error)
log = logging.getLogger("muyun.app")


def store_failure(exc: BaseException) -> None:
    """Log the real cause and show the neutral error page instead of the page."""
    log.error("store unavailable: %s", exc, exc_info=exc)
    st.error(labels.STORE_ERROR_TEXT["page"], icon=":material/error:")
    st.stop()


st.set_page_config(page_title=labels.APP_TITLE, page_icon=":material/factory:", layout="wide")

# A firm's private link (`/?t=…`) opens that firm's page and nothing else: no sidebar, no filters,
# none of the officials' pages, whatever path the address names.
if firmlink.TOKEN_PARAM in st.query_params:
    firm_page = st.Page(
        "pages/firm.py",
        title=labels.PAGE_TITLES["firm"],
        icon=":material/badge:",
        url_path="firm",
        default=True,
    )
    try:
        st.navigation([firm_page], position="hidden").run()
    except STORE_FAILURES as exc:
        store_failure(exc)
    shared_cache.collect_if_grown()
    shared_cache.freeze_imports()
    st.stop()

# Material Symbols ship with Streamlit, so the icons render on machines without emoji fonts.
ICONS = {
    "overview": ":material/dashboard:",
    "rankings": ":material/leaderboard:",
    "enterprise": ":material/factory:",
    "whatif": ":material/tune:",
    "policy": ":material/payments:",
    "land": ":material/landscape:",
    "data": ":material/database:",
    "evaluation": ":material/gavel:",
    "towns": ":material/location_city:",
    "watchlist": ":material/notification_important:",
    "programmes": ":material/insights:",
    "method": ":material/biotech:",
    "firm_links": ":material/forward_to_inbox:",
}
PAGES = {
    stem: st.Page(
        f"pages/{stem}.py",
        title=labels.PAGE_TITLES[stem],
        icon=icon,
        url_path=stem,
        default=stem == "overview",
    )
    for stem, icon in ICONS.items()
}

# Pages that never score the selected year (a "prior_year_average" profile whose year − 1 is
# missing is refused on every other page, with the message naming indicator and year).
UNSCORED_PAGES = ("data", "firm_links")

# Sections keep 13 pages findable; expanded: every page listed (a collapsed menu says
# "View 3 more" in English).
navigation = st.navigation(
    {title: [PAGES[stem] for stem in stems] for title, stems in labels.NAV_SECTIONS.items()},
    expanded=True,
)
try:
    # 数据管理 shows the whole store: its sidebar filters are greyed out, not silently ignored.
    st.session_state["filters"] = filters.render_sidebar(disabled=navigation.url_path == "data")
    if queries.is_demo(cache.dataset_info()):
        st.caption(f":material/science: {labels.DEMO_NOTICE}")
    if cache.database().read_only:
        st.caption(f":material/lock: {labels.ADMIN_LOGIN_TEXT['read_only']}")
    if navigation.url_path not in UNSCORED_PAGES:  # refuse before any fragment scores
        cache.check_prior_year(
            st.session_state["filters"].year, st.session_state["filters"].profile
        )
    navigation.run()
except STORE_FAILURES as exc:
    store_failure(exc)
except scoring.PriorYearMissing as exc:  # a profile benchmarked on a year the store lacks
    st.error(str(exc), icon=":material/event_busy:")
shared_cache.collect_if_grown()
shared_cache.freeze_imports()
