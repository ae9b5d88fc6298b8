"""muyun.land: rectified land against targets, parks, funds, upgrades, the low-efficiency list."""

from __future__ import annotations

import io
import random
from dataclasses import replace
from datetime import datetime

import pandas as pd
import pytest

from muyun import db, labels, land
from muyun.creditcode import is_valid, make_code
from muyun.export import to_excel_bytes
from muyun.profile import load_profile, profile_path

# The published 2022 figures (yongkang-facts.md §1), split into uneven projects per category.
PUBLISHED_2022 = {
    "集中连片拆除": 2600.0,
    "低效工业企业用地整治": 7155.0,
    "临时改变用途整治": 132.0,
    "供而未用土地消化": 856.0,
    "低效仓储物流用地整治": 885.0,
}
TOWNS = ("东城街道", "西城街道", "江南街道", "经济开发区", "芝英镇")


@pytest.fixture(scope="module")
def profile():
    return load_profile(profile_path("yongkang-default"))


@pytest.fixture
def land_con(empty_con):
    """2022 projects summing exactly to the published categories, targets, a 2021 year."""
    rows = []
    for c, (category, total) in enumerate(PUBLISHED_2022.items()):
        shares = [0.1, 0.35, 0.2, 0.05, 0.3]
        areas = [round(total * s, 1) for s in shares[:-1]]
        areas.append(round(total - sum(areas), 1))
        for i, area in enumerate(areas):
            status = "已完成" if i else "整治中"
            rows.append(
                (2022, f"P{c}{i}", f"项目{c}{i}", TOWNS[i], category, area, "政府收储", status)
            )
    rows.append((2021, "Q1", "项目Q1", "芝英镇", "集中连片拆除", 1000.0, "其他", "已完成"))
    empty_con.executemany(
        "INSERT INTO rectification_projects (year, project_id, name, town, category, area_mu, "
        "path, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    empty_con.executemany(
        "INSERT INTO rectification_targets VALUES (2022, ?, ?)",
        [(c, v * 0.95) for c, v in PUBLISHED_2022.items()],
    )
    empty_con.execute(
        "INSERT INTO published_facts VALUES ('rank_demolition', 2022, '拆除量金华排名', 1, '名', "
        "NULL, '永康市经信局 2023'), ('tasks_early', 2022, '五项年度任务', NULL, NULL, "
        "'提前一个月完成', '永康市经信局 2023')"
    )
    return empty_con


def test_year_view_reproduces_published_figures(land_con):
    view = land.year_view(land_con, 2022)
    areas = dict(zip(view.categories["category"], view.categories["area_mu"], strict=True))
    assert list(view.categories["category"]) == list(labels.RECTIFICATION_CATEGORIES)
    for category, published in PUBLISHED_2022.items():
        assert areas[category] == pytest.approx(published, abs=1e-9)
    assert view.total_mu == pytest.approx(11628.0, abs=1e-9)
    assert view.categories["area_mu"].sum() == pytest.approx(view.total_mu)
    assert land.fmt_mu(view.total_mu) == "11,628 亩"
    assert land.fmt_hectare(view.total_mu) == "775.2 公顷"
    assert land.fmt_category_area("临时改变用途整治", areas["临时改变用途整治"]) == (
        "132 亩（8.8 万平方米）"
    )
    assert land.fmt_category_area("集中连片拆除", 2600.0) == "2,600 亩"
    assert [land.fmt_mu(areas[c]) for c in PUBLISHED_2022] == [
        "2,600 亩",
        "7,155 亩",
        "132 亩",
        "856 亩",
        "885 亩",
    ]


def test_year_view_targets_towns_and_facts(land_con):
    view = land.year_view(land_con, 2022)
    assert view.total_target_mu == pytest.approx(11628.0 * 0.95)
    assert view.total_progress == pytest.approx(1 / 0.95)
    assert view.categories["progress"].tolist() == pytest.approx([1 / 0.95] * 5)
    # One project per category is still in progress: done < total.
    first_share = sum(round(v * 0.1, 1) for v in PUBLISHED_2022.values())
    assert view.done_mu == pytest.approx(11628.0 - first_share)
    assert set(view.by_town["town"]) == set(TOWNS)
    assert view.by_town["total_mu"].sum() == pytest.approx(11628.0)
    town_categories = view.by_town[list(labels.RECTIFICATION_CATEGORIES)].sum()
    assert town_categories.to_dict() == pytest.approx(PUBLISHED_2022)
    assert view.facts["fact_key"].tolist() == ["rank_demolition", "tasks_early"]
    assert view.facts["highlight"].tolist() == [True, False]
    assert (view.facts["source"] == "永康市经信局 2023").all()


