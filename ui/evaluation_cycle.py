"""年度评价 page, the run's own steps: create, header and stage, notice, publish, audit log.

Every write goes through `muyun.evaluation` with the logged-in account; a refusal
(`EvaluationError`) is shown as its Chinese message. After a write the data caches are cleared
(the sidebar's published/live switch and every page read the new state) and the page reruns
with a one-time confirmation message.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import streamlit as st

from muyun import audit, datasheet, evaluation, labels, profile
from muyun.accounts import Account
from ui import cache

T = labels.EVAL_PAGE_TEXT
TABS = ("confirm", "notice", "objections", "overrides", "publish", "audit")
_FLASH = "evaluation_flash"


def done(message: str) -> None:
    """After a successful write: fresh caches, and the message shown once after the rerun."""
    cache.clear_data_caches()
    st.session_state[_FLASH] = message
    st.rerun()


def refused(error: ValueError) -> None:
    """A refused step, in the service's own words."""
    st.error(str(error), icon=":material/block:")


def create_run_form(year: int, profile_name: str, account: Account) -> None:
    """Freeze the year under a profile (管理员)."""
    with st.expander(T["create_heading"], icon=":material/add_circle:"):
        names = cache.profile_names()
        stems = list(names)
        with st.form("evaluation_create"):
            stem = st.selectbox(
                T["create_profile"],
                stems,
                index=stems.index(profile_name) if profile_name in stems else 0,
                format_func=lambda s: names[s],
            )
            st.caption(T["create_help"].format(year=year))
            submitted = st.form_submit_button(T["create_button"], icon=":material/lock:")
        if submitted:
            text = profile.profile_path(stem).read_text(encoding="utf-8")
            try:
                run_id = evaluation.create_run(
                    cache.database(), year, text, profile_id=stem, actor=account
                )
            except evaluation.EvaluationError as error:
                refused(error)
            else:
                st.session_state["run"] = run_id  # the run picker shows the new run
                done(T["created"].format(run=run_id, year=year))


def run_header(con: duckdb.DuckDBPyConnection, run: evaluation.Run) -> None:
    """The run's stage as a row of steps, and its counts."""
    message = st.session_state.pop(_FLASH, None)
    if message:
        st.success(message, icon=":material/check_circle:")
    stages = labels.EVAL_STAGES
    current = stages.index(run.stage)
    icons = ["check_circle"] * current + ["radio_button_checked"]
    icons += ["radio_button_unchecked"] * (len(stages) - current - 1)
    marks = [f":material/{icon}: {stage}" for icon, stage in zip(icons, stages, strict=True)]
    st.markdown("  →  ".join(f"**{m}**" if i == current else m for i, m in enumerate(marks)))
    summary = evaluation.run_summary(con, run.id)
    cols = st.columns(6)
    for col, key in zip(
        cols,
        ("firms", "confirmed", "disputed", "objections", "corrections", "overrides"),
        strict=True,
    ):
        col.metric(T[f"metric_{key}"], f"{summary[key]:,}")
    st.caption(
        T["run_line"].format(
            run=run.id,
            year=run.year,
            profile=run.profile_name,
            created=run.created_at.strftime("%Y-%m-%d %H:%M"),
            by=run.created_by,
            version=run.muyun_version,
        )
    )


