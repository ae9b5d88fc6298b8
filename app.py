"""亩云 muyun — Streamlit entry point: page config, navigation and the global filters."""

import streamlit as st

from muyun import labels
from ui import filters

st.set_page_config(page_title=labels.APP_TITLE, page_icon="🏭", layout="wide")

PAGES = [
    st.Page("pages/overview.py", title="总览", icon="📊", default=True, url_path="overview"),
    st.Page("pages/rankings.py", title="行业排名", icon="🏆", url_path="rankings"),
    st.Page("pages/enterprise.py", title="企业画像", icon="🏭", url_path="enterprise"),
    st.Page("pages/whatif.py", title="权重模拟", icon="🎚️", url_path="whatif"),
    st.Page("pages/land.py", title="低效用地整治", icon="🗺️", url_path="land"),
    st.Page("pages/data.py", title="数据管理", icon="🗂️", url_path="data"),
]

navigation = st.navigation(PAGES)
st.session_state["filters"] = filters.render_sidebar()
navigation.run()
