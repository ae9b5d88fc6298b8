"""The same-run baseline of the what-if speed check: one slider and the text it updates."""

import streamlit as st

value = st.slider("权重（分）", min_value=0.0, max_value=100.0, value=30.0, step=0.5, key="w")
st.caption(f"计算完成 · 权重合计 {value:g} 分")
