"""The method in words where a director looks (总览, 行业排名): tier bands, the D line, why
totals exceed 100, and the step-by-step "how is this score computed" — all from the profile."""

from __future__ import annotations

import streamlit as st

from muyun import briefing, labels
from muyun.profile import Profile

T = labels.RANKINGS_EXTRA


def render(profile: Profile, scale: str, *, steps: bool = True) -> None:
    """A short always-visible legend, and the computation steps in an expander."""
    lines = briefing.method_legend(profile, scale)
    st.caption(":material/rule: " + T["legend"] + "：" + "；".join(lines))
    if steps:
        with st.expander(T["how"], icon=":material/calculate:"):
            st.markdown("\n".join(f"- {line}" for line in briefing.score_steps(profile, scale)))
