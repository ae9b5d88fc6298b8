"""Login for the pages that write (imports, list edits, saved scenarios, the evaluation cycle).

Reading pages stay open; a write control calls `require(action, key)` and draws itself only when
it returns an account. The session remembers only *who* logged in; whether the password was
right, and how long a client must wait after failures, is decided by `muyun.accounts` from the
store, so a reload or a new tab gives no fresh tries.
"""

from __future__ import annotations

import os

import streamlit as st

from muyun import accounts, labels
from muyun.accounts import Account
from ui import cache

_STATE = "muyun_account"
LOCAL_CLIENT = "local"


def client_address() -> str:
    """The browser's address as the server saw it ("local" for this machine), or as a trusted
    reverse proxy reports it (`MUYUN_TRUSTED_PROXIES`, see `accounts.client_address`)."""
    address = st.context.ip_address
    # Only a real address string counts (the test harness hands back a stand-in object).
    peer = address if isinstance(address, str) and address else LOCAL_CLIENT
    forwarded = st.context.headers.get("X-Forwarded-For")
    return accounts.client_address(peer, forwarded, accounts.trusted_proxies(os.environ))


def current_account() -> Account | None:
    """The logged-in account of this session, re-read from the store (deactivation takes effect)."""
    username = st.session_state.get(_STATE)
    if not username:
        return None
    account = accounts.get_account(cache.database().reader(), username)
    if account is None:
        st.session_state.pop(_STATE, None)
    return account


def require(action: str, key: str) -> Account | None:
    """Draw the login form (or who is logged in, with a logout button); the account if it may
    do `action`, else None after saying why in Chinese."""
    text = labels.ADMIN_LOGIN_TEXT
    db = cache.database()
    if db.read_only:
        st.info(text["read_only"])
        return None
    account = current_account()
    if account is not None:
        line, button = st.columns([4, 1], vertical_alignment="center")
        line.caption(text["logged_in"].format(name=account.display_name, role=account.role))
        if button.button(text["logout"], key=f"{key}_logout", icon=":material/logout:"):
            st.session_state.pop(_STATE, None)
            st.rerun()
        if accounts.can(account, action):
            return account
        st.warning(text["not_allowed"].format(role=account.role))
        return None

    if not accounts.has_accounts(db.reader()):
        st.info(text["no_accounts"])
        return None
    st.caption(text["needed"])
    with st.form(f"{key}_login", clear_on_submit=True):
        username = st.text_input(text["username"], key=f"{key}_username", max_chars=64)
        password = st.text_input(text["password"], type="password", key=f"{key}_password")
        submitted = st.form_submit_button(text["login"], icon=":material/login:")
    if submitted:
        try:
            account = accounts.authenticate(db, username, password, client_address())
        except accounts.LoginRefused as refused:
            st.error(refused.message)
        else:
            st.session_state[_STATE] = account.username
            st.rerun()
    return None
