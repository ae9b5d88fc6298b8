"""企业链接与送达: each firm's private link per evaluation run (generate, revoke, reissue — 管理员
only), and who has opened, confirmed, disputed, objected and read the report, by town and industry.

Reading the status is open like every reading page; the links themselves are secrets and are only
handed out (as the towns' Excel list) behind the "run_cycle" login.
"""

from datetime import date
from urllib.parse import urlsplit

import streamlit as st

from muyun import evaluation, firmlink, labels
from ui import admin, cache, evaluation_review, filters, firm_portal, paged_table, tables

filters.require_app()

T = labels.FIRMLINK_PAGE_TEXT
H = labels.FIRMLINK_HEADERS
st.title(labels.PAGE_TITLES["firm_links"])
st.caption(T["intro"])

db = cache.database()
runs = evaluation.list_runs(db.reader())
if not runs:
    st.info(T["no_runs"], icon=":material/info:")
    st.stop()
by_id = {run.id: run for run in runs}
run_id = st.selectbox(
    T["run"],
    list(by_id),
    format_func={  # a bound method, not a lambda: see pages/enterprise.py
        i: T["run_option"].format(year=r.year, profile=r.profile_name, stage=r.stage, id=i)
        for i, r in by_id.items()
    }.__getitem__,
    key="firm_links_run",
)
run = by_id[run_id]
firms = firmlink.run_firms(db.reader(), run.id)
secret = firm_portal.link_secret()
firm_portal.show_flash()


def _default_base_url() -> str:
    """This server's own address as the browser reached it (the official may correct it)."""
    parts = urlsplit(st.context.url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


with st.expander(T["manage"], icon=":material/link:", expanded=False):
    if secret is None:
        st.warning(labels.FIRMLINK_TEXT["disabled"], icon=":material/link_off:")
    elif (account := admin.require("run_cycle", key="firm_links")) is not None:
        st.caption(T["live_count"].format(n=firmlink.live_link_count(db.reader(), run.id)))
        left, right = st.columns(2)
        base_url = left.text_input(
            T["base_url"], value=_default_base_url(), help=T["base_url_help"], key="fl_base"
        )
        until = right.date_input(
            T["expiry"], value=firmlink.default_expiry(), min_value=date.today(), key="fl_until"
        )
        if st.button(T["generate"], icon=":material/add_link:", key="fl_generate"):
            try:
                made = firmlink.issue_missing(
                    db, run.id, expires_at=firmlink.expiry_at_end_of(until), actor=account
                )
            except firmlink.LinkError as exc:
                st.error(exc.message)
            else:
                firm_portal.flash(T["generated"].format(n=made) if made else T["none_generated"])
        try:
            base = firmlink.normalise_base_url(base_url)
        except firmlink.LinkError as exc:
            st.error(exc.message)
        else:

            def links_file(secret: bytes = secret) -> bytes:
                live = firmlink.live_links(db.reader(), run.id, secret=secret, base_url=base)
                return firmlink.links_xlsx(live)

            st.download_button(
                T["download_links"],
                data=links_file,
                file_name=T["links_file"].format(year=run.year, run=run.id),
                mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                on_click="ignore",
                icon=":material/download:",
                key="fl_download_links",
            )
        code = evaluation_review.firm_picker(firms, "fl_firm", T["firm"])
        revoke_col, reissue_col = st.columns(2)
        if code and revoke_col.button(T["revoke"], icon=":material/link_off:", key="fl_revoke"):
            try:
                count = firmlink.revoke(db, run.id, code, actor=account)
            except firmlink.LinkError as exc:
                st.error(exc.message)
            else:
                firm_portal.flash(T["revoked"].format(n=count) if count else T["nothing_revoked"])
        if code and reissue_col.button(T["reissue"], icon=":material/autorenew:", key="fl_reissue"):
            try:
                version = firmlink.reissue(
                    db,
                    run.id,
                    code,
                    expires_at=firmlink.expiry_at_end_of(until),
                    actor=account,
                )
            except firmlink.LinkError as exc:
                st.error(exc.message)
            else:
                firm_portal.flash(T["reissued"].format(version=version))

st.header(T["status_header"])
status = firmlink.read_status(db.reader(), run.id)
by_town, by_industry, per_firm = st.tabs([T["by_town"], T["by_industry"], T["per_firm"]])
for tab, column in ((by_town, "town"), (by_industry, "industry")):
    table = firmlink.summary(status, column)
    tab.dataframe(
        table.rename(columns=H),
        hide_index=True,
        width="stretch",
        height=tables.table_height(len(table)),
    )
with per_firm:
    # A page of the run's firms (200,000 at province scale), sorted on the stored times; only
    # the page's times are written out as local text.
    headers = {c: H[c] for c in status.columns}
    shown = paged_table.page_of(status, "fl_status", headers, scope=run.id).copy()
    for column in ("opened_first", "confirmed_at", "disputed_at", "report_first", "report_last"):
        shown[column] = shown[column].map(firmlink.local_text)
    st.dataframe(shown.rename(columns=H), hide_index=True, width="stretch")

unread = firmlink.unread(status)
left, right = st.columns(2)
left.download_button(
    T["download_status"],
    data=lambda: firmlink.status_xlsx(status),
    file_name=T["status_file"].format(year=run.year, run=run.id),
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    on_click="ignore",
    icon=":material/download:",
    key="fl_download_status",
)
right.download_button(
    T["download_unread"].format(n=len(unread)),
    data=lambda: firmlink.status_xlsx(unread),
    file_name=T["unread_file"].format(year=run.year, run=run.id),
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    on_click="ignore",
    icon=":material/download:",
    key="fl_download_unread",
)
