"""年度评价: the year's evaluation as an official act, from the frozen run to the published list.

The page only draws: every step is a `muyun.evaluation` service that checks the stage and the
acting account itself (a 经办 cannot publish even if a button were shown), and records the step in
the audit chain. The steps are grouped in tabs in the order of the cycle; `ui/evaluation_*.py`
draw them.
"""

import streamlit as st

from muyun import accounts, evaluation, labels
from ui import admin, cache, filters
from ui import evaluation_cycle as cycle
from ui import evaluation_review as review

filters.require_app()
f = filters.current()
T = labels.EVAL_PAGE_TEXT

st.title(labels.PAGE_TITLES["evaluation"])
st.caption(T["intro"])

account = admin.require("review_objection", "evaluation")
may_run = accounts.can(account, "run_cycle")
con = cache.database().reader()

if account is not None and may_run:
    cycle.create_run_form(f.year, f.profile, account)

runs = evaluation.list_runs(con, f.year)
if not runs:
    st.info(T["no_runs"].format(year=f.year))
    st.stop()

run_ids = [run.id for run in runs]
by_id = {run.id: run for run in runs}
run_id = st.selectbox(
    T["run"],
    run_ids,
    format_func={  # a bound method, not a lambda: see pages/enterprise.py
        r: T["run_option"].format(run=r, profile=by_id[r].profile_name, stage=by_id[r].stage)
        for r in run_ids
    }.__getitem__,
    key="run",
    bind="query-params",
)
run = evaluation.require_run(con, int(run_id))
cycle.run_header(con, run)

# Stateful tabs (`?step=异议复核`): a write reruns the page and the official stays on the step;
# only the open step runs.
confirm, notice, objections, overrides, publish, log = st.tabs(
    [T[f"tab_{name}"] for name in cycle.TABS], key="step", bind="query-params"
)
steward = account if may_run else None
if confirm.open:
    with confirm:
        review.confirmation_tab(con, run, steward)
if notice.open:
    with notice:
        cycle.notice_tab(con, run, steward)
if objections.open:
    with objections:
        review.objections_tab(con, run, account)
if overrides.open:
    with overrides:
        review.overrides_tab(con, run, steward)
if publish.open:
    with publish:
        cycle.publish_tab(con, run, steward)
if log.open:
    with log:
        cycle.audit_tab(con, run)
