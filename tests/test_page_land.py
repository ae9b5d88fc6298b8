"""The land rectification page in AppTest on the demo city: the published 2022 figures appear
verbatim, every number comes from DuckDB, the list follows the engine and stored edits."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from page_support import vega_charts
from streamlit.testing.v1 import AppTest

from muyun import accounts, db, importer, labels, land, queries
from muyun.profile import load_profile, profile_path
from muyun.scoring import score_year
from ui import land_tabs

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PASSWORD = "land-admin-test"


PARKS, FUNDS, LIST = (labels.LAND_TEXT[k] for k in ("tab_parks", "tab_funds", "tab_list"))


def _open(
    path: Path, monkeypatch: pytest.MonkeyPatch, year: int = 2022, tab: str | None = None
) -> AppTest:
    """The app on `path`, showing the land page for `year` with `tab` open (the first tab by
    default; only the open tab is drawn) — fresh caches: new file each test."""
    monkeypatch.setenv("MUYUN_DB", str(path))
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["year"] = str(year)
    if tab is not None:
        at.query_params[land_tabs.TAB_KEY] = tab
    at.run()
    at.switch_page("pages/land.py")
    at.run()
    assert not at.exception, at.exception
    return at


def _texts(at: AppTest) -> list[str]:
    """Every visible string of the page: metric values and deltas, text, progress labels."""
    texts = [m.value for m in at.metric] + [m.label for m in at.metric]
    texts += [m.proto.delta for m in at.metric if m.proto.delta]
    for kind in ("markdown", "caption", "success", "info", "subheader"):
        texts += [e.value for e in getattr(at, kind)]
    texts += [p.text for p in at.get("progress")]
    return texts


def _metric(at: AppTest, label: str):
    matches = [m for m in at.metric if m.label == label]
    assert matches, f"no metric {label!r}"
    return matches[0]


def test_published_2022_figures_appear_exactly(demo_db_copy, monkeypatch):
    con = db.connect(demo_db_copy)
    highlights = land.year_view(con, 2022).facts.query("highlight")
    firms = land.parks_view(con).total_firms
    con.close()
    at = _open(demo_db_copy, monkeypatch, 2022)
    texts = _texts(at)
    assert _metric(at, "整治总面积（2022年）").value == "11,628 亩"
    assert _metric(at, "折合公顷").value == "775.2 公顷"
    categories = "2,600 亩 + 7,155 亩 + 132 亩（8.8 万平方米） + 856 亩 + 885 亩 = 11,628 亩"
    assert any(categories in t for t in texts), "the five categories must add up to the total"
    progress = [p.text for p in at.get("progress")]
    for part in ("2,600 亩", "7,155 亩", "132 亩（8.8 万平方米）", "856 亩", "885 亩"):
        assert any(part in t for t in progress), part

    # Only the open tab is drawn: the list (two scored years at province scale) waits.
    assert not [d for d in at.dataframe if "reasons" in d.value.columns]
    at = _open(demo_db_copy, monkeypatch, 2022, PARKS)
    assert _metric(at, "小微企业园").value == "35 个"
    assert _metric(at, "规划建筑面积").value == "325 万平方米"
    # Issue 13 item 7: the count is the card's value, the floor area under it (no cut text).
    built = _metric(at, "已建成")
    assert (built.value, built.delta) == ("26 个", "214 万平方米")
    building = _metric(at, "在建")
    assert (building.value, building.delta) == ("9 个", "111 万平方米")
    provincial = _metric(at, "累计省级认定（截至2022年）")
    star = _metric(at, "累计星级园区（截至2022年）")
    assert (provincial.value, provincial.proto.delta) == ("14 个", "2022年新增 1 个")
    assert (star.value, star.proto.delta) == ("6 个", "2022年新增 3 个")
    assert firms > 0 and _metric(at, "入驻企业").value == f"{firms:,} 家"
    _, recognition = _chart(at, "year", "value")
    provincial, star = labels.LAND_HEADERS["provincial_total"], labels.LAND_HEADERS["star_total"]
    assert list(recognition["year"]) == [2018, 2019, 2020, 2021, 2022]
    assert recognition.iloc[-1][[provincial, star]].tolist() == [14, 6]

    at = _open(demo_db_copy, monkeypatch, 2022, FUNDS)
    drawn, spent = _metric(at, "累计提取"), _metric(at, "累计使用")
    assert (drawn.value, drawn.delta) == ("1.2 亿元", "12,000 万元")
    assert (spent.value, spent.delta) == ("0.94 亿元", "9,400 万元")
    spec, by_use = _chart(at, "use", "value")
    assert spec["encoding"]["y"]["title"] == labels.UNIT_WAN_YUAN
    drawn_col, spent_col = labels.LAND_HEADERS["extracted_10k"], labels.LAND_HEADERS["spent_10k"]
    assert (by_use[drawn_col].sum(), by_use[spent_col].sum()) == (12_000, 9_400)
    case = [s.value for s in at.success if "公开案例" in s.value]
    assert case and "4.75 万平方米 → 9.9 万平方米" in case[0] and "来源：" in case[0]

    assert len(highlights) >= 2, "rankings and the early tasks are published facts"
    at = _open(demo_db_copy, monkeypatch, 2022)
    markdown = [m.value for m in at.markdown]
    for fact in highlights.itertuples(index=False):
        line = [t for t in markdown if fact.label in t]
        assert line and fact.text in line[0] and f"来源：{fact.source}" in line[0]
    facts = [d.value for d in at.dataframe if "来源" in d.value.columns]
    assert facts and len(facts[0]) > 0
    assert (facts[0]["来源"].str.len() > 0).all()


def test_page_reads_imported_rows(demo_db_copy, monkeypatch):
    """No hard-coded figures: an imported project changes the total, its category and hectares."""
    project = pd.DataFrame(
        {
            "年度": [2022],
            "项目编号": ["TEST-0001"],
            "项目名称": ["测试地块"],
            "镇街": ["芝英镇"],
            "整治类别": ["集中连片拆除"],
            "整治面积（亩）": [12],
            "处置路径": ["政府收储"],
            "进度状态": ["已完成"],
        }
    )
    con = db.connect(demo_db_copy)
    importer.import_file(
        con,
        project.to_csv(index=False).encode("utf-8"),
        "rectification_projects",
        file_name="test.csv",
    )
    con.close()
    at = _open(demo_db_copy, monkeypatch, 2022)
    assert _metric(at, "整治总面积（2022年）").value == "11,640 亩"
    assert _metric(at, "折合公顷").value == "776 公顷"
    assert any("2,612 亩 + 7,155 亩" in t for t in _texts(at))


def test_own_year_selector_when_land_years_differ(demo_db_copy, monkeypatch):
    con = db.connect(demo_db_copy)
    for table in ("rectification_projects", "rectification_targets", "published_facts"):
        con.execute(f"DELETE FROM {table} WHERE year = 2020")
    con.close()
    at = _open(demo_db_copy, monkeypatch, 2020)
    selector = at.selectbox(key="land_year_2020")
    assert selector.value == 2021 and selector.options == ["2021", "2022", "2023", "2024"]
    assert _metric(at, "整治总面积（2021年）")
    selector.set_value(2022).run()
    assert not at.exception, at.exception
    assert _metric(at, "整治总面积（2022年）").value == "11,628 亩"


def test_page_without_land_data(demo_db_copy, monkeypatch):
    con = db.connect(demo_db_copy)
    for table in (
        "rectification_projects",
        "rectification_targets",
        "published_facts",
        "parks",
        "funds",
        "plot_ratio_upgrades",
    ):
        con.execute(f"DELETE FROM {table}")
    con.close()
    notes = {None: "尚无低效用地整治数据", PARKS: "尚无小微企业园数据", FUNDS: "尚无专项经费数据"}
    for tab, note in notes.items():
        at = _open(demo_db_copy, monkeypatch, 2024, tab)
        assert any(note in i.value for i in at.info), tab
    assert _list_frame(_open(demo_db_copy, monkeypatch, 2024, LIST)) is not None


def _members(path: Path, year: int, scale: str) -> pd.DataFrame:
    store = db.Database(path)
    profile = load_profile(profile_path("yongkang-default"))
    scored = score_year(store.reader(), year, profile)
    store.close()
    members = land.low_efficiency_members(scored, profile)
    return queries.filter_scored(members, scale=scale)


def _list_frame(at: AppTest) -> pd.DataFrame:
    frames = [d.value for d in at.dataframe if "reasons" in d.value.columns]
    assert len(frames) == 1
    return frames[0]


def test_list_follows_the_engine(demo_db_copy, monkeypatch):
    expected = _members(demo_db_copy, 2022, "规上")
    at = _open(demo_db_copy, monkeypatch, 2022, LIST)
    shown = _list_frame(at)
    assert len(expected) > 0
    assert sorted(shown["credit_code"]) == sorted(expected["credit_code"])
    assert _metric(at, "在列企业（当前筛选）").value == f"{len(expected)} 家"
    assert (shown["path"] == "提升发展").all() and (shown["status"] == "排摸").all()
    assert [b.label for b in at.get("download_button")] == ["导出清单（Excel）"]


def test_stored_edit_is_shown_after_restart(demo_db_copy, monkeypatch):
    profile = load_profile(profile_path("yongkang-default"))
    store = db.Database(demo_db_copy)
    before = land.low_efficiency_list(
        store.reader(), score_year(store.reader(), 2022, profile), profile
    )
    before = before[before["scale"] == "规上"]
    code = before["credit_code"].iloc[0]
    after = before.copy()
    after.loc[after["credit_code"] == code, ["path", "notes"]] = ["兼并重组", "意向收购方已对接"]
    land.save_list_edits(store, 2022, before, after, "王主任", at=datetime(2024, 6, 1, 9, 30))
    store.close()

    at = _open(demo_db_copy, monkeypatch, 2022, LIST)
    row = _list_frame(at).set_index("credit_code").loc[code]
    assert (row["path"], row["notes"]) == ("兼并重组", "意向收购方已对接")
    history = [d.value for d in at.dataframe if "原值" in d.value.columns]
    assert history, "the edit history is shown"
    edits = set(zip(history[0]["修改项"], history[0]["原值"], history[0]["新值"], strict=True))
    assert ("处置路径（四个一批）", "提升发展", "兼并重组") in edits
    assert set(history[0]["修改人"]) == {"王主任"}


def test_only_administrators_edit_the_list(demo_db_copy, monkeypatch):
    store = db.Database(demo_db_copy)
    accounts.create_account(store, "land.admin", PASSWORD, accounts.ROLE_ADMIN, "王主任")
    store.close()
    at = _open(demo_db_copy, monkeypatch, 2022, LIST)
    assert not at.data_editor and "保存修改" not in [b.label for b in at.button]
    at.text_input(key="land_admin_username").input("land.admin")
    at.text_input(key="land_admin_password").input("wrong")
    next(b for b in at.button if b.label == "登录").click().run()
    assert not at.data_editor and "保存修改" not in [b.label for b in at.button]

    at.text_input(key="land_admin_username").input("land.admin")
    at.text_input(key="land_admin_password").input(PASSWORD)
    next(b for b in at.button if b.label == "登录").click().run()
    assert not at.exception, at.exception
    assert len(at.data_editor) == 1
    code = at.data_editor[0].value["credit_code"].iloc[0]
    at.session_state["land_list_editor_2022_yongkang-default_规上_"] = {
        "edited_rows": {0: {"status": "整治中", "notes": "已约谈"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.text_input(key="land_editor").input("赵科员")
    next(b for b in at.button if b.label == "保存修改").click().run()
    assert not at.exception, at.exception
    assert [t.value for t in at.toast] == ["已保存 2 项修改。"]
    row = at.data_editor[0].value.set_index("credit_code").loc[code]
    assert (row["status"], row["notes"]) == ("整治中", "已约谈")

    store = db.Database(demo_db_copy)
    history = land.list_history(store.reader(), 2022)
    store.close()
    assert set(zip(history["field"], history["old_value"], history["new_value"], strict=True)) == {
        ("status", "排摸", "整治中"),
        ("notes", "", "已约谈"),
    }
    assert set(history["edited_by"]) == {"赵科员"} and set(history["credit_code"]) == {code}


def test_next_years_targets_add_no_second_year_selector(demo_db_copy, monkeypatch):
    """Issue 13 item 15: importing 2025's targets kept a second year picker on 2024's view."""
    con = db.connect(demo_db_copy)
    con.execute(
        "INSERT INTO rectification_targets SELECT 2025, category, target_mu "
        "FROM rectification_targets WHERE year = 2024"
    )
    con.close()
    at = _open(demo_db_copy, monkeypatch, 2024)
    assert not any(s.key.startswith("land_year_") for s in at.selectbox if s.key)
    assert _metric(at, "整治总面积（2024年）")


def _layers(spec: dict) -> list[dict]:
    return spec.get("layer", [spec])


def _chart(at: AppTest, x: str, y: str) -> tuple[dict, pd.DataFrame]:
    """The one chart whose x and y encode the fields `x` and `y`."""
    found = [
        (spec, data)
        for spec, data in vega_charts(at)
        if any(
            layer["encoding"]["x"]["field"] == x and layer["encoding"]["y"]["field"] == y
            for layer in _layers(spec)
        )
    ]
    assert len(found) == 1, [spec for spec, _ in vega_charts(at)]
    return found[0]


def test_history_chart_includes_next_years_targets(demo_db_copy, monkeypatch):
    """Issue 13 item 15: with 2025's targets imported (no projects yet) the history chart still
    stopped at 2024; every year with data must be on it, one tick per year, in whole 亩."""
    con = db.connect(demo_db_copy)
    con.execute(
        "INSERT INTO rectification_targets SELECT 2025, category, target_mu "
        "FROM rectification_targets WHERE year = 2024"
    )
    view = land.year_view(con, 2024)
    con.close()
    at = _open(demo_db_copy, monkeypatch, 2024)
    target_name = labels.LAND_TEXT["trend_target"]
    spec, data = _chart(at, "year", "area_mu")
    bars, line = _layers(spec)
    assert bars["mark"]["type"] == "bar" and line["mark"]["type"] == "line"
    assert line["encoding"]["strokeDash"]["scale"]["domain"] == [target_name]
    for layer in (bars, line):
        x, y = layer["encoding"]["x"], layer["encoding"]["y"]
        assert x["type"] == "ordinal", "a band per year: one tick per year, no 2020.5"
        assert y["axis"]["format"] == ",d", "12,000, not 12k"
        assert (x["title"], y["title"]) == (labels.LAND_HEADERS["year"], "整治面积（亩）")
    targets = data[data["series"] == target_name]
    assert list(targets["year"]) == [2020, 2021, 2022, 2023, 2024, 2025]
    assert targets.set_index("year").loc[2025, "area_mu"] == view.total_target_mu
    projects = data[data["series"].isna()]
    assert set(projects["year"]) == {2020, 2021, 2022, 2023, 2024}
    assert set(projects["category"]) == set(labels.RECTIFICATION_CATEGORIES)
    assert projects.groupby("year")["area_mu"].sum()[2024] == pytest.approx(view.total_mu)

    spec, data = _chart(at, "area_mu", "town")
    assert list(data.drop_duplicates("town").sort_values("rank")["town"]) == list(
        view.by_town["town"]
    ), "towns in the table's order, largest first"
    assert spec["encoding"]["y"]["sort"] == {"field": "rank", "op": "min"}
    assert data["area_mu"].sum() == pytest.approx(view.total_mu)
    colour = spec["encoding"]["color"]["scale"]
    assert colour["range"] == [labels.RECTIFICATION_COLOURS[c] for c in colour["domain"]]