def test_year_without_targets_has_no_progress(land_con):
    view = land.year_view(land_con, 2021)
    assert view.total_mu == 1000.0
    assert view.total_target_mu is None and view.total_progress is None
    assert view.categories["progress"].isna().all()
    assert land.land_years(land_con) == [2021, 2022]


def test_trend_totals_per_year(land_con):
    frame = land.trend(land_con)
    totals = frame.groupby("year")["area_mu"].sum()
    assert totals.to_dict() == pytest.approx({2021: 1000.0, 2022: 11628.0})
    assert frame.loc[frame["year"] == 2022, "year_target_mu"].iloc[0] == pytest.approx(
        11628.0 * 0.95
    )
    targets = land.trend_targets(frame)
    assert targets["year"].tolist() == [2022], "2021 has no target"
    assert targets["year_target_mu"].tolist() == pytest.approx([11628.0 * 0.95])


def test_categories_keep_report_order_and_percentages(land_con):
    land_con.execute(
        "INSERT INTO rectification_projects (year, project_id, name, town, category, area_mu, "
        "path, status) VALUES (2022, 'X1', '项目X1', '芝英镇', '其他整治', 10, '其他', '排摸')"
    )
    land_con.execute("INSERT INTO rectification_targets VALUES (2022, '其他整治', 20)")
    view = land.year_view(land_con, 2022)
    assert list(view.categories["category"]) == [*labels.RECTIFICATION_CATEGORIES, "其他整治"]
    assert view.categories["progress_pct"].tolist() == pytest.approx([100 / 0.95] * 5 + [50.0])
    assert land.category_order(["其他整治", "甲", "其他整治"]) == [
        *labels.RECTIFICATION_CATEGORIES,
        "其他整治",
        "甲",
    ]
    assert set(labels.RECTIFICATION_COLOURS) == set(labels.RECTIFICATION_CATEGORIES)
    assert len(set(labels.RECTIFICATION_COLOURS.values())) == 5, "one colour per category"


@pytest.mark.parametrize(
    ("mu", "hectare"), [(11628, 775.2), (15, 1.0), (0, 0.0), (1500, 100.0), (7.5, 0.5)]
)
def test_mu_to_hectare(mu, hectare):
    assert labels.mu_to_hectare(mu) == pytest.approx(hectare)


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: land.fmt_wan_m2(3_250_000), "325 万平方米"),
        (lambda: land.fmt_wan_m2(47_500), "4.75 万平方米"),
        (lambda: land.fmt_wan_m2(88_000), "8.8 万平方米"),
        (lambda: land.fmt_yi_yuan(12_000), "1.2 亿元"),
        (lambda: land.fmt_yi_yuan(9_400), "0.94 亿元"),
        (lambda: land.fmt_wan_yuan(12_000), "12,000 万元"),
        (lambda: land.fmt_number(100), "100"),
        (lambda: land.fmt_number(-0.01), "0"),
    ],
)
def test_formats(call, expected):
    assert call() == expected


