"""年度评价 page, the firms' side: data confirmation, objections with the correction preview,
overrides (调档).

Why the preview is kept in the session: the reviewer looks at every firm a correction moves
before accepting it, and 采纳 applies exactly the previewed values (changing a value drops the
preview). Evidence is offered back only as a download with its detected type, never shown
inline.
"""

from __future__ import annotations

import json
from datetime import date
from functools import partial

import duckdb
import pandas as pd
import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from muyun import datasheet, evaluation, evidence, export, labels
from muyun.accounts import Account
from ui import cache, fmt, paged_table
from ui.evaluation_cycle import done, refused

T = labels.EVAL_PAGE_TEXT
_PREVIEW = "evaluation_preview"
PICKER_ALL, PICKER_MATCHES = 5000, 200
_FIELD_NAMES = {key: labels.TABLE_HEADERS["enterprises"][key] for key in evaluation.CORRECTABLE}


def _firms(con: duckdb.DuckDBPyConnection, run_id: int) -> pd.DataFrame:
    return evaluation.confirmations(con, run_id)


def firm_picker(firms: pd.DataFrame, key: str, label: str = T["firm"]) -> str | None:
    """A firm of the run by name or credit code (names are plain text in the options).

    Drawn outside forms, so that a large city's search box filters as the official types: past
    `PICKER_ALL` firms the box lists only the first `PICKER_MATCHES` matches of a search (a
    province's run is 200,000 firms). Also the 企业链接 page's picker.
    """
    if len(firms) > PICKER_ALL:
        text = st.text_input(T["firm_search"], key=f"{key}_search", max_chars=60).strip()
        hit = firms["credit_code"].str.contains(text, regex=False) | firms["name"].str.contains(
            text, regex=False
        )
        firms = firms.loc[hit].head(PICKER_MATCHES) if text else firms.iloc[0:0]
    names = dict(zip(firms["credit_code"], firms["name"], strict=True))
    return st.selectbox(
        label,
        list(names),
        index=None,
        format_func=lambda c: f"{names[c]}（{c}）",
        placeholder=T["firm_placeholder"],
        key=key,
    )


def _store_upload(upload: UploadedFile | None) -> evidence.EvidenceRef | None:
    if upload is None:
        return None
    return evidence.store(
        upload.getvalue(), upload.name, root=evidence.root_for(cache.database().path)
    )


def _csv_download(frame: pd.DataFrame, label: str, file_name: str, key: str) -> None:
    st.download_button(
        label,
        data=partial(export.to_csv_bytes, frame),  # written on click, not on every run
        file_name=file_name,
        mime="text/csv",
        icon=":material/download:",
        key=key,
    )


# ── 数据确认 ─────────────────────────────────────────────────────────────────────────────────


