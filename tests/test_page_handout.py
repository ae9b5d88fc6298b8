"""Issue 13 ("fit to hand out") on the pages, in AppTest: exports in Chinese named after the
filters, share links that keep the profile, the method legend, year-on-year, the briefing PDF,
filters obeyed, 规下 without an empty panel, and a failed search that says so."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import streamlit as st
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from muyun import db, labels, whatif
from muyun.profile import load_profile, profile_path

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 180
HUANGYAN = load_profile(profile_path("huangyan-2022"))


@pytest.fixture
def downloads(
    demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Callable[[], bytes]]:
    """The app on a private demo copy; every deferred download button's file name → its data."""
    monkeypatch.setenv("MUYUN_DB", str(demo_db_copy))
    st.cache_data.clear()
    st.cache_resource.clear()
    seen: dict[str, Callable[[], bytes]] = {}
    original = MediaFileManager.add_deferred

    def record(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):  # type: ignore[no-untyped-def]
        seen[str(file_name)] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", record)
    yield seen
    st.cache_data.clear()
    st.cache_resource.clear()


def open_app(page: str | None = None, **query: str | list[str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update(query)
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def captions(at: AppTest) -> str:
    return "\n".join(c.value for c in at.caption)


# ── item 2: exports ────────────────────────────────────────────────────────────────────────


def test_ranking_exports_are_chinese_rounded_and_named_after_the_filters(downloads) -> None:
    open_app("pages/rankings.py", scale="规下", industry=["门业"], tier=["D"])
    stem = "2024_规下_门业_D_行业排名"
    assert f"{stem}.csv" in downloads and f"{stem}.xlsx" in downloads, list(downloads)
    text = downloads[f"{stem}.csv"]().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["行业排名", "分类", "企业名称", "综合得分（分）"]
    assert not any(c.isascii() and c.isalpha() for c in "".join(rows[0])), rows[0]
    for row in rows[1:]:
        for cell in row:
            assert not (cell.replace(".", "", 1).lstrip("-").isdigit() and len(cell) > 12), cell
    xlsx = downloads[f"{stem}.xlsx"]()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<autoFilter" in sheet and 'state="frozen"' in sheet


# ── item 1: links keep the profile by its stable id ──────────────────────────────────────────


def test_a_link_naming_a_profile_by_id_opens_that_profile(downloads) -> None:
    at = open_app("pages/whatif.py", profile="huangyan-2022", scale="规上", year="2022")
    assert at.session_state["filters"].profile == "huangyan-2022"
    assert HUANGYAN.name in captions(at)
    at.session_state["wi_share_open"] = True  # pages/whatif.py: the user opens 导出与分享
    at.run()
    link = next(c.value for c in at.code if "profile=" in c.value)
    assert "profile=huangyan-2022" in link


def test_a_saved_scenario_link_under_another_profile_loads(demo_db_copy: Path, downloads) -> None:
    settings = whatif.from_params({"w_tax_per_mu": 33.0}, HUANGYAN, "规上")[0]
    store = db.Database(demo_db_copy)
    scenario_id = whatif.save_scenario(
        store,
        name="黄岩情景",
        author="",
        base_profile="huangyan-2022",
        year=2022,
        scale="规上",
        settings=settings,
    )
    store.close()
    at = open_app(
        "pages/whatif.py", profile="huangyan-2022", scale="规上", scenario=str(scenario_id)
    )
    assert at.slider(key="w_tax_per_mu").value == 33.0
    assert not any("不能载入" in w.value or "方案" in w.value for w in at.warning)


# ── items 3 and 4, year-on-year: the rankings table ──────────────────────────────────────────


def test_rankings_show_rank_tier_name_score_first_and_last_year(downloads) -> None:
    at = open_app("pages/rankings.py")
    table = at.dataframe[0]
    order = list(table.proto.column_order)
    assert order[:4] == ["rank", "tier", "name", "total"]
    assert {"tier_before", "rank_before"} <= set(order)
    assert at.multiselect(key="rank_columns").value


def test_method_legend_comes_from_the_profile_on_overview_and_rankings(downloads) -> None:
    for page in (None, "pages/rankings.py"):
        at = open_app(page, profile="huangyan-2022")
        text = captions(at)
        rule = HUANGYAN.tiers
        assert f"前 {rule.a_pct}%" in text and f"末 {rule.d_pct}%" in text
        assert f"{rule.d_max_tax_per_mu:.1f} 万元/亩" in text
        # 黄岩 2022 has no bonus and no cap above 1: its totals cannot pass 100, so no such line.
        assert ("超过 100 分" in text) == (HUANGYAN.bonus is not None)
        assert any(e.label == labels.RANKINGS_EXTRA["how"] for e in at.expander)
    assert "因此可能超过 100 分" in captions(open_app("pages/rankings.py"))


def test_tier_changes_list_puts_falls_first_and_exports(downloads) -> None:
    at = open_app("pages/rankings.py")
    changes = next(d.value for d in at.dataframe if "change" in d.value.columns)
    into_d = [c.endswith("D") for c in changes["change"]]
    assert into_d == sorted(into_d, reverse=True) and into_d[0], "falls into D come first"
    steps = [labels.TIERS.index(c[-1]) - labels.TIERS.index(c[0]) for c in changes["change"]]
    rest = steps[sum(into_d) :]
    assert rest == sorted(rest, reverse=True)
    assert any(name.endswith("分类变化.xlsx") for name in downloads)


# ── items 10, 11, 14 ─────────────────────────────────────────────────────────────────────────


def test_overview_obeys_the_tier_filter(downloads) -> None:
    every = {m.label: m.value for m in open_app().metric}
    only_d = open_app(tier=["D"])
    cut = {m.label: m.value for m in only_d.metric}
    K = labels.KPI_LABELS
    firms = K["firms"].format(scale="规上")
    assert int(cut[firms].replace(",", "")) < int(every[firms].replace(",", ""))
    assert cut[K["tier"].format(tier="A", name=labels.TIER_CLASS["A"])] == "0"
    assert "分类：D" in captions(only_d)


def test_overview_for_small_firms_says_why_there_is_no_value_added(downloads) -> None:
    at = open_app(scale="规下")
    labels_shown = [m.label for m in at.metric]
    assert labels.KPI_LABELS["va_per_mu"].format(scale="规下") not in labels_shown
    assert "不采集增加值" in captions(at)
    assert all(m.value != "—" for m in at.metric)


def test_a_failed_search_says_no_match_instead_of_the_previous_firm(downloads) -> None:
    at = open_app("pages/enterprise.py")
    shown = at.selectbox(key="ent_code").value
    at.text_input(key="ent_search").input("不存在的企业名称XYZ").run()
    assert not at.exception
    assert any(labels.ENTERPRISE_TEXT["no_match"] in i.value for i in at.info)
    assert not any(shown in s.value for s in at.subheader)


# ── the briefing (汇报材料) ─────────────────────────────────────────────────────────────────


def test_overview_briefing_pdf_names_the_filters(downloads) -> None:
    open_app(industry=["门业"], tier=["D"])
    name = next(n for n in downloads if n.endswith(".pdf"))
    assert name == "2024_规上_门业_D_汇报材料.pdf"
    pdf = downloads[name]()
    assert pdf.startswith(b"%PDF") and len(pdf) < 400_000


# ── item 5: icons ────────────────────────────────────────────────────────────────────────────


def test_every_icon_is_a_material_icon() -> None:
    """Emoji icons render as empty boxes without an emoji font (government Linux desktops)."""
    root = Path(APP).parent
    found = []
    for path in [*root.glob("pages/*.py"), *root.glob("ui/*.py"), root / "app.py"]:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for icon in re.findall(r'icon="([^"]*)"', line):
                if not icon.startswith(":material/"):
                    found.append(f"{path.name}:{number} {icon}")
    assert not found, found


# ── also: the policy source note speaks to an official, not to a developer ─────────────────


@pytest.mark.parametrize("page", ["pages/policy.py", "pages/whatif.py"])
def test_policy_source_is_a_chinese_note_without_file_names(downloads, page: str) -> None:
    at = open_app(page)
    shown = "\n".join(
        e.value for kind in (at.caption, at.markdown, at.info) for e in kind if e.value
    )
    assert "费率依据：瑞安、海宁" in shown
    assert ".md" not in shown and "§" not in shown, shown
