"""The firm portal's parts (pages/firm.py): the token gate, the data sheet, the objection form,
the report and the tier history — everything shown is the linked firm's own.

Why a gate that stops the script: the page must draw nothing before the token is checked, and a
refusal must look the same whatever was wrong with the token, so `gate()` either returns the
access or draws the one neutral page and stops.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from muyun import evaluation, evidence, firmlink, labels, report
from muyun.db import StoreError
from muyun.evaluation import Run
from muyun.firmlink import FirmAccess
from ui import admin, cache, fmt, tables

T = labels.FIRM_PAGE_TEXT
EVIDENCE_TYPES = ["pdf", "png", "jpg", "jpeg"]
TEXT_MAX = 2000
_FLASH = "firm_portal_flash"


def link_secret() -> bytes | None:
    """The server's link secret (env or `.streamlit/secrets.toml`), None when not configured."""
    try:
        configured = dict(st.secrets)
    except FileNotFoundError:
        configured = {}
    return firmlink.configured_secret(configured)


def refused(*, throttled: bool = False) -> None:
    """The one neutral page for every refused link: it says nothing about why."""
    st.title(T["refused_title"])
    st.warning(T["throttled"] if throttled else T["refused"], icon=":material/link_off:")


def gate() -> FirmAccess:
    """The access the URL's token grants, checked on every run; otherwise draw and stop."""
    secret = link_secret()
    if secret is None:
        st.title(labels.PAGE_TITLES["firm"])
        st.info(T["disabled"], icon=":material/link_off:")
        st.stop()
    token = st.query_params.get(firmlink.TOKEN_PARAM, "")
    try:
        return firmlink.check(cache.database(), token, secret=secret, client=admin.client_address())
    except firmlink.LinkRefused as refusal:
        refused(throttled=refusal.throttled)
        st.stop()
        raise  # st.stop() raises; this keeps type checkers sure the function never falls through


def record_once(access: FirmAccess, event: str) -> None:
    """Log an access event once per browser session and link (reruns do not count again)."""
    key = f"firm_portal_{event}_{access.link_key}"
    if not st.session_state.get(key):
        firmlink.record_event(cache.database(), access, event)
        st.session_state[key] = True


def flash(message: str) -> None:
    """Show `message` after the rerun that follows a submitted form."""
    st.session_state[_FLASH] = message
    st.rerun()


def show_flash() -> None:
    message = st.session_state.pop(_FLASH, None)
    if message:
        st.success(message, icon=":material/check_circle:")


def header(access: FirmAccess, run: Run) -> None:
    """The firm's own name, the run and where it stands, and a do-not-forward note."""
    con = cache.database().reader()
    st.title(labels.PAGE_TITLES["firm"])
    st.subheader(fmt.escape_markdown(firmlink.firm_name(con, access)))
    st.caption(
        T["run_line"].format(
            year=run.year, stage=run.stage, expires=firmlink.local_text(access.expires_at)
        )
    )
    st.caption(f":material/lock: {T['private']}")
    show_flash()


def _field_label(key: str) -> str:
    header_ = labels.TABLE_HEADERS["enterprises"].get(key, key)
    return header_.split("（", 1)[0]


def _stored_evidence(upload) -> evidence.EvidenceRef | None:
    """Check and store an upload (type by content, size-limited); None when nothing was sent."""
    if upload is None:
        return None
    return evidence.store(
        upload.getvalue(), upload.name, root=evidence.root_for(cache.database().path)
    )


def data_sheet(access: FirmAccess, run: Run) -> None:
    """The data sheet, and during 数据确认 the form to confirm it or dispute named fields."""
    con = cache.database().reader()
    st.header(T["sheet_header"])
    st.caption(T["sheet_intro"])
    sheet = evaluation.firm_sheet(con, access.run_id, access.credit_code)
    st.dataframe(
        sheet.rename(
            columns={"label": T["sheet_field"], "value": T["sheet_value"], "unit": T["sheet_unit"]}
        ),
        hide_index=True,
        width="stretch",
        height=tables.table_height(len(sheet)),  # the whole sheet, no inner scroll
    )
    answer = firmlink.firm_answer(con, access)
    if answer is not None:
        st.info(
            T["answer_recorded"].format(
                at=firmlink.local_text(answer.recorded_at), answer=answer.answer
            ),
            icon=":material/task_alt:",
        )
        if answer.fields:
            names = labels.LIST_SEP.join(_field_label(f) for f in answer.fields)
            st.caption(T["answer_fields"].format(fields=names))
    if run.stage != evaluation.STAGE_CONFIRM:
        st.caption(T["sheet_closed"])
        return
    with st.form("firm_sheet_form"):
        choice = st.radio(
            T["answer"], [T["answer_ok"], T["answer_dispute"]], key="firm_answer", horizontal=True
        )
        fields = st.multiselect(
            T["fields"], list(evaluation.CORRECTABLE), format_func=_field_label, key="firm_fields"
        )
        comment = st.text_area(T["comment"], max_chars=TEXT_MAX, key="firm_comment")
        upload = st.file_uploader(T["evidence"], type=EVIDENCE_TYPES, key="firm_evidence")
        submitted = st.form_submit_button(T["submit"], icon=":material/send:")
    if not submitted:
        return
    disputing = choice == T["answer_dispute"]
    if disputing and (not fields or not comment.strip()):
        st.error(T["need_fields"])
        return
    try:
        ref = _stored_evidence(upload)
        firmlink.confirm_sheet(
            cache.database(),
            access,
            disputed_fields=list(fields) if disputing else [],
            comment=comment.strip(),
            evidence=ref,
        )
    except (evaluation.EvaluationError, evidence.EvidenceError) as exc:
        st.error(str(exc))
        return
    except StoreError as exc:
        st.error(exc.message)
        return
    except firmlink.LinkRefused:  # revoked between the page run and the click
        refused()
        st.stop()
    flash(T["disputed"] if disputing else T["confirmed"])


