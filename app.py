"""亩云 muyun — Streamlit entry point: page config, navigation and the global filters."""

import streamlit as st

from muyun import labels, queries
from ui import cache, filters

st.set_page_config(page_title=labels.APP_TITLE, page_icon=":material/factory:", layout="wide")

# Material Symbols ship with Streamlit, so the icons render on machines without emoji fonts.
ICONS = {
    "overview": ":material/dashboard:",
    "rankings": ":material/leaderboard:",
    "enterprise": ":material/factory:",
    "whatif": ":material/tune:",
    "land": ":material/landscape:",
    "data": ":material/database:",
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
st.session_state["filters"] = filters.render_sidebar()
if queries.is_demo(cache.dataset_info()):
    st.caption(f":material/science: {labels.DEMO_NOTICE}")
navigation.run()