def confirmation_tab(
    con: duckdb.DuckDBPyConnection, run: evaluation.Run, account: Account | None
) -> None:
    """Progress by town/industry, the not-replied list, data sheets, recording answers."""
    st.caption(T["confirm_help"])
    draft = run.stage == evaluation.STAGE_DRAFT
    if (
        account is not None
        and draft
        and st.button(T["confirm_start"], icon=":material/fact_check:")
    ):
        try:
            evaluation.start_confirmation(cache.database(), run.id, actor=account)
        except evaluation.EvaluationError as error:
            refused(error)
        else:
            done(T["confirm_started"].format(run=run.id))
    by = st.radio(
        T["progress_by"],
        ("town", "industry"),
        format_func=lambda b: T[f"progress_{b}"],
        horizontal=True,
        key="evaluation_progress_by",
    )
    progress = evaluation.confirmation_progress(con, run.id, by)
    st.dataframe(
        progress.rename(columns=T["progress_headers"] | {"grp": T[f"progress_{by}"]}),
        hide_index=True,
        width="stretch",
    )
    waiting = evaluation.not_replied(con, run.id)
    st.markdown(T["waiting_heading"].format(count=len(waiting)))
    if len(waiting):
        _csv_download(
            waiting.rename(columns=labels.SCORE_HEADERS),
            T["waiting_csv"],
            T["waiting_file"].format(run=run.id),
            "evaluation_waiting_csv",
        )

    firms = _firms(con, run.id)
    _disputes(firms, run)
    st.markdown(T["sheet_heading"])
    left, right = st.columns(2)
    with left:
        picked = firm_picker(firms, "evaluation_sheet_firm")
        if picked:
            st.download_button(
                T["sheet_one"],
                data=lambda: datasheet.sheet_pdf(cache.database().reader(), run.id, [picked]),
                file_name=T["sheet_file"].format(code=picked),
                mime="application/pdf",
                icon=":material/picture_as_pdf:",
                key="evaluation_sheet_one",
            )
    with right:
        towns = sorted(firms["town"].unique())
        town = st.selectbox(T["sheet_town"], towns, key="evaluation_sheet_town")
        codes = firms.loc[firms["town"] == town, "credit_code"].tolist()
        st.download_button(
            T["sheet_batch"].format(count=len(codes)),
            data=lambda: datasheet.sheet_pdf(cache.database().reader(), run.id, codes),
            file_name=T["sheet_batch_file"].format(town=town, run=run.id),
            mime="application/pdf",
            icon=":material/picture_as_pdf:",
            key="evaluation_sheet_batch",
        )

    if account is None or run.stage != evaluation.STAGE_CONFIRM:
        return
    st.markdown(T["answer_heading"])
    code = firm_picker(firms, "evaluation_answer_firm")
    with st.form("evaluation_answer", clear_on_submit=True):
        answer = st.radio(T["answer"], evaluation.ANSWERS, horizontal=True)
        fields = st.multiselect(
            T["answer_fields"], list(_FIELD_NAMES), format_func=_FIELD_NAMES.__getitem__
        )
        comment = st.text_input(T["answer_comment"], max_chars=500)
        upload = st.file_uploader(T["evidence"], type=["pdf", "png", "jpg", "jpeg"])
        submitted = st.form_submit_button(T["answer_button"], icon=":material/how_to_reg:")
    if submitted:
        if not code:
            st.error(T["firm_needed"])
            return
        try:
            evaluation.record_confirmation(
                cache.database(),
                run.id,
                code,
                answer=answer,
                disputed_fields=fields,
                comment=comment,
                evidence=_store_upload(upload),
                actor=account,
            )
        except ValueError as error:
            refused(error)
        else:
            done(T["answered"].format(code=code, answer=answer))


def _disputes(firms: pd.DataFrame, run: evaluation.Run) -> None:
    """The firms that disputed their sheet: fields, comment and their evidence file (a firm's
    answer through its link arrives here; the file is offered back only as a download)."""
    D = labels.DISPUTE_TEXT
    disputed = firms.loc[firms["answer"] == evaluation.ANSWERS[1]]
    if disputed.empty:
        return
    st.markdown(D["heading"].format(count=len(disputed)))
    view = pd.DataFrame(
        {
            "credit_code": disputed["credit_code"],
            "name": disputed["name"],
            "fields": [
                labels.LIST_SEP.join(_FIELD_NAMES.get(f, f) for f in json.loads(raw))
                for raw in disputed["fields"]
            ],
            "comment": disputed["comment"],
            "recorded_by": disputed["recorded_by"],
        }
    )
    paged_table.render(
        view.rename(columns=D["headers"]),
        "evaluation_disputes",
        scope=run.id,
        hide_index=True,
        width="stretch",
    )
    with_file = disputed.loc[disputed["evidence_sha256"].notna()]
    if with_file.empty:
        return
    names = dict(zip(with_file["credit_code"], with_file["name"], strict=True))
    code = st.selectbox(
        D["pick"],
        list(names),
        format_func=lambda c: labels.NAME_WITH_CODE.format(name=names[c], code=c),
        key="evaluation_dispute_file",
    )
    row = with_file.set_index("credit_code").loc[code]
    root = evidence.root_for(cache.database().path)
    sha = str(row["evidence_sha256"])
    kind = evidence.stored_kind(root, sha)
    if kind is None:
        st.warning(labels.EVIDENCE_TEXT["missing"], icon=":material/warning:")
        return
    st.download_button(
        D["download"].format(name=fmt.escape_markdown(str(row["evidence_name"]))),
        data=lambda: evidence.load(root, sha, kind),
        file_name=f"{sha[:16]}{evidence.KINDS[kind][0]}",
        mime=evidence.KINDS[kind][1],
        icon=":material/attach_file:",
        key=f"evaluation_dispute_{run.id}_{code}",
    )