def objection_form(access: FirmAccess, run: Run) -> None:
    """During 公示中: grounds and evidence, into the officials' review queue."""
    con = cache.database().reader()
    st.header(T["objection_header"])
    st.caption(T["objection_intro"].format(start=run.notice_start, end=run.notice_end))
    filed = firmlink.firm_objection_count(con, access)
    if filed:
        st.info(T["objections_filed"].format(n=filed), icon=":material/gavel:")
    start, end = run.notice_start, run.notice_end
    if start and end and not start <= date.today() <= end:  # the service refuses it too
        st.caption(labels.OBJECTION_PERIOD_TEXT["closed"].format(start=start, end=end))
        return
    with st.form("firm_objection_form", clear_on_submit=True):
        grounds = st.text_area(T["grounds"], max_chars=TEXT_MAX, key="firm_grounds")
        upload = st.file_uploader(T["evidence"], type=EVIDENCE_TYPES, key="firm_objection_file")
        submitted = st.form_submit_button(T["objection_submit"], icon=":material/send:")
    if not submitted:
        return
    if not grounds.strip():
        st.error(T["need_grounds"])
        return
    try:
        ref = _stored_evidence(upload)
        objection_id = firmlink.file_objection(
            cache.database(), access, grounds=grounds.strip(), evidence=ref
        )
    except (evaluation.EvaluationError, evidence.EvidenceError) as exc:
        st.error(str(exc))
        return
    except StoreError as exc:
        st.error(exc.message)
        return
    except firmlink.LinkRefused:  # revoked between the page run and the click
        refused()
        st.stop()
    flash(T["objected"].format(id=objection_id))


@st.cache_resource(max_entries=2, ttl=cache.CACHE_TTL_S, show_spinner=False)
def published_context(run_id: int) -> report.ReportContext:
    """A published run's report context, built once for all firms (a published run is locked)."""
    return evaluation.report_context(cache.database().reader(), run_id)


def _pairs(pairs: tuple[tuple[str, str], ...]) -> pd.DataFrame:
    return pd.DataFrame(list(pairs), columns=[T["sheet_field"], T["report_value"]])


def _table(table: report.Table | None) -> None:
    if table is not None and table.rows:
        st.dataframe(pd.DataFrame(list(table.rows), columns=list(table.header)), hide_index=True)


def published_report(access: FirmAccess, run: Run) -> None:
    """After 已发布: the firm's report (opened on request, counted once per session) and PDF."""
    st.header(T["report_header"])
    key = f"firm_report_open_{access.link_key}"
    if not st.session_state.get(key):
        if st.button(T["report_open"], icon=":material/description:", type="primary"):
            st.session_state[key] = True
            st.rerun()
        return
    record_once(access, firmlink.EVENT_REPORT)
    with st.spinner(T["report_loading"]):
        ctx = published_context(run.id)
        data = report.build_report(ctx, access.credit_code)
    st.subheader(T["report_title"].format(year=data.year))
    st.dataframe(_pairs(data.firm), hide_index=True)
    st.dataframe(_pairs(data.result), hide_index=True)
    _table(data.computation)
    if data.comparison is not None:
        st.markdown(f"**{T['report_comparison']}**")
        _table(data.comparison)
    if data.suggestions:
        st.markdown(f"**{T['report_suggestions']}**")
        for line in data.suggestions:
            st.text(f"· {line}")
    if data.policies:
        st.markdown(f"**{T['report_policies']}**")
        st.dataframe(_pairs(data.policies), hide_index=True)
    db = cache.database()

    def pdf() -> bytes:
        return report.render_pdf(
            db.reader(),
            run.year,
            access.credit_code,
            ctx.profile,
            context=published_context(run.id),
        )

    st.download_button(
        T["report_pdf"],
        data=pdf,
        file_name=report.report_filename(access.credit_code, data.name, ".pdf"),
        mime="application/pdf",
        on_click="ignore",
        icon=":material/picture_as_pdf:",
        key="firm_report_pdf",
    )


def tier_history(access: FirmAccess, run: Run) -> None:
    """The firm's final published tier in every published year up to the run's."""
    st.header(T["history_header"])
    history = evaluation.published_tier_history(cache.database().reader(), run.year)
    rows = []
    for year, tiers in history.items():
        if access.credit_code not in tiers.index:
            continue
        tier = tiers.loc[access.credit_code]
        rows.append(
            {
                T["history_year"]: str(year),
                T["history_tier"]: T["untiered"]
                if pd.isna(tier)
                else f"{tier} {labels.TIER_CLASS.get(str(tier), '')}",
            }
        )
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True)
    else:
        st.caption(T["history_none"])
