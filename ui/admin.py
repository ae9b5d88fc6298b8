"""Administrator mode for the pages that write (data import, list edits).

Reading pages stay open; a page that writes calls `admin_panel()` and only shows its write
controls when it returns True. The password is checked against the configured bcrypt hash
(`muyun.auth`); the session remembers success, and repeated failures lock the form for a while.
"""

from __future__ import annotations

import time

import streamlit as st

from muyun import auth, labels

_STATE = "muyun_admin"
_FAILURES = "muyun_admin_failures"
_LOCKED_UNTIL = "muyun_admin_locked_until"
MAX_FAILURES = 5
LOCK_SECONDS = 60


def configured_hash() -> str | None:
    """The administrator hash from the environment or `.streamlit/secrets.toml`, if any."""
    try:
        secrets = dict(st.secrets)
    except FileNotFoundError:
        secrets = {}
    return auth.configured_hash(secrets)


def admin_panel(key: str = "admin") -> bool:
    """Draw the login (or logout) controls; True when this session may write."""
    text = labels.ADMIN_TEXT
    password_hash = configured_hash()
    if password_hash is None:
        st.session_state[_STATE] = False
        st.info(text["disabled"])
        return False
    if st.session_state.get(_STATE):
        st.success(text["ok"])
        if st.button(text["logout"], key=f"{key}_logout"):
            st.session_state[_STATE] = False
            st.rerun()
        return True

    st.caption(text["needed"])
    with st.form(f"{key}_login", clear_on_submit=True):
        password = st.text_input(text["password"], type="password", key=f"{key}_password")
        submitted = st.form_submit_button(text["login"])
    if submitted:
        if time.monotonic() < st.session_state.get(_LOCKED_UNTIL, 0.0):
            st.error(text["locked"])
        elif auth.verify_password(password, password_hash):
            st.session_state[_STATE] = True
            st.session_state[_FAILURES] = 0
            st.rerun()
        else:
            failures = st.session_state.get(_FAILURES, 0) + 1
            st.session_state[_FAILURES] = failures
            if failures >= MAX_FAILURES:
                st.session_state[_LOCKED_UNTIL] = time.monotonic() + LOCK_SECONDS
                st.session_state[_FAILURES] = 0
            st.error(text["wrong"])
    return False