# ── 异议 ────────────────────────────────────────────────────────────────────────────────────


def objections_tab(
    con: duckdb.DuckDBPyConnection, run: evaluation.Run, account: Account | None
) -> None:
    """Register objections (公示中), list them, review one with the correction preview."""
    st.caption(T["objection_help"])
    firms = _firms(con, run.id)
    if account is not None and run.stage == evaluation.STAGE_NOTICE:
        _register_form(run, firms, account)
    table = evaluation.objections(con, run.id)
    if table.empty:
        st.info(T["no_objections"])
        return
    paged_table.render(
        table[["id", "credit_code", "name", "received", "channel", "grounds", "decision"]].rename(
            columns=T["objection_headers"]
        ),
        "evaluation_objections",
        scope=run.id,
        hide_index=True,
        width="stretch",
    )
    if account is None:
        return
    open_ = table.loc[table["decision"] == ""]
    if open_.empty or run.stage == evaluation.STAGE_PUBLISHED:
        return
    st.markdown(T["review_heading"])
    objection_id = st.selectbox(
        T["review_pick"],
        open_["id"].tolist(),
        format_func=lambda i: T["review_option"].format(
            id=i, name=open_.set_index("id").at[i, "name"]
        ),
        key="evaluation_review_pick",
    )
    row = open_.set_index("id").loc[objection_id]
    _review(con, run, int(objection_id), row, account)


