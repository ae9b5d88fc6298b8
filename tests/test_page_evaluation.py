"""AppTest of 年度评价 and of the published/live switch the other pages share."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from page_support import new_app, no_exception
from streamlit.testing.v1 import AppTest

from muyun import accounts, evaluation, evidence, labels, profile
from muyun.db import Database

PAGE = "pages/evaluation.py"
PASSWORD = "正确的密码-42"
T = labels.EVAL_PAGE_TEXT
ADMIN = accounts.Account("boss", "王科长", accounts.ROLE_ADMIN)


@pytest.fixture
def store(app_store: Path) -> Path:
    """A demo copy with a 管理员 and a 经办 account; the app points at it with empty caches."""
    database = Database(app_store)
    try:
        accounts.create_account(database, "boss", PASSWORD, accounts.ROLE_ADMIN, "王科长")
        accounts.create_account(database, "clerk", PASSWORD, accounts.ROLE_CLERK, "李经办")
    finally:
        database.close()
    return app_store


def _published_run(path: Path, tier: str = "D") -> int:
    """A published 2024 run under the default profile with one firm overridden (to D)."""
    database = Database(path)
    try:
        text = profile.profile_path(profile.DEFAULT_PROFILE).read_text(encoding="utf-8")
        run_id = evaluation.create_run(
            database, 2024, text, profile_id=profile.DEFAULT_PROFILE, actor=ADMIN
        )
        result = evaluation.run_result(database.reader(), run_id)
        first = result.loc[result["scale"] == "规上", "credit_code"].iloc[0]
        evaluation.set_override(
            database, run_id, first, tier=tier, reason="安全生产一票否决", basis="办法", actor=ADMIN
        )
        evaluation.start_notice(database, run_id, start=date(2025, 3, 1), days=7, actor=ADMIN)
        evaluation.publish(database, run_id, actor=ADMIN)
    finally:
        database.close()
    return run_id


def login(at: AppTest, username: str) -> AppTest:
    at.text_input(key="evaluation_username").input(username)
    at.text_input(key="evaluation_password").input(PASSWORD)
    submit = next(b for b in at.button if b.label == labels.ADMIN_LOGIN_TEXT["login"])
    return submit.click().run()


def test_page_reads_without_login_and_offers_no_writes(store: Path) -> None:
    at = new_app(PAGE, year="2024")
    no_exception(at)
    assert [t.value for t in at.title] == [labels.PAGE_TITLES["evaluation"]]
    assert T["no_runs"].format(year=2024) in [i.value for i in at.info]
    assert not [e for e in at.expander if e.label == T["create_heading"]]


def test_admin_creates_a_run_and_sees_its_stage(store: Path) -> None:
    at = login(new_app(PAGE, year="2024"), "boss")
    no_exception(at)
    create = next(b for b in at.button if b.label == T["create_button"])
    at = create.click().run()
    no_exception(at)
    assert T["created"].format(run=1, year=2024) in [s.value for s in at.success]
    assert any(labels.EVAL_STAGES[0] in m.value for m in at.markdown)
    assert at.selectbox(key="run").value == 1


def test_clerk_cannot_create_or_publish(store: Path) -> None:
    database = Database(store)
    try:
        text = profile.profile_path(profile.DEFAULT_PROFILE).read_text(encoding="utf-8")
        evaluation.create_run(database, 2024, text, profile_id="yongkang-default", actor=ADMIN)
    finally:
        database.close()
    at = login(new_app(PAGE, year="2024", step=T["tab_publish"]), "clerk")
    no_exception(at)
    assert not [b for b in at.button if b.label == T["create_button"]]
    assert not [b for b in at.button if b.label == T["publish_button"]]
    assert T["publish_admin_only"] in [c.value for c in at.caption]


def test_published_year_is_shown_by_default_with_the_live_switch(store: Path) -> None:
    run_id = _published_run(store)
    at = new_app("pages/rankings.py", year="2024")
    no_exception(at)
    captions = " ".join(c.value for c in at.sidebar.caption)
    assert f"正式发布（批次 {run_id}" in captions and "家企业分类不同" in captions
    assert at.radio(key="basis").value == "published"
    pager = [n for n in at.number_input if n.key == "rank_table_page"]
    pages = [at.dataframe[0].value]
    for number in range(2, int(pager[0].max) + 1 if pager else 2):  # the table is paged
        at.number_input(key="rank_table_page").set_value(number).run()
        pages.append(at.dataframe[0].value)
    table = pd.concat(pages)
    noted = table.loc[table["override"] != ""]
    assert len(noted) == 1 and "安全生产一票否决" in noted["override"].iloc[0]
    assert noted["tier"].iloc[0] == "D"

    live = new_app("pages/rankings.py", year="2024", basis=labels.BASIS_TEXT["live"])
    no_exception(live)
    assert "实时测算（当前数据）" in " ".join(c.value for c in live.sidebar.caption)

    other = new_app("pages/rankings.py", year="2023")
    assert "尚无正式发布结果" in " ".join(c.value for c in other.sidebar.caption)


def test_published_page_shows_the_locked_run_and_a_verified_log(store: Path) -> None:
    run_id = _published_run(store)
    at = new_app(PAGE, year="2024", run=str(run_id), step=T["tab_publish"])
    no_exception(at)
    assert any("批次已锁定" in s.value for s in at.success)
    at = new_app(PAGE, year="2024", run=str(run_id), step=T["tab_audit"])
    no_exception(at)
    assert T["audit_ok"] in [s.value for s in at.success]
    log = at.dataframe[0].value
    assert labels.EVAL_TEXT["act_override"] in set(log[labels.AUDIT_HEADERS["action"]])


def _objection_in_notice(store: Path, grounds: str, actor: accounts.Account | None = ADMIN) -> None:
    """The default profile's 2024 run, in its notice period, with one objection from its last
    firm (registered by `actor`; None: by the firm itself, through its link)."""
    database = Database(store)
    try:
        text = profile.profile_path(profile.DEFAULT_PROFILE).read_text(encoding="utf-8")
        run_id = evaluation.create_run(
            database, 2024, text, profile_id=profile.DEFAULT_PROFILE, actor=ADMIN
        )
        code = evaluation.run_result(database.reader(), run_id)["credit_code"].iloc[-1]
        evaluation.start_notice(database, run_id, start=date(2025, 3, 1), days=7, actor=ADMIN)
        evaluation.register_objection(
            database,
            run_id,
            code,
            received=date(2025, 3, 2),
            channel=labels.EVAL_CHANNELS[0],
            grounds=grounds,
            evidence=None,
            actor=actor if actor is not None else evaluation.FIRM_ACTOR_PREFIX + code,
        )
    finally:
        database.close()


def test_objection_tab_previews_a_correction(store: Path) -> None:
    _objection_in_notice(store, "税收少计")
    at = login(new_app(PAGE, year="2024", step=T["tab_objections"]), "clerk")
    no_exception(at)
    at.multiselect(key="evaluation_fields_1").select("tax").run()
    at.text_input(key="evaluation_value_1_tax").input("99999").run()
    at = next(b for b in at.button if b.label == T["preview_button"]).click().run()
    no_exception(at)
    assert any("家企业的排名或分类发生变化" in w.value for w in at.warning)
    at.text_input(key="evaluation_reason_1").input("采纳完税证明").run()
    at = next(b for b in at.button if b.label == T["accept_button"]).click().run()
    no_exception(at)
    assert T["decided"].format(id=1, decision="采纳") in [s.value for s in at.success]


def test_firm_overridden_to_untiered_shows_on_the_firm_page(store: Path) -> None:
    _published_run(store, tier=evaluation.NO_TIER)
    with duckdb.connect(str(store), read_only=True) as con:
        code = con.execute("SELECT credit_code FROM eval_overrides WHERE run_id = 1").fetchall()[0][
            0
        ]
    at = new_app("pages/enterprise.py", year="2024", code=code)
    no_exception(at)
    tier_card = at.metric[0]
    assert tier_card.value == evaluation.NO_TIER


def test_a_large_city_picks_firms_by_search(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ui import evaluation_review

    monkeypatch.setattr(evaluation_review, "PICKER_ALL", 10)
    database = Database(store)
    try:
        text = profile.profile_path(profile.DEFAULT_PROFILE).read_text(encoding="utf-8")
        run_id = evaluation.create_run(database, 2024, text, profile_id="p", actor=ADMIN)
        code = evaluation.run_result(database.reader(), run_id)["credit_code"].iloc[3]
    finally:
        database.close()
    at = login(new_app(PAGE, year="2024", step=T["tab_overrides"]), "boss")
    no_exception(at)
    picker = at.selectbox(key="evaluation_override_firm")
    assert picker.options == []
    at.text_input(key="evaluation_override_firm_search").input(code[-8:]).run()
    picker = at.selectbox(key="evaluation_override_firm")
    assert len(picker.options) == 1 and code in picker.options[0]


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def test_a_firms_dispute_shows_with_its_evidence_and_untrusted_text_stays_text(
    store: Path,
) -> None:
    database = Database(store)
    try:
        text = profile.profile_path(profile.DEFAULT_PROFILE).read_text(encoding="utf-8")
        run_id = evaluation.create_run(
            database, 2024, text, profile_id=profile.DEFAULT_PROFILE, actor=ADMIN
        )
        code = evaluation.run_result(database.reader(), run_id)["credit_code"].iloc[0]
        evaluation.start_confirmation(database, run_id, actor=ADMIN)
        ref = evidence.store(PDF, "完税证明.pdf", root=evidence.root_for(store))
        evaluation.record_confirmation(
            database,
            run_id,
            code,
            answer=evaluation.ANSWERS[1],
            disputed_fields=["tax"],
            comment="税收少计",
            evidence=ref,
            actor=evaluation.FIRM_ACTOR_PREFIX + code,
        )
    finally:
        database.close()
    at = new_app(PAGE, year="2024", step=T["tab_confirm"])
    no_exception(at)
    D = labels.DISPUTE_TEXT
    assert D["heading"].format(count=1) in [m.value for m in at.markdown]
    table = next(
        d.value for d in at.dataframe if D["headers"]["comment"] in d.value.columns
    ).set_index(D["headers"]["credit_code"])
    assert table.loc[code, D["headers"]["comment"]] == "税收少计"
    assert "税收" in table.loc[code, D["headers"]["fields"]]
    buttons = [b.proto.label for b in at.get("download_button")]
    assert D["download"].format(name=r"完税证明\.pdf") in buttons, buttons  # name as plain text


def test_objection_grounds_are_shown_as_text_not_links(store: Path) -> None:
    _objection_in_notice(store, "[点此查看](http://evil.example) **紧急**", actor=None)
    at = login(new_app(PAGE, year="2024", step=T["tab_objections"]), "clerk")
    no_exception(at)
    line = next(m.value for m in at.markdown if "点此查看" in m.value)
    assert "](http" not in line and "**紧急**" not in line, line