def test_parks_status_and_recognition(empty_con):
    rows = []
    for i in range(35):
        status = "已建成" if i < 26 else "在建"
        floor = (2_140_000 / 26) if i < 26 else (1_110_000 / 9)
        provincial = 2015 + i % 8 if i < 14 else None  # 14 recognised, one in 2022
        star = (2020, 2022, 2022, 2022, 2019, 2021)[i] if i < 6 else None
        rows.append(
            (
                f"Y{i:02d}",
                f"园区{i}",
                TOWNS[i % 5],
                50.0,
                floor,
                status,
                True,
                provincial,
                3,
                star,
                20,
            )
        )
    empty_con.executemany("INSERT INTO parks VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
    view = land.parks_view(empty_con)
    assert view.total_parks == 35
    assert land.fmt_wan_m2(view.total_floor_m2) == "325 万平方米"
    status = view.by_status.set_index("status")
    assert status.loc["已建成", "parks"] == 26 and status.loc["在建", "parks"] == 9
    assert land.fmt_wan_m2(status.loc["已建成", "floor_m2"]) == "214 万平方米"
    assert land.fmt_wan_m2(status.loc["在建", "floor_m2"]) == "111 万平方米"
    assert status.loc["规划", "parks"] == 0
    assert view.recognition_as_of(2022) == {
        "provincial_total": 14,
        "provincial_new": 1,
        "star_total": 6,
        "star_new": 3,
    }
    last = view.recognition.set_index("year").loc[2022]
    assert (last["provincial_total"], last["star_total"]) == (14, 6)
    assert view.total_firms == 35 * 20
    assert view.cleared_parks == 35
    assert view.shown_statuses["status"].tolist() == ["已建成", "在建"], "no 规划 park: no metric"
    chosen = land.filter_parks(view.parks, towns=["东城街道"], statuses=["在建"])
    assert len(chosen) == 1 and land.firms_in(chosen) == 20
    assert len(land.filter_parks(view.parks)) == 35


def test_funds_and_upgrades(empty_con):
    empty_con.executemany(
        "INSERT INTO funds VALUES (?, ?, ?, ?)",
        [
            (2021, "园区基础设施", 2000.0, 1000.0),
            (2022, "盘活工业用地", 6000.0, 5000.0),
            (2022, "园区基础设施", 1000.0, 900.0),
            (2022, "企业提升改造", 3000.0, 2500.0),
        ],
    )
    funds = land.funds_view(empty_con)
    assert funds.extracted_10k == 12_000.0 and funds.spent_10k == 9_400.0
    assert land.fmt_yi_yuan(funds.extracted_10k) == "1.2 亿元"
    assert land.fmt_yi_yuan(funds.spent_10k) == "0.94 亿元"
    assert list(funds.by_use["use"]) == ["盘活工业用地", "企业提升改造", "园区基础设施"]
    assert funds.by_use.set_index("use").loc["园区基础设施", "spend_rate"] == pytest.approx(
        1900 / 3000
    )
    assert funds.spend_rate == pytest.approx(9_400 / 12_000)
    assert funds.by_use["spend_rate_pct"].tolist() == pytest.approx([500 / 6, 2500 / 30, 190 / 3])
    assert land.FundsView(by_use=funds.by_use.iloc[0:0]).spend_rate is None

    empty_con.execute(
        "INSERT INTO plot_ratio_upgrades VALUES ('U1', 2022, '某线缆公司', '东城街道', NULL, "
        "47500, 99000, 800, '永康市经信局 2023'), ('U2', 2022, '某门业', '芝英镇', NULL, "
        "10000, 15000, 100, ''), ('U3', 2023, '演示企业', '芝英镇', NULL, 10000, 12000, 20, "
        "'演示数据（虚构）')"
    )
    ups = land.plot_ratio_upgrades(empty_con).set_index("upgrade_id")
    assert ups.loc["U1", "plot_ratio_multiple"] == pytest.approx(99000 / 47500)
    assert ups.loc["U1", "plot_ratio_multiple"] > 2
    assert ups.loc["U1", "added_m2"] == 51500
    assert ups["published"].tolist() == [True, False, False]
    view = land.upgrades_view(empty_con)
    assert view.count == 3 and view.added_m2 == 51500 + 5000 + 2000
    assert view.reward_10k == 920
    assert view.published["upgrade_id"].tolist() == ["U1"]


# ── the low-efficiency list on hand-built scoring results ──────────────────────────────────────

_RNG = random.Random(6)
CODES = {key: make_code(_RNG) for key in ("d", "c_low", "c_line", "c_high", "lease", "b", "nr")}


def _scored(year: int, rows: dict[str, tuple[str, str | None, float, float]]) -> pd.DataFrame:
    """A scoring result: key → (status, tier, tax_per_mu, unregistered_lease_mu)."""
    records = []
    for key, (status, tier, tax, lease) in rows.items():
        records.append(
            {
                "year": year,
                "credit_code": CODES[key],
                "name": f"企业{key}",
                "industry": "门业",
                "scale": "规上",
                "town": "芝英镇",
                "status": status,
                "tier": tier,
                "tax_per_mu": tax,
                "land_mu": 10.0,
                "unregistered_lease_mu": lease,
            }
        )
    frame = pd.DataFrame(records)
    frame["tier"] = frame["tier"].astype("string")
    return frame


YEAR1 = {
    "d": ("评价", "D", 1.0, 0.0),
    "c_low": ("评价", "C", 2.99, 0.0),
    "c_line": ("评价", "C", 3.0, 0.0),
    "c_high": ("评价", "C", 8.0, 0.0),
    "lease": ("评价", "B", 20.0, 2.5),
    "b": ("评价", "B", 20.0, 0.0),
    "nr": ("不参评", None, float("nan"), 1.0),
}


def test_membership_rules(profile):
    assert profile.low_efficiency_tax_per_mu == 3.0
    members = land.low_efficiency_members(_scored(2022, YEAR1), profile).set_index("credit_code")
    assert set(members.index) == {CODES[k] for k in ("d", "c_low", "lease", "nr")}
    assert members.loc[CODES["d"], "reasons"] == labels.LOW_EFFICIENCY_REASON_D
    assert members.loc[CODES["c_low"], "reasons"] == "C类且亩均税收低于3万元/亩"
    assert members.loc[CODES["lease"], "reasons"] == labels.LOW_EFFICIENCY_REASON_LEASE
    assert members.loc[CODES["nr"], "tier"] == ""


def test_membership_combines_reasons_and_follows_the_profile_line(profile):
    rows = {"d": ("评价", "D", 1.0, 4.0), "c_high": ("评价", "C", 8.0, 0.0)}
    members = land.low_efficiency_members(_scored(2022, rows), profile).set_index("credit_code")
    assert members.loc[CODES["d"], "reasons"] == "；".join(
        [labels.LOW_EFFICIENCY_REASON_D, labels.LOW_EFFICIENCY_REASON_LEASE]
    )
    assert CODES["c_high"] not in members.index
    stricter = land.low_efficiency_members(
        _scored(2022, rows), profile_with_line(profile, 10.0)
    ).set_index("credit_code")
    assert stricter.loc[CODES["c_high"], "reasons"] == "C类且亩均税收低于10万元/亩"


def profile_with_line(profile, line):
    return replace(profile, low_efficiency_tax_per_mu=line)


YEAR2 = {
    "d": ("评价", "C", 4.0, 0.0),  # D → C above the line: leaves
    "c_low": ("评价", "C", 2.5, 0.0),  # still under the line: stays
    "c_line": ("评价", "C", 3.0, 0.0),
    "c_high": ("评价", "D", 1.0, 0.0),  # newly on the list
    "lease": ("评价", "B", 21.0, 0.0),  # lease registered: leaves
    "b": ("评价", "A", 30.0, 0.0),
    # "nr" no longer in the data: not counted as improved
}


def test_leaving_the_list_next_year(profile):
    leaving = land.leaving_list(_scored(2022, YEAR1), _scored(2023, YEAR2), profile)
    assert leaving["credit_code"].tolist() == sorted([CODES["d"], CODES["lease"]])
    row = leaving.set_index("credit_code").loc[CODES["d"]]
    assert (row["previous_tier"], row["tier"]) == ("D", "C")
    assert row["previous_reasons"] == labels.LOW_EFFICIENCY_REASON_D


def test_list_view_counts_within_the_filters(empty_con, profile):
    previous, current = _scored(2022, YEAR1), _scored(2023, YEAR2)
    current.loc[current["credit_code"] == CODES["lease"], "town"] = "古山镇"
    members = land.low_efficiency_list(empty_con, current, profile, previous_scored=previous)
    leaving = land.leaving_list(previous, current, profile)
    d, c_line, lease = land.reason_labels(profile)
    assert (d, lease) == (labels.LOW_EFFICIENCY_REASON_D, labels.LOW_EFFICIENCY_REASON_LEASE)
    assert c_line == "C类且亩均税收低于3万元/亩"

    city = land.list_view(members, leaving, current, profile, scale="规上")
    assert city.city_total == len(city.shown) == 2
    assert city.new == 1, "c_high is new; c_low was listed last year"
    assert city.by_reason == {d: 1, c_line: 1, lease: 0}
    assert list(city.by_reason) == list(land.reason_labels(profile))
    assert set(city.leaving["credit_code"]) == {CODES["d"], CODES["lease"]}

    town = land.list_view(members, leaving, current, profile, scale="规上", towns=["古山镇"])
    assert town.shown.empty and town.city_total == 2
    assert town.leaving["credit_code"].tolist() == [CODES["lease"]], "leavers by current town"
    tier_d = land.list_view(members, leaving, current, profile, tiers=["D"])
    assert tier_d.shown["credit_code"].tolist() == [CODES["c_high"]]
    assert len(tier_d.leaving) == 2, "the tier filter does not apply to leavers (new tiers)"
    assert land.list_view(members, leaving, current, profile, scale="规下").shown.empty


def test_list_merges_stored_entries_and_previous_year(empty_con, profile):
    empty_con.execute(
        "INSERT INTO low_efficiency_list VALUES (2023, ?, '关停淘汰', '整治中', '古山镇', '约谈', "
        "TIMESTAMP '2024-03-01 10:00:00')",
        [CODES["c_low"]],
    )
    frame = land.low_efficiency_list(
        empty_con, _scored(2023, YEAR2), profile, previous_scored=_scored(2022, YEAR1)
    ).set_index("credit_code")
    assert list(frame.columns) == list(land.LIST_COLUMNS[:1] + land.LIST_COLUMNS[2:])
    assert set(frame.index) == {CODES["c_low"], CODES["c_high"]}
    stored = frame.loc[CODES["c_low"]]
    assert (stored["path"], stored["status"], stored["responsible_town"], stored["notes"]) == (
        "关停淘汰",
        "整治中",
        "古山镇",
        "约谈",
    )
    assert bool(stored["on_previous_list"]) is True
    fresh = frame.loc[CODES["c_high"]]
    assert (fresh["path"], fresh["status"], fresh["responsible_town"], fresh["notes"]) == (
        "提升发展",
        "排摸",
        "芝英镇",
        "",
    )
    assert bool(fresh["on_previous_list"]) is False


def test_edit_persists_across_restart_with_history(tmp_path, profile):
    path = tmp_path / "list.duckdb"
    store = db.Database(path)
    scored = _scored(2022, YEAR1)
    before = land.low_efficiency_list(store.reader(), scored, profile)
    after = before.copy()
    code = CODES["d"]
    after.loc[after["credit_code"] == code, ["path", "notes"]] = ["关停淘汰", "年底前关停"]
    when = datetime(2024, 5, 6, 7, 8, 9)
    edits = land.save_list_edits(store, 2022, before, after, "张科长", at=when)
    assert {(e.field, e.old_value, e.new_value) for e in edits} == {
        ("path", "提升发展", "关停淘汰"),
        ("notes", "", "年底前关停"),
    }
    store.close()

    reopened = db.Database(path)
    con = reopened.reader()
    row = land.low_efficiency_list(con, scored, profile).set_index("credit_code").loc[code]
    assert (row["path"], row["notes"], row["responsible_town"]) == (
        "关停淘汰",
        "年底前关停",
        "芝英镇",
    )
    assert row["updated_at"] == pd.Timestamp(when)
    history = land.list_history(con, 2022)
    assert set(zip(history["field"], history["old_value"], history["new_value"], strict=True)) == {
        ("path", "提升发展", "关停淘汰"),
        ("notes", "", "年底前关停"),
    }
    assert (history["edited_by"] == "张科长").all()
    assert (history["edited_at"] == pd.Timestamp(when)).all()

    # A second edit records the stored value as the previous one.
    current = land.low_efficiency_list(con, scored, profile)
    again = current.copy()
    again.loc[again["credit_code"] == code, "path"] = "兼并重组"
    land.save_list_edits(reopened, 2022, current, again, "李四")
    newest = land.list_history(con, 2022).iloc[0]
    assert (newest["old_value"], newest["new_value"], newest["edited_by"]) == (
        "关停淘汰",
        "兼并重组",
        "李四",
    )
    reopened.close()


def test_invalid_edit_writes_nothing(profile):
    store = db.Database(":memory:")
    scored = _scored(2022, YEAR1)
    before = land.low_efficiency_list(store.reader(), scored, profile)
    after = before.copy()
    after.loc[after["credit_code"] == CODES["d"], "notes"] = "好"
    after.loc[after["credit_code"] == CODES["c_low"], "path"] = "随便处理"
    with pytest.raises(land.ListEditError, match="随便处理"):
        land.save_list_edits(store, 2022, before, after, "张科长")
    con = store.reader()
    assert con.execute("SELECT count(*) FROM low_efficiency_list").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM low_efficiency_history").fetchone()[0] == 0
    assert land.save_list_edits(store, 2022, before, before.copy(), "张科长") == []
    store.close()


def _read_list_excel(data: bytes) -> pd.DataFrame:
    """An exported list read back as the app would (Chinese headers → keys, text as text)."""
    frame = pd.read_excel(
        io.BytesIO(data), engine="calamine", dtype={land.list_header("credit_code"): str}
    )
    reverse = {v: k for k, v in labels.LOW_EFFICIENCY_HEADERS.items()}
    frame = frame.rename(columns=reverse)
    for column in frame.columns:
        if column not in land.NUMERIC_LIST_COLUMNS:
            frame[column] = frame[column].astype(object).where(frame[column].notna(), "")
            frame[column] = frame[column].astype(str)
    return frame


def test_excel_export_round_trips(empty_con, profile):
    empty_con.execute(
        "INSERT INTO low_efficiency_list VALUES (2022, ?, '政府收储', '建档', '东城街道', "
        "'含“引号”与,逗号', TIMESTAMP '2024-01-02 03:04:05')",
        [CODES["d"]],
    )
    frame = land.low_efficiency_list(empty_con, _scored(2022, YEAR1), profile)
    exported = land.export_frame(frame)
    data = to_excel_bytes(exported, header=land.list_header, sheet_name="低效企业清单")
    back = _read_list_excel(data)
    assert list(back.columns) == list(exported.columns)
    pd.testing.assert_frame_equal(back, exported, check_dtype=False)
    assert all(is_valid(c) for c in back["credit_code"])
    # The same list, not just the same text: codes, reasons, edits and numbers are unchanged.
    same = ["credit_code", "name", "reasons", "path", "status", "responsible_town", "notes"]
    assert back[same].equals(frame[same].astype(str))
    numbers = ["year", "tax_per_mu", "land_mu", "unregistered_lease_mu"]
    pd.testing.assert_frame_equal(back[numbers], frame[numbers], check_dtype=False)
    assert back["notes"].tolist().count("含“引号”与,逗号") == 1
    assert (back["on_previous_list"] == "否").all()
    raw = pd.read_excel(io.BytesIO(data), engine="calamine")
    assert list(raw.columns) == [land.list_header(c) for c in exported.columns]
    assert len(raw) == len(frame)


def test_membership_from_the_scoring_engine(empty_con, profile):
    """60 firms of one pool ranked by tax alone: rank 60 is D, ranks 49–59 are C."""
    from muyun.scoring import score_year

    rng = random.Random(60)
    codes = [make_code(rng) for _ in range(61)]
    rows = [
        (
            2022,
            codes[i],
            f"企业{i}",
            "门业",
            "芝英镇",
            "规上",
            10.0,
            5.0 * i,
            50.0 * i,
            1000.0,
            20,
            100.0,
            1.0,
            2.0 * i,
        )
        for i in range(1, 61)
    ]
    empty_con.executemany(
        "INSERT INTO enterprises (year, credit_code, name, industry, town, scale, land_own_mu, "
        "tax, value_added, revenue, employees, energy_tce, emission_t, rd) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    empty_con.execute(
        "INSERT INTO leases VALUES (2022, ?, ?, 1.0, NULL, FALSE, NULL)", [codes[40], codes[41]]
    )
    scored = score_year(empty_con, 2022, profile).set_index("credit_code")
    assert scored.loc[codes[1], "tier"] == "D"
    assert scored.loc[codes[6], "tier"] == "C" and scored.loc[codes[6], "tax_per_mu"] == 3.0
    members = land.low_efficiency_members(scored.reset_index(), profile)
    # D (i=1), C under 3 万元/亩 (i=2..5; i=6 sits exactly on the line), both lease parties.
    assert set(members["credit_code"]) == {codes[i] for i in (1, 2, 3, 4, 5, 40, 41)}
