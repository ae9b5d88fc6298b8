"""企业专属页面: what a firm sees through its private link — its own data sheet to confirm or
dispute, the objection form during the notice, and after publication its report and tier history.

app.py shows this page alone (no sidebar, no officials' pages) whenever the URL carries the token
parameter; nothing here is drawn before the token is checked, and nothing of any other firm is
ever read for display.
"""

import streamlit as st

from muyun import evaluation, firmlink, labels
from ui import cache, filters, firm_portal

filters.require_app()

access = firm_portal.gate()
run = evaluation.get_run(cache.database().reader(), access.run_id)
if run is None:  # the run vanished between the check and here
    firm_portal.refused()
    st.stop()
firm_portal.record_once(access, firmlink.EVENT_OPENED)
firm_portal.header(access, run)
firm_portal.data_sheet(access, run)
if run.stage == evaluation.STAGE_NOTICE:
    firm_portal.objection_form(access, run)
if run.stage == evaluation.STAGE_PUBLISHED:
    firm_portal.published_report(access, run)
    firm_portal.tier_history(access, run)
else:
    st.header(labels.FIRM_PAGE_TEXT["report_header"])
    st.caption(labels.FIRM_PAGE_TEXT["not_published"])
