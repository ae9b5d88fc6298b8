"""AppTest of the firm portal (a token in the URL shows pages/firm.py alone) and of the officials'
企业链接与送达 page."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from muyun import evaluation, firmlink, labels
from muyun.accounts import ROLE_ADMIN, Account, create_account
from muyun.db import Database
from muyun.profile import profile_path

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 120
SECRET = "s" * 40
ADMIN = Account("boss", "局长", ROLE_ADMIN)
BASE = "https://muyun.example.gov.cn"
F = labels.FIRM_PAGE_TEXT


@pytest.fixture(scope="module")
def run_db_path(demo_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo city with one 2024 run in 数据确认, every firm holding a link."""
    path = tmp_path_factory.mktemp("firm_page") / "run.duckdb"
    shutil.copy(demo_db_path, path)
    db = Database(path)
    try:
        toml = profile_path("yongkang-default").read_text(encoding="utf-8")
        run_id = evaluation.create_run(db, 2024, toml, profile_id="yongkang-default", actor=ADMIN)
        evaluation.start_confirmation(db, run_id, actor=ADMIN)
        firmlink.issue_missing(
            db, run_id, expires_at=datetime.now() + timedelta(days=30), actor=ADMIN
        )
    finally:
        db.close()
    return path


@pytest.fixture
def app_db(run_db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "run.duckdb"
    shutil.copy(run_db_path, path)
    monkeypatch.setenv("MUYUN_DB", str(path))
    monkeypatch.setenv(firmlink.SECRET_ENV, SECRET)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield path
    st.cache_data.clear()
    st.cache_resource.clear()


def _database() -> Database:
    """The app's own Database (same process: cache_resource hands back the same object)."""
    from ui import cache

    return cache.database()


def _tokens(path: Path) -> dict[str, str]:
    links = firmlink.live_links(_database().reader(), 1, secret=SECRET.encode(), base_url=BASE)
    prefix = f"{BASE}/?{firmlink.TOKEN_PARAM}="
    return {
        c: link[len(prefix) :] for c, link in zip(links["credit_code"], links["link"], strict=True)
    }


def _firm_app(token: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params[firmlink.TOKEN_PARAM] = token
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _everything(at: AppTest) -> str:
    """All text the page shows, including every table cell."""
    parts: list[str] = []
    for kind in (
        "title",
        "header",
        "subheader",
        "caption",
        "markdown",
        "text",
        "info",
        "warning",
        "error",
        "success",
    ):
        parts.extend(str(e.value) for e in getattr(at, kind))
    for frame in at.dataframe:
        parts.append(frame.value.to_csv())
    for widget in (*at.radio, *at.multiselect, *at.button, *at.selectbox):
        parts.append(str(widget.label))
        parts.extend(str(o) for o in getattr(widget, "options", []))
    return "\n".join(parts)


def _firms() -> dict[str, str]:
    firms = firmlink.run_firms(_database().reader(), 1)
    return dict(zip(firms["credit_code"], firms["name"], strict=True))


def test_every_bad_token_shows_the_same_neutral_page(app_db: Path) -> None:
    at = _firm_app("")  # warm the app, the database and the migrations
    tokens = _tokens(app_db)
    firms = _firms()
    codes = list(tokens)
    x, y, z = codes[0], codes[1], codes[2]
    db = _database()
    firmlink.revoke(db, 1, y, actor=ADMIN)
    past = datetime(2025, 1, 1, 12, 0)
    with db.write() as cur:
        cur.execute("UPDATE firm_links SET expires_at = ? WHERE credit_code = ?", [past, z])
    key, expiry, signature = tokens[x].split(".")
    bad = {
        "invalid": "hello",
        "tampered": f"{key}.{expiry}.{signature[::-1]}",
        "expired": firmlink.make_token(  # exactly what was issued, only its time is up
            SECRET.encode(),
            run_id=1,
            credit_code=z,
            key=tokens[z].split(".")[0],
            version=1,
            expires_at=past,
        ),
        "revoked": tokens[y],
        "other run": firmlink.make_token(
            SECRET.encode(),
            run_id=2,
            credit_code=x,
            key=key,
            version=1,
            expires_at=datetime.strptime(expiry, "%Y%m%d%H%M%S"),
        ),
        "other firm": firmlink.make_token(
            SECRET.encode(),
            run_id=1,
            credit_code=y,
            key=key,
            version=1,
            expires_at=datetime.strptime(expiry, "%Y%m%d%H%M%S"),
        ),
    }
    pages = {}
    for kind, token in bad.items():
        at = _firm_app(token)
        pages[kind] = _everything(at)
        assert [t.value for t in at.title] == [F["refused_title"]], kind
        assert [w.value for w in at.warning] == [F["refused"]], kind
        assert len(at.sidebar) == 0, kind
    assert len(set(pages.values())) == 1, pages
    page = next(iter(pages.values()))
    for code, name in list(firms.items())[:200]:
        assert code not in page and name not in page
    for title in labels.PAGE_TITLES.values():
        if title != F["refused_title"]:
            assert title not in page


def test_a_valid_link_shows_its_firm_and_nothing_of_any_other(app_db: Path) -> None:
    at = _firm_app("")
    tokens = _tokens(app_db)
    firms = _firms()
    # A firm that leases land: its own sheet names its lease counterparts by credit code (its
    # own contracts), and nothing else of any other firm.
    x, counterpart = (
        _database()
        .reader()
        .execute(
            "SELECT lessee_code, lessor_code FROM eval_leases WHERE run_id = 1 "
            "ORDER BY lessee_code LIMIT 1"
        )
        .fetchall()[0]
    )
    at = _firm_app(tokens[x])
    page = _everything(at)
    assert [t.value for t in at.title] == [labels.PAGE_TITLES["firm"]]
    assert firms[x] in page
    sheet = at.dataframe[0].value
    assert firms[x] in set(sheet.iloc[:, 1]) and x in set(sheet.iloc[:, 1])
    assert counterpart in page
    others = {c: n for c, n in firms.items() if c != x}
    for code, name in others.items():
        assert name not in page, name
        if code != counterpart:
            assert code not in page, code
    # None of the officials' pages, no sidebar filters.
    assert len(at.sidebar) == 0
    for stem in ("overview", "rankings", "enterprise", "data", "firm_links"):
        assert labels.PAGE_TITLES[stem] not in page


def test_dispute_is_recorded_with_the_firms_actor_and_shown_to_officials(app_db: Path) -> None:
    _firm_app("")
    tokens = _tokens(app_db)
    x = next(iter(tokens))
    at = _firm_app(tokens[x])
    at.radio(key="firm_answer").set_value(F["answer_dispute"])
    at.multiselect(key="firm_fields").set_value(["tax", "revenue"])
    at.text_area(key="firm_comment").set_value("税收应为 123.4 万元，见完税证明")
    at.button[0].click().run()
    assert not at.exception
    assert F["disputed"] in [s.value for s in at.success]
    assert any(F["answer_recorded"].split("{")[0] in i.value for i in at.info)
    con = _database().reader()
    row = con.execute(
        "SELECT answer, disputed_fields, recorded_by FROM eval_confirmations "
        "WHERE run_id = 1 AND credit_code = ?",
        [x],
    ).fetchall()[0]
    assert row == ("有异议", '["tax", "revenue"]', f"企业:{x}")
    at.run()  # a rerun counts the link's opening no second time
    status = firmlink.read_status(con, 1).set_index("credit_code")
    assert status.loc[x, "opened_count"] == 1
    assert status.loc[x, "disputed_at"] is not None
    # The official's page shows it.
    official = AppTest.from_file(APP, default_timeout=TIMEOUT)
    official.run()
    official.switch_page("pages/firm_links.py").run()
    assert not official.exception, [e.value for e in official.exception]
    assert [t.value for t in official.title] == [labels.PAGE_TITLES["firm_links"]]
    per_firm = official.dataframe[2].value.set_index(labels.FIRMLINK_HEADERS["credit_code"])
    assert per_firm.loc[x, labels.FIRMLINK_HEADERS["opened_count"]] == 1
    assert per_firm.loc[x, labels.FIRMLINK_HEADERS["disputed_at"]] != ""


def test_after_publication_the_report_opens_and_counts_once(app_db: Path) -> None:
    _firm_app("")
    db = _database()
    tokens = _tokens(app_db)
    x = next(iter(tokens))
    evaluation.start_notice(db, 1, start=date.today(), days=5, actor=ADMIN)
    at = _firm_app(tokens[x])
    assert F["objection_header"] in [h.value for h in at.header]
    at.text_area(key="firm_grounds").set_value("用地面积有误")
    at.button[-1].click().run()
    assert not at.exception
    objections = evaluation.objections(db.reader(), 1)
    assert list(objections["channel"]) == [firmlink.OBJECTION_CHANNEL]
    # Publishing needs every objection decided.
    evaluation.decide_objection(
        db, int(objections["id"].iloc[0]), accept=False, reason="经核实无误", actor=ADMIN
    )
    evaluation.publish(db, 1, actor=ADMIN, today=date.today() + timedelta(days=10))
    at = _firm_app(tokens[x])
    assert F["report_header"] in [h.value for h in at.header]
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    page = _everything(at)
    firms = _firms()
    assert firms[x] in page
    for code, name in firms.items():
        if code != x:
            assert name not in page, name  # the report names no other firm
    assert F["report_title"].format(year=2024) in [s.value for s in at.subheader]
    assert F["history_header"] in [h.value for h in at.header]
    at.run()
    at.run()
    status = firmlink.read_status(db.reader(), 1).set_index("credit_code")
    assert status.loc[x, "report_count"] == 1
    assert status.loc[x, "report_first"] is not None


def test_without_a_secret_the_feature_is_off(app_db: Path, monkeypatch) -> None:
    monkeypatch.delenv(firmlink.SECRET_ENV)
    at = _firm_app("anything")
    assert [i.value for i in at.info] == [F["disabled"]]
    official = AppTest.from_file(APP, default_timeout=TIMEOUT)
    official.run()
    official.switch_page("pages/firm_links.py").run()
    assert not official.exception
    assert labels.FIRMLINK_TEXT["disabled"] in [w.value for w in official.warning]


def test_officials_generate_revoke_and_reissue_behind_the_login(app_db: Path) -> None:
    _firm_app("")
    db = _database()
    create_account(db, "boss", "正确的密码-42", ROLE_ADMIN, "局长")
    official = AppTest.from_file(APP, default_timeout=TIMEOUT)
    official.run()
    official.switch_page("pages/firm_links.py").run()
    assert not [b for b in official.button if b.key == "fl_generate"]  # not logged in
    official.session_state["muyun_account"] = "boss"
    official.run()
    code = firmlink.run_firms(db.reader(), 1)["credit_code"].iloc[0]
    official.selectbox(key="fl_firm").set_value(code).run()
    official.button(key="fl_revoke").click().run()
    assert not official.exception, [e.value for e in official.exception]
    status = firmlink.read_status(db.reader(), 1).set_index("credit_code")
    assert status.loc[code, "link_state"] == labels.FIRMLINK_STATES["revoked"]
    official.button(key="fl_reissue").click().run()
    status = firmlink.read_status(db.reader(), 1).set_index("credit_code")
    assert status.loc[code, "link_state"] == labels.FIRMLINK_STATES["live"]
    versions = (
        db.reader()
        .execute("SELECT max(version) FROM firm_links WHERE credit_code = ?", [code])
        .fetchall()[0][0]
    )
    assert versions == 2