def _register_form(run: evaluation.Run, firms: pd.DataFrame, account: Account) -> None:
    with st.expander(T["register_heading"], icon=":material/inbox:", expanded=True):
        code = firm_picker(firms, "evaluation_register_firm")
        with st.form("evaluation_register", clear_on_submit=True):
            left, right = st.columns(2)
            received = left.date_input(T["received"], value=date.today())
            channel = right.selectbox(T["channel"], labels.EVAL_CHANNELS[:2])
            grounds = st.text_area(T["grounds"], max_chars=2000)
            upload = st.file_uploader(T["evidence"], type=["pdf", "png", "jpg", "jpeg"])
            st.caption(T["evidence_help"].format(limit=evidence.MAX_BYTES // 1024 // 1024))
            submitted = st.form_submit_button(T["register_button"], icon=":material/add:")
        if submitted:
            if not code:
                st.error(T["firm_needed"])
                return
            try:
                objection_id = evaluation.register_objection(
                    cache.database(),
                    run.id,
                    code,
                    received=received,
                    channel=channel,
                    grounds=grounds,
                    evidence=_store_upload(upload),
                    actor=account,
                )
            except ValueError as error:
                refused(error)
            else:
                done(T["registered"].format(id=objection_id, code=code))


def _review(
    con: duckdb.DuckDBPyConnection,
    run: evaluation.Run,
    objection_id: int,
    row: pd.Series,
    account: Account,
) -> None:
    code = str(row["credit_code"])
    # Grounds and names are untrusted text (a firm types them through its link): shown
    # literally, never as Markdown links or formatting.
    st.markdown(T["grounds_line"].format(grounds=fmt.escape_markdown(str(row["grounds"]))))
    if isinstance(row["evidence_sha256"], str):
        root = evidence.root_for(cache.database().path)
        kind = str(row["evidence_kind"])
        st.download_button(
            T["evidence_download"].format(name=fmt.escape_markdown(str(row["evidence_name"]))),
            data=lambda: evidence.load(root, str(row["evidence_sha256"]), kind),
            file_name=f"{row['evidence_sha256'][:16]}{evidence.KINDS[kind][0]}",
            mime=evidence.KINDS[kind][1],
            icon=":material/attach_file:",
            key=f"evaluation_evidence_{objection_id}",
        )
    sheet = evaluation.firm_sheet(con, run.id, code)
    with st.expander(T["sheet_of"].format(name=fmt.escape_markdown(str(row["name"])))):
        st.dataframe(sheet.rename(columns=T["sheet_headers"]), hide_index=True, width="stretch")

    fields = st.multiselect(
        T["correct_fields"],
        list(_FIELD_NAMES),
        format_func=_FIELD_NAMES.__getitem__,
        key=f"evaluation_fields_{objection_id}",
    )
    raw = {
        key: st.text_input(_FIELD_NAMES[key], key=f"evaluation_value_{objection_id}_{key}")
        for key in fields
    }
    preview_key = (objection_id, tuple(sorted(raw.items())))
    if fields and st.button(T["preview_button"], icon=":material/preview:"):
        try:
            changes = evaluation.parse_changes(raw)
            preview = evaluation.preview_correction(con, run.id, code, changes)
        except ValueError as error:
            refused(error)
        else:
            st.session_state[_PREVIEW] = (preview_key, changes, preview.moved)
    stored = st.session_state.get(_PREVIEW)
    previewed = stored is not None and stored[0] == preview_key
    accepted_changes = stored[1] if stored is not None and previewed else None
    if stored is not None and previewed:
        moved = stored[2]
        changed = int(moved["tier_changed"].sum())
        st.warning(
            T["preview_line"].format(moved=len(moved), changed=changed), icon=":material/info:"
        )
        paged_table.render(
            moved.rename(columns=T["moved_headers"]),
            "evaluation_moved",
            scope=preview_key,
            hide_index=True,
            width="stretch",
        )

    reason = st.text_input(T["decision_reason"], key=f"evaluation_reason_{objection_id}")
    left, right = st.columns(2)
    accept = left.button(
        T["accept_button"],
        disabled=bool(fields) and not previewed,
        type="primary",
        icon=":material/check:",
        help=T["accept_help"],
    )
    reject = right.button(T["reject_button"], icon=":material/close:")
    if accept or reject:
        try:
            evaluation.decide_objection(
                cache.database(),
                objection_id,
                accept=accept,
                reason=reason,
                changes=accepted_changes if accept else None,
                actor=account,
            )
        except ValueError as error:
            refused(error)
        else:
            st.session_state.pop(_PREVIEW, None)
            decision = evaluation.DECISIONS[0] if accept else evaluation.DECISIONS[1]
            done(T["decided"].format(id=objection_id, decision=decision))


# ── 调档 ────────────────────────────────────────────────────────────────────────────────────


def overrides_tab(
    con: duckdb.DuckDBPyConnection, run: evaluation.Run, account: Account | None
) -> None:
    """The run's overrides, and setting one (管理员, before publication)."""
    st.caption(T["override_help"])
    result = cache.run_result(run.id)
    current = result.loc[result["override_tier"].notna()]
    if len(current):
        view = current[
            [
                "credit_code",
                "name",
                "computed_tier",
                "override_tier",
                "override_reason",
                "override_basis",
            ]
        ]
        paged_table.render(
            view.rename(columns=labels.SCORE_HEADERS | labels.EVAL_EXPORT_HEADERS),
            "evaluation_overrides",
            scope=run.id,
            hide_index=True,
            width="stretch",
        )
    else:
        st.info(T["no_overrides"])
    if account is None or run.stage == evaluation.STAGE_PUBLISHED:
        return
    firms = _firms(con, run.id)
    code = firm_picker(firms, "evaluation_override_firm")
    with st.form("evaluation_override", clear_on_submit=True):
        tier = st.selectbox(T["override_tier"], evaluation.OVERRIDE_TIERS)
        reason = st.text_input(T["override_reason"], max_chars=500)
        basis = st.text_input(T["override_basis"], max_chars=500)
        submitted = st.form_submit_button(T["override_button"], icon=":material/swap_vert:")
    if submitted:
        if not code:
            st.error(T["firm_needed"])
            return
        try:
            evaluation.set_override(
                cache.database(),
                run.id,
                code,
                tier=tier,
                reason=reason,
                basis=basis,
                actor=account,
            )
        except ValueError as error:
            refused(error)
        else:
            done(T["overridden"].format(code=code, tier=tier))
