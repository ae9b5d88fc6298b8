"""亩云 muyun — Streamlit entry point: page config, navigation and the global filters."""

import logging

import duckdb
import streamlit as st

from muyun import firmlink, labels, queries
from muyun.db import StoreError
from ui import cache, filters

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

navigation = st.navigation(list(PAGES.values()))
try:
    st.session_state["filters"] = filters.render_sidebar()
    if queries.is_demo(cache.dataset_info()):
        st.caption(f":material/science: {labels.DEMO_NOTICE}")
    if cache.database().read_only:
        st.caption(f":material/lock: {labels.ADMIN_LOGIN_TEXT['read_only']}")
    navigation.run()
except STORE_FAILURES as exc:
    store_failure(exc)