def notice_tab(
    con: duckdb.DuckDBPyConnection, run: evaluation.Run, account: Account | None
) -> None:
    """The notice period (管理员) and the public list as xlsx and PDF."""
    st.caption(T["notice_help"])
    if run.notice_start:
        st.info(T["notice_period"].format(start=run.notice_start, end=run.notice_end))
    if account is not None and run.stage != evaluation.STAGE_PUBLISHED:
        with st.form("evaluation_notice"):
            left, right = st.columns(2)
            start = left.date_input(T["notice_start"], value=run.notice_start or date.today())
            days = right.number_input(
                T["notice_days"],
                min_value=evaluation.NOTICE_MIN_DAYS,
                max_value=evaluation.NOTICE_MAX_DAYS,
                value=7,
                step=1,
            )
            submitted = st.form_submit_button(T["notice_button"], icon=":material/campaign:")
        if submitted:
            try:
                evaluation.start_notice(
                    cache.database(), run.id, start=start, days=int(days), actor=account
                )
            except evaluation.EvaluationError as error:
                refused(error)
            else:
                done(T["noticed"].format(run=run.id))
    if run.notice_start is None:
        return
    left, right = st.columns(2)
    stem = T["notice_file"].format(year=run.year, run=run.id)
    left.download_button(
        T["notice_xlsx"],
        data=lambda: datasheet.notice_file(cache.database().reader(), run.id, ".xlsx"),
        file_name=f"{stem}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/table_view:",
        key="evaluation_notice_xlsx",
    )
    right.download_button(
        T["notice_pdf"],
        data=lambda: datasheet.notice_file(cache.database().reader(), run.id, ".pdf"),
        file_name=f"{stem}.pdf",
        mime="application/pdf",
        icon=":material/picture_as_pdf:",
        key="evaluation_notice_pdf",
    )


def publish_tab(
    con: duckdb.DuckDBPyConnection, run: evaluation.Run, account: Account | None
) -> None:
    """Publish (管理员, 公示中 only), and the run's result export."""
    if run.stage == evaluation.STAGE_PUBLISHED:
        st.success(
            T["published_line"].format(
                at=f"{run.published_at:%Y-%m-%d %H:%M}", by=run.published_by
            ),
            icon=":material/verified:",
        )
    elif account is not None:
        st.caption(T["publish_help"])
        sure = st.checkbox(T["publish_confirm"], key="evaluation_publish_sure")
        if st.button(
            T["publish_button"], disabled=not sure, type="primary", icon=":material/gavel:"
        ):
            try:
                evaluation.publish(cache.database(), run.id, actor=account)
            except evaluation.EvaluationError as error:
                refused(error)
            else:
                done(T["published"].format(run=run.id, year=run.year))
    else:
        st.caption(T["publish_admin_only"])
    stem = T["export_file"].format(year=run.year, run=run.id)
    left, right = st.columns(2)
    left.download_button(
        T["export_csv"],
        data=lambda: evaluation.export_bytes(
            evaluation.export_table(cache.database().reader(), run.id), ".csv"
        ),
        file_name=f"{stem}.csv",
        mime="text/csv",
        icon=":material/download:",
        key="evaluation_export_csv",
    )
    right.download_button(
        T["export_xlsx"],
        data=lambda: evaluation.export_bytes(
            evaluation.export_table(cache.database().reader(), run.id), ".xlsx"
        ),
        file_name=f"{stem}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/table_view:",
        key="evaluation_export_xlsx",
    )


def audit_tab(con: duckdb.DuckDBPyConnection, run: evaluation.Run) -> None:
    """The run's audit rows, the whole chain's verification, and the CSV export."""
    problems = audit.verify(con)
    if problems:
        for problem in problems:
            st.error(problem, icon=":material/gpp_bad:")
    else:
        st.success(T["audit_ok"], icon=":material/verified_user:")
        st.caption(labels.AUDIT_CHECK_TEXT["head"].format(hash=audit.head(con)[1]))
    log = audit.log_frame(con, run.id)
    st.dataframe(_audit_view(log), hide_index=True, width="stretch")
    st.download_button(
        T["audit_csv"],
        data=lambda: evaluation.audit_csv(cache.database().reader(), run.id),
        file_name=T["audit_file"].format(run=run.id),
        mime="text/csv",
        icon=":material/download:",
        key="evaluation_audit_csv",
    )


def _audit_view(log: pd.DataFrame) -> pd.DataFrame:
    view = log.drop(columns=["prev_hash"]).assign(hash=log["hash"].str.slice(0, 12))
    return view.rename(columns=labels.AUDIT_HEADERS)
