"""The embedded demo city: a synthetic, deterministic 永康 dataset for 2020–2024.

Why synthetic: no real enterprise records are public, yet a new user must see a plausible city at
once. Every number is drawn from a seeded `numpy` Generator and calibrated to
`yongkang-facts.md` §2 (firm counts, land, 亩均税收, 亩均增加值, …); every enterprise name is
fictional. The land-rectification, park, fund and plot-ratio tables instead carry the *real*
published figures of §1 as data (with their source), broken down into plausible projects that sum
exactly to them, so the land page shows the bureau's own numbers.

Why vectorised: `--enterprises 200000` builds a province-size dataset (a million enterprise-years)
for benchmarks, so firms are simulated as arrays and written to DuckDB as whole tables.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import duckdb
import numpy as np
import pandas as pd

from muyun import db, labels, profile, summaries
from muyun.creditcode import make_code
from muyun.profile import DEFAULT_BELOW_MIN_LAND_MU

YEARS: tuple[int, ...] = (2020, 2021, 2022, 2023, 2024)
DEFAULT_SEED = 20240601
SCALE_UP, SCALE_DOWN = labels.SCALES  # 规上, 规下

# --- Calibration targets (yongkang-facts.md §2), per year 2020–2024 ------------------------------
# 规上 firms per year: ≈1,050 on average with ≈100 entering and ≈70 leaving each year.
UP_FIRMS = (990, 1020, 1050, 1080, 1110)
UP_ENTRIES_PROMOTED, UP_ENTRIES_NEW = 55, 45  # 小升规 from 规下 + new firms = ≈100 entries
UP_EXITS_DEMOTED, UP_EXITS_CLOSED = 25, 45  # back to 规下 + closed/moved away = ≈70 exits
DOWN_FIRMS_EVALUATED = 3000  # 规下 with ≥ 3 亩
DOWN_FIRMS_SMALL = 350  # 规下 under 3 亩 (不参评)
DOWN_CLOSURE_RATE = 0.06
DEFAULT_FIRMS_PER_YEAR = (
    round(sum(UP_FIRMS) / len(UP_FIRMS)) + DOWN_FIRMS_EVALUATED + DOWN_FIRMS_SMALL
)
# City ratios of sums (Σnumerator / Σdenominator): 2022 dips (VAT credit refunds), 2023 rebounds.
UP_TAX_PER_MU = {2020: 16.0, 2021: 17.6, 2023: 17.5, 2024: 18.2}
UP_TAX_CHANGE = {2022: -0.075}  # total 规上 tax against the year before (VAT credit refunds)
UP_VA_PER_MU = (88.0, 92.0, 95.0, 99.0, 103.0)
UP_LABOUR_PRODUCTIVITY = (15.0, 16.2, 17.0, 18.2, 19.2)
UP_VA_PER_TCE = (2.3, 2.4, 2.5, 2.6, 2.7)
DOWN_TAX_PER_MU = (5.6, 6.0, 5.5, 6.1, 6.4)
UP_MIN_REVENUE = 2000.0  # 规上 = 主营业务收入 ≥ 2,000 万元
LEASES_PER_YEAR = (260, 280, 300, 320, 340)


class IndustryProfile(NamedTuple):
    """How an industry differs from the city: counts and multipliers/medians of its ratios."""

    up: int  # 规上 firms (yongkang-facts §2)
    down: int  # 规下 firms with ≥ 3 亩
    land: float  # land multiplier
    tax: float  # 亩均税收 multiplier
    va: float  # 亩均增加值 multiplier
    va_per_tce: float  # median 万元/吨标准煤
    va_per_emission: float  # median 万元/吨
    rd_share: float  # median R&D / revenue
    labour_productivity: float  # median 万元/人
    va_per_water: float  # median 万元/吨
    va_rate: float  # value added / revenue


INDUSTRY_PROFILES: dict[str, IndustryProfile] = {
    "车业": IndustryProfile(150, 420, 1.10, 1.00, 1.00, 3.4, 5200, 0.024, 15, 0.10, 0.21),
    "门业": IndustryProfile(120, 330, 1.30, 1.05, 1.00, 2.9, 2600, 0.020, 14, 0.08, 0.22),
    "杯业": IndustryProfile(130, 360, 0.90, 1.00, 1.00, 2.6, 1800, 0.021, 12, 0.05, 0.22),
    "电动工具": IndustryProfile(130, 350, 1.00, 1.15, 1.10, 3.6, 6000, 0.028, 16, 0.12, 0.23),
    "电器厨具": IndustryProfile(140, 380, 0.90, 1.00, 1.00, 3.2, 4200, 0.023, 14, 0.09, 0.21),
    "休闲器具": IndustryProfile(80, 230, 0.85, 0.85, 0.90, 3.4, 5000, 0.021, 13, 0.10, 0.22),
    "技术装备": IndustryProfile(110, 260, 1.10, 1.20, 1.15, 3.8, 6500, 0.032, 19, 0.12, 0.25),
    "金属材料": IndustryProfile(90, 200, 1.60, 0.55, 0.70, 0.55, 900, 0.012, 24, 0.03, 0.12),
    "非五金": IndustryProfile(100, 470, 0.80, 0.90, 0.95, 2.6, 3500, 0.019, 14, 0.07, 0.22),
}

# Where firms sit: the big platforms and towns carry most of the city's industry.
TOWN_WEIGHTS: dict[str, float] = {
    "经济开发区": 22,
    "东城街道": 11,
    "江南街道": 10,
    "芝英镇": 11,
    "古山镇": 10,
    "西城街道": 6,
    "象珠镇": 5,
    "唐先镇": 5,
    "花街镇": 3,
    "石柱镇": 4,
    "方岩镇": 3,
    "前仓镇": 3,
    "舟山镇": 2,
    "龙山镇": 3,
    "西溪镇": 2,
}
OTHER_TOWN_WEIGHT = 2.0
TOWN_AFFINITY: dict[str, dict[str, float]] = {
    "车业": {"经济开发区": 1.4, "古山镇": 1.5},
    "门业": {"经济开发区": 1.5, "芝英镇": 1.3, "唐先镇": 1.4},
    "杯业": {"江南街道": 1.6, "西城街道": 1.4},
    "电动工具": {"东城街道": 1.4, "石柱镇": 1.5},
    "电器厨具": {"古山镇": 1.3, "东城街道": 1.2},
    "休闲器具": {"古山镇": 1.4, "江南街道": 1.2},
    "技术装备": {"经济开发区": 1.6},
    "金属材料": {"芝英镇": 1.8, "象珠镇": 1.4},
}

# --- Fictional names -----------------------------------------------------------------------------
# 字号 are built from these characters; any 字号 containing a well-known brand is redrawn.
TRADE_NAME_CHARS = (
    "金银华盛鑫宏恒泰隆达丰昌瑞祥佳新宇航腾凯顺源晨博锐捷创通联信诚德益嘉豪立峰川洋"
    "中正宝利兴旺富民安荣美星光明辉耀卓越远汇聚鸿福进晟弘浩铭鼎骏翔旭东南北舜雅欣"
)
WELL_KNOWN_TRADE_NAMES: frozenset[str] = frozenset(
    {
        "众泰", "哈尔斯", "步阳", "王力", "星月", "群升", "铁将军", "中坚", "普莱得", "飞剑",
        "超人", "富士达", "皇冠", "兆申", "华鹰", "飞神", "爱仕达", "苏泊尔", "九阳", "美的",
        "格力", "海尔", "方太", "老板", "吉利", "万向", "正泰", "德力西", "康宝", "春风",
        "钱江", "新大洲", "爱玛", "雅迪", "绿源", "台铃", "小刀", "金帆达", "华为", "阿里",
        "腾讯", "联想", "海信", "长城", "中华", "中国", "金龙", "宝马", "奔驰", "丰田",
        "东风", "安踏", "华美", "宏达", "恒达", "新华", "光明", "华联", "永达", "顺丰",
        "东方", "福田", "中通", "申通", "圆通", "汇源", "民生", "中信", "南方", "星光",
    }
)  # fmt: skip
INDUSTRY_WORDS: dict[str, tuple[str, ...]] = {
    "车业": ("车业", "机车部件", "电动车", "摩托车配件", "汽车配件", "童车"),
    "门业": ("门业", "安防门业", "防盗门", "木门", "智能门业", "门窗"),
    "杯业": ("杯业", "保温器皿", "不锈钢制品", "日用品", "真空器皿", "水具"),
    "电动工具": ("电动工具", "工具", "园林工具", "机电", "电器工具", "五金工具"),
    "电器厨具": ("电器", "厨具", "炊具", "厨房用品", "家用电器", "小家电"),
    "休闲器具": ("休闲用品", "运动器材", "健身器材", "户外用品", "滑板车", "体育用品"),
    "技术装备": ("机械", "智能装备", "自动化设备", "精密机械", "数控设备", "机电设备"),
    "金属材料": ("金属材料", "铝业", "铜业", "金属制品", "压铸", "有色金属"),
    "非五金": ("塑料制品", "包装", "电子", "新材料", "印刷", "纺织"),
}
WORKSHOP_WORDS: dict[str, tuple[str, ...]] = {
    "车业": ("车件", "配件"),
    "门业": ("门窗", "门业"),
    "杯业": ("杯具", "器皿"),
    "电动工具": ("工具", "五金"),
    "电器厨具": ("电器", "厨具"),
    "休闲器具": ("健身器材", "玩具"),
    "技术装备": ("机械", "模具"),
    "金属材料": ("压铸", "铜材"),
    "非五金": ("塑料", "包装"),
}
CITY_PREFIX, PROVINCE_PREFIX = "永康市", "浙江"
SUFFIX_LIMITED, SUFFIX_SHAREHOLDING, SUFFIX_WORKSHOP = "有限公司", "股份有限公司", "厂"
LEASE_RECORD_NO = "永租备〔{year}〕{seq:05d}号"

# --- Real published land figures (yongkang-facts.md §1) ----------------------------------------
SOURCE_REPORT = "永康市经信局《2023年亩均论英雄改革工作报告》（2022年度数据）"
SOURCE_NEWS_2023 = "本地新闻报道（2023年）"
SOURCE_NEWS_MID_2022 = "本地新闻报道（2022年年中）"
SOURCE_CASE = "永康市经信局《2023年亩均论英雄改革工作报告》公开案例（企业名称为演示用化名）"
SOURCE_DEMO = labels.SOURCE_DEMO
CAT_CONTIGUOUS, CAT_ENTERPRISE, CAT_TEMPORARY, CAT_UNUSED, CAT_WAREHOUSE = (
    labels.RECTIFICATION_CATEGORIES
)
# Rectified 亩 per year and category; 2022 is the published report, 2023 the published news for
# three categories; the rest is plausible demo data. 2024 is the year in progress.
RECTIFIED_MU: dict[int, dict[str, float]] = {
    2020: {CAT_CONTIGUOUS: 1350, CAT_ENTERPRISE: 4210, CAT_TEMPORARY: 64, CAT_UNUSED: 520,
           CAT_WAREHOUSE: 380},
    2021: {CAT_CONTIGUOUS: 1905, CAT_ENTERPRISE: 5620, CAT_TEMPORARY: 98, CAT_UNUSED: 690,
           CAT_WAREHOUSE: 560},
    2022: {CAT_CONTIGUOUS: 2600, CAT_ENTERPRISE: 7155, CAT_TEMPORARY: 132, CAT_UNUSED: 856,
           CAT_WAREHOUSE: 885},
    2023: {CAT_CONTIGUOUS: 1814, CAT_ENTERPRISE: 4947, CAT_TEMPORARY: 96, CAT_UNUSED: 551,
           CAT_WAREHOUSE: 640},
    2024: {CAT_CONTIGUOUS: 1560, CAT_ENTERPRISE: 3980, CAT_TEMPORARY: 72, CAT_UNUSED: 310,
           CAT_WAREHOUSE: 455},
}  # fmt: skip
# Targets: 2022 all met (集中连片 1,800 so that mid-year 845 亩 = 47 %); 2023 from the published
# completion rates (1,814 / 1.01 ≈ 1,796; 551 / 1.84 ≈ 300; 4,947 / 1.24 ≈ 3,990).
RECTIFICATION_TARGETS: dict[int, dict[str, float]] = {
    2020: {CAT_CONTIGUOUS: 1200, CAT_ENTERPRISE: 4000, CAT_TEMPORARY: 60, CAT_UNUSED: 500,
           CAT_WAREHOUSE: 350},
    2021: {CAT_CONTIGUOUS: 1600, CAT_ENTERPRISE: 5000, CAT_TEMPORARY: 90, CAT_UNUSED: 600,
           CAT_WAREHOUSE: 500},
    2022: {CAT_CONTIGUOUS: 1800, CAT_ENTERPRISE: 6500, CAT_TEMPORARY: 120, CAT_UNUSED: 700,
           CAT_WAREHOUSE: 800},
    2023: {CAT_CONTIGUOUS: 1796, CAT_ENTERPRISE: 3990, CAT_TEMPORARY: 80, CAT_UNUSED: 300,
           CAT_WAREHOUSE: 600},
    2024: {CAT_CONTIGUOUS: 1800, CAT_ENTERPRISE: 4500, CAT_TEMPORARY: 100, CAT_UNUSED: 400,
           CAT_WAREHOUSE: 600},
}  # fmt: skip
PROJECT_MEAN_MU = {
    CAT_CONTIGUOUS: 180.0,
    CAT_ENTERPRISE: 30.0,
    CAT_TEMPORARY: 14.0,
    CAT_UNUSED: 50.0,
    CAT_WAREHOUSE: 40.0,
}
PROJECT_CODES = {
    CAT_CONTIGUOUS: "JZLP",
    CAT_ENTERPRISE: "DXQY",
    CAT_TEMPORARY: "LSGB",
    CAT_UNUSED: "GWWY",
    CAT_WAREHOUSE: "CCWL",
}
PATH_OTHER = labels.RECTIFICATION_PATHS[-1]
PATH_UPGRADE, PATH_BUYBACK, PATH_MERGER, PATH_CLOSURE = labels.REMEDIATION_PATHS
PROJECT_PATHS: dict[str, dict[str, float]] = {
    CAT_CONTIGUOUS: {PATH_BUYBACK: 0.55, PATH_CLOSURE: 0.30, PATH_MERGER: 0.10, PATH_OTHER: 0.05},
    CAT_ENTERPRISE: {PATH_UPGRADE: 0.40, PATH_MERGER: 0.20, PATH_BUYBACK: 0.20, PATH_CLOSURE: 0.20},
    CAT_TEMPORARY: {PATH_OTHER: 0.60, PATH_UPGRADE: 0.20, PATH_BUYBACK: 0.20},
    CAT_UNUSED: {PATH_OTHER: 0.45, PATH_BUYBACK: 0.35, PATH_UPGRADE: 0.20},
    CAT_WAREHOUSE: {PATH_UPGRADE: 0.40, PATH_BUYBACK: 0.30, PATH_MERGER: 0.15, PATH_OTHER: 0.15},
}
PROJECT_NAME = {
    CAT_CONTIGUOUS: "{town}{block}区块集中连片拆除",
    CAT_ENTERPRISE: "{town}{n}号低效工业地块整治",
    CAT_TEMPORARY: "{town}{n}号临时改变用途地块整治",
    CAT_UNUSED: "{town}{n}号供而未用地块消化",
    CAT_WAREHOUSE: "{town}{n}号低效仓储物流用地整治",
}
FIRM_PROJECT_NAME = "{firm}用地整治"
BLOCK_NAMES = ("东", "西", "南", "北", "城东", "城西", "溪口", "塘边", "后山", "桥头", "新区")
KEY_BLOCKS_2023, KEY_BLOCK_TOWNS_2023 = 18, 8
STATUS_DONE = labels.RECTIFICATION_STATUSES[-1]
IN_PROGRESS_STATUS_SHARES = dict(
    zip(labels.RECTIFICATION_STATUSES, (0.08, 0.12, 0.30, 0.50), strict=True)
)

# Parks (early 2023): 35 parks, 3,250,000 m² planned; 26 built 2,140,000 m²; 9 building 1,110,000.
PARK_BUILT, PARK_BUILDING = labels.PARK_STATUSES[:2]
PARKS_BY_STATUS = {PARK_BUILT: (26, 2_140_000), PARK_BUILDING: (9, 1_110_000)}
PARK_TOWNS = (
    ("经济开发区", 7), ("东城街道", 3), ("江南街道", 3), ("芝英镇", 4), ("古山镇", 4),
    ("西城街道", 2), ("象珠镇", 2), ("唐先镇", 2), ("花街镇", 1), ("石柱镇", 2), ("方岩镇", 1),
    ("前仓镇", 1), ("舟山镇", 1), ("龙山镇", 1), ("西溪镇", 1),
)  # fmt: skip
PARK_THEMES = (
    "五金智造", "智能门业", "电动工具", "杯业", "车业", "科创", "众创", "智能装备",
    "金属制品", "厨具电器", "休闲用品", "数字经济", "五金产业", "机电",
)  # fmt: skip
PARK_NAME = "永康{town}{theme}小微企业园"
PARK_PHASE = "{}期"
PARKS_NOT_ON_CLEARED_LAND = 4
# Province-recognised parks per year (14 by 2022, 1 in 2022) and star ratings (6 by 2022, 3 in
# 2022) as (year, stars).
PARK_PROVINCIAL_YEARS = (2018,) * 3 + (2019,) * 4 + (2020,) * 3 + (2021,) * 3 + (2022,)
PARK_STARS = ((2020, 5), (2021, 4), (2021, 4), (2022, 3), (2022, 4), (2022, 3))

# "腾笼换鸟" fund: 1.2 亿 drawn, 0.94 亿 spent over 2020–2022 (万元), by the four uses of §1.
FUND_ROWS: tuple[tuple[int, str, float, float], ...] = tuple(
    (year, use, extracted, spent)
    for year, amounts in (
        (2020, ((1300, 1250), (800, 760), (600, 560), (500, 430))),
        (2021, ((1600, 1350), (1000, 850), (800, 620), (600, 480))),
        (2022, ((1900, 1250), (1200, 780), (1000, 600), (700, 470))),
    )
    for use, (extracted, spent) in zip(labels.FUND_USES, amounts, strict=True)
)

# "零增地技改": reward for extra floor area, at most 1,000 万元 per firm (illustrative 100 元/m²).
PLOT_RATIO_REWARD_CAP = 1000.0
PLOT_RATIO_REWARD_PER_M2 = 0.01  # 万元 per m² above the original floor area
PLOT_RATIO_CASE = {
    "upgrade_id": "LZD-2022-CASE",
    "year": 2022,
    "name": "永康市澄缆电线电缆有限公司",
    "town": "经济开发区",
    "credit_code": None,
    "floor_before_m2": 47_500.0,
    "floor_after_m2": 99_000.0,
    "reward_10k": 515.0,
    "source": SOURCE_CASE,
}
PLOT_RATIO_DEMO_UPGRADES = 7

# (fact_key, year, label, value, unit, text, source) — every figure of yongkang-facts §1.
PUBLISHED_FACTS: tuple[tuple[str, int, str, float | None, str | None, str | None, str], ...] = (
    ("rectified_total", 2022, "低效工业用地整治总面积", 11628, "亩",
     "整治低效工业用地11628亩（合775.2公顷）", SOURCE_REPORT),
    ("rectified_total_ha", 2022, "低效工业用地整治总面积（公顷）", 775.2, "公顷", None,
     SOURCE_REPORT),
    ("rectified_contiguous_demolition", 2022, CAT_CONTIGUOUS, 2600, "亩", "集中连片拆除2600亩",
     SOURCE_REPORT),
    ("rectified_enterprise_land", 2022, CAT_ENTERPRISE, 7155, "亩", "整治低效工业企业用地7155亩",
     SOURCE_REPORT),
    ("rectified_temporary_use", 2022, CAT_TEMPORARY, 132, "亩",
     "临时改变用途整治8.8万平方米（折合132亩）", SOURCE_REPORT),
    ("rectified_temporary_use_m2", 2022, "临时改变用途整治（平方米）", 88000, "平方米",
     "8.8万平方米", SOURCE_REPORT),
    ("rectified_supplied_unused", 2022, CAT_UNUSED, 856, "亩", "消化供而未用土地856亩",
     SOURCE_REPORT),
    ("rectified_warehouse_logistics", 2022, CAT_WAREHOUSE, 885, "亩",
     "整治低效仓储物流用地885亩", SOURCE_REPORT),
    ("jinhua_rank_demolition_volume", 2022, "拆除量金华市排名", 1, "名", "拆除量居金华市第一",
     SOURCE_REPORT),
    ("jinhua_rank_demolition_rate", 2022, "拆除率金华市排名", 2, "名", "拆除率居金华市第二",
     SOURCE_REPORT),
    ("jinhua_rank_enterprise_land", 2022, "低效工业企业用地整治金华市排名", 1, "名",
     "低效工业企业用地整治居金华市第一", SOURCE_REPORT),
    ("jinhua_rank_temporary_use", 2022, "临时改变用途整治金华市排名", 3, "名",
     "临时改变用途整治居金华市第三", SOURCE_REPORT),
    ("jinhua_annual_assessment", 2022, "年度考核金华市排名", 2, "名",
     "年度考核居金华市第二，获评优秀", SOURCE_REPORT),
    ("annual_tasks_finished_early", 2022, "五项年度任务", 5, "项",
     "五项年度整治任务均提前一个月完成", SOURCE_REPORT),
    ("midyear_demolished", 2022, "年中已拆除面积", 845, "亩",
     "截至年中已拆除845亩，完成全年任务的47%", SOURCE_NEWS_MID_2022),
    ("midyear_demolished_pct", 2022, "年中拆除任务完成率", 47, "%", None, SOURCE_NEWS_MID_2022),
    ("parks_total", 2022, "小微企业园", 35, "个",
     "截至2023年初，利用整治腾出土地建设小微企业园35个", SOURCE_REPORT),
    ("parks_planned_floor_area", 2022, "小微企业园规划建筑面积", 3_250_000, "平方米",
     "规划建筑面积325万平方米", SOURCE_REPORT),
    ("parks_built", 2022, "已建成小微企业园", 26, "个", "已建成26个", SOURCE_REPORT),
    ("parks_built_floor_area", 2022, "已建成小微企业园建筑面积", 2_140_000, "平方米",
     "已建成建筑面积214万平方米", SOURCE_REPORT),
    ("parks_under_construction", 2022, "在建小微企业园", 9, "个", "在建9个", SOURCE_REPORT),
    ("parks_under_construction_floor_area", 2022, "在建小微企业园建筑面积", 1_110_000, "平方米",
     "在建建筑面积111万平方米", SOURCE_REPORT),
    ("parks_new_provincial", 2022, "新增省级认定小微企业园", 1, "个", None, SOURCE_REPORT),
    ("parks_new_star", 2022, "新增星级小微企业园", 3, "个", None, SOURCE_REPORT),
    ("parks_provincial_cumulative", 2022, "累计省级认定小微企业园", 14, "个", None,
     SOURCE_REPORT),
    ("parks_star_cumulative", 2022, "累计星级小微企业园", 6, "个", None, SOURCE_REPORT),
    ("parks_best_practice", 2022, "小微企业园建设", None, None,
     "永康小微企业园建设工作入选全省最佳实践案例", SOURCE_REPORT),
    ("fund_extracted_total", 2022, "“腾笼换鸟”专项经费累计提取", 12000, "万元",
     "累计提取1.2亿元", SOURCE_REPORT),
    ("fund_spent_total", 2022, "“腾笼换鸟”专项经费累计使用", 9400, "万元",
     "已使用0.94亿元，用于盘活工业用地、企业提升改造、宿舍型保障性租赁住房和园区基础设施",
     SOURCE_REPORT),
    ("plot_ratio_reward_cap", 2022, "零增地技改奖励上限（每家企业）", 1000, "万元",
     "对超出原规划建筑面积部分给予奖励，每家企业最高1000万元", SOURCE_REPORT),
    ("plot_ratio_case_floor_before", 2022, "零增地技改案例：改造前建筑面积", 47_500, "平方米",
     "某电线电缆企业建筑面积由4.75万平方米增至9.9万平方米，容积率翻一番以上", SOURCE_REPORT),
    ("plot_ratio_case_floor_after", 2022, "零增地技改案例：改造后建筑面积", 99_000, "平方米",
     None, SOURCE_REPORT),
    ("digital_factories", 2022, "“N+X”轻量化改造入门级数字工厂", 60, "家",
     "样板企业10家、首批20家、第二批30家，共60家入门级数字工厂", SOURCE_REPORT),
    ("digital_subsidies", 2022, "数字化改造补助资金", 800, "万元", "补助资金800余万元",
     SOURCE_REPORT),
    ("rectified_contiguous_demolition", 2023, CAT_CONTIGUOUS, 1814, "亩",
     "集中连片整治1814亩，完成目标的101%", SOURCE_NEWS_2023),
    ("rectified_contiguous_demolition_pct", 2023, "集中连片拆除目标完成率", 101, "%", None,
     SOURCE_NEWS_2023),
    ("rectified_supplied_unused", 2023, CAT_UNUSED, 551, "亩",
     "消化供而未用土地551亩，完成目标的184%", SOURCE_NEWS_2023),
    ("rectified_supplied_unused_pct", 2023, "供而未用土地消化目标完成率", 184, "%", None,
     SOURCE_NEWS_2023),
    ("rectified_enterprise_land", 2023, CAT_ENTERPRISE, 4947, "亩",
     "整治低效工业企业用地4947亩，完成目标的124%", SOURCE_NEWS_2023),
    ("rectified_enterprise_land_pct", 2023, "低效工业企业用地整治目标完成率", 124, "%", None,
     SOURCE_NEWS_2023),
    ("key_blocks", 2023, "重点区块", 18, "个", "18个重点区块共8299亩，涉及8个镇街",
     SOURCE_NEWS_2023),
    ("key_blocks_area", 2023, "重点区块面积", 8299, "亩", None, SOURCE_NEWS_2023),
    ("key_blocks_towns", 2023, "重点区块涉及镇街", 8, "个", None, SOURCE_NEWS_2023),
)  # fmt: skip


@dataclass(frozen=True)
class DemoSummary:
    """What a build produced, for the command line and the benchmark."""

    path: Path
    seed: int
    enterprise_rows: int
    firms: dict[int, dict[str, int]] = field(default_factory=dict)  # year → {规上, 规下, 规下≥3亩}
    leases: int = 0
    rectification_projects: int = 0
    parks: int = 0
    seconds: float = 0.0


def build_demo_database(
    path: str | os.PathLike[str], *, enterprises: int | None = None, seed: int = DEFAULT_SEED
) -> DemoSummary:
    """Write the demo city to `path`, replacing any file there.

    `enterprises` is the number of firms per year (default: the city, ≈4,400); larger values
    scale every enterprise-side count with the same shape, for benchmarks. The file is built
    beside the target and moved into place, so a reader never sees a half-built database. The
    default profile's year summaries and tiers are stored too, as in a store already in use
    (`summaries.store_years`).
    """
    started = time.perf_counter()
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    building = target.with_name(target.name + ".building")
    for stale in (building, Path(f"{building}.wal")):
        stale.unlink(missing_ok=True)
    con = db.connect(building)
    try:
        towns = [row[0] for row in con.execute("SELECT name FROM towns ORDER BY rowid").fetchall()]
        tables = generate_tables(towns, seed=seed, enterprises=enterprises)
        tables["dataset_info"] = _dataset_info(seed, enterprises)
        con.execute("BEGIN TRANSACTION")
        for name, frame in tables.items():
            _insert(con, name, frame)
        con.execute("COMMIT")
        default = profile.profile_path(profile.DEFAULT_PROFILE)
        summaries.store_years(con, default.read_text(encoding="utf-8"), default.stem)
        con.execute("CHECKPOINT")
    except BaseException:
        con.close()
        for partial in (building, Path(f"{building}.wal")):
            partial.unlink(missing_ok=True)
        raise
    con.close()
    Path(f"{target}.wal").unlink(missing_ok=True)
    os.replace(building, target)
    return _summary(target, seed, tables, time.perf_counter() - started)


def ensure_demo_database(path: str | os.PathLike[str]) -> bool:
    """Build the demo city at `path` only when no database file is there; True if it built."""
    if Path(path).exists():
        return False
    build_demo_database(path)
    return True


def generate_tables(
    towns: list[str], *, seed: int = DEFAULT_SEED, enterprises: int | None = None
) -> dict[str, pd.DataFrame]:
    """Every demo table as a DataFrame with the store's columns (pure: no database needed)."""
    if not towns:
        raise ValueError("towns reference table is empty")
    factor = 1.0 if enterprises is None else enterprises / DEFAULT_FIRMS_PER_YEAR
    if factor <= 0:
        raise ValueError("enterprises must be positive")
    rng = np.random.default_rng(seed)
    panel = _simulate_panel(rng, factor, towns)
    _name_and_code(panel, rng, random.Random(seed))
    rows = _enterprise_rows(panel, rng)
    enterprises, participation = _programme(rows.frame, seed)
    tables = {
        "enterprises": enterprises,
        "leases": _leases(panel, rows, rng, factor),
        "rectification_projects": _rectification_projects(rows, towns, rng),
        "rectification_targets": _rectification_targets(),
        "parks": _parks(towns, rng),
        "funds": pd.DataFrame(FUND_ROWS, columns=["year", "use", "extracted_10k", "spent_10k"]),
        "plot_ratio_upgrades": _plot_ratio_upgrades(rows, rng),
        "published_facts": pd.DataFrame(
            PUBLISHED_FACTS,
            columns=["fact_key", "year", "label", "value", "unit", "text", "source"],
        ),
    }
    tables["programme_participation"] = participation
    tables["town_targets"] = _town_targets(
        enterprises, tables["rectification_projects"], towns, seed
    )
    return tables


# --- Firms over the years ------------------------------------------------------------------------


def _unset() -> np.ndarray:
    """An empty array for a panel field that a later build step fills in."""
    return np.empty(0, dtype=object)


@dataclass
class _Panel:
    """All simulated firms (entities) and their scale per year: 0 absent, 1 规上, 2 规下."""

    industry: np.ndarray
    town: np.ndarray
    land: np.ndarray  # own land at its first year (亩); 0 for firms that only rent
    size: np.ndarray  # land that sizes the firm's activity (own land, or what a renter rents)
    perf: np.ndarray  # persistent efficiency (standard normal)
    drift: np.ndarray  # (entities, years) random walk added to `perf`
    born: np.ndarray  # first year index
    renter_registered: np.ndarray  # for renters: is their lease registered?
    scale: np.ndarray  # (entities, years) int8
    towns: list[str]
    # Filled in by later build steps (names and codes once the panel exists, listing after).
    names: np.ndarray = field(default_factory=_unset)
    codes: np.ndarray = field(default_factory=_unset)
    listing: np.ndarray = field(default_factory=_unset)  # final listing status index
    listed_from: np.ndarray = field(default_factory=_unset)  # year index of the final status


KIND_UP, KIND_DOWN, KIND_SMALL = 0, 1, 2


def _town_probabilities(towns: list[str]) -> np.ndarray:
    """(industries, towns) probabilities: base town weight × the industry's affinity."""
    base = np.array([TOWN_WEIGHTS.get(t, OTHER_TOWN_WEIGHT) for t in towns], dtype=float)
    probs = np.empty((len(INDUSTRY_PROFILES), len(towns)))
    for i, industry in enumerate(INDUSTRY_PROFILES):
        boost = TOWN_AFFINITY.get(industry, {})
        row = base * np.array([boost.get(t, 1.0) for t in towns])
        probs[i] = row / row.sum()
    return probs


def _new_firms(
    rng: np.random.Generator, kind: int, n: int, year: int, town_probs: np.ndarray
) -> dict[str, np.ndarray]:
    """Attributes of `n` new firms of a kind (规上, 规下 ≥ 3 亩, small 规下)."""
    profiles = list(INDUSTRY_PROFILES.values())
    weights = np.array([p.up if kind == KIND_UP else p.down for p in profiles], dtype=float)
    industry = rng.choice(len(profiles), size=n, p=weights / weights.sum()).astype(np.int8)
    land_mult = np.array([p.land for p in profiles])[industry]
    if kind == KIND_UP:
        land = np.clip(np.exp(np.log(12.5 * land_mult) + 1.15 * _standard(rng, n)), 1.0, 850.0)
    elif kind == KIND_DOWN:
        land = 3.0 + np.exp(np.log(2.0 * land_mult) + 0.85 * _standard(rng, n))
        land = np.clip(land, 3.0, 120.0)
    else:
        land = rng.uniform(0.3, 2.95, size=n)
    land = np.round(land, 2)
    renters = rng.permutation(n)[: round(0.006 * n) if kind == KIND_UP else 0]
    renter = np.zeros(n, dtype=bool)
    renter[renters] = True
    renter_registered = np.zeros(n, dtype=bool)
    renter_registered[renters[: round(len(renters) * 2 / 3)]] = True
    size = land.copy()
    size[renter] = np.round(np.exp(rng.normal(np.log(6.0), 0.5, size=renter.sum())), 2)
    land[renter] = 0.0
    cum = np.cumsum(town_probs[industry], axis=1)
    town = (cum < rng.random(n)[:, None]).sum(axis=1).clip(max=town_probs.shape[1] - 1)
    return {
        "industry": industry,
        "town": town.astype(np.int16),
        "land": land,
        "size": size,
        "perf": _standard(rng, n),
        "born": np.full(n, year, dtype=np.int8),
        "renter_registered": renter_registered,
    }


def _standard(rng: np.random.Generator, n: int) -> np.ndarray:
    """Normal draws rescaled to mean 0 and sd 1, so a city of 1,000 firms hits its land targets
    whatever the seed (raw draws move the lognormal mean by ±10 %)."""
    z = rng.standard_normal(n)
    if n < 30:
        return z
    return (z - z.mean()) / z.std()


def _weighted_pick(
    rng: np.random.Generator, ids: np.ndarray, weights: np.ndarray, k: float
) -> np.ndarray:
    """`k` distinct ids drawn with probability ∝ weight (Efraimidis–Spirakis, O(n))."""
    k = int(min(max(k, 0), len(ids)))
    if k == 0:
        return ids[:0]
    keys = rng.exponential(size=len(ids)) / np.maximum(weights, 1e-12)
    return np.sort(ids[np.argpartition(keys, k - 1)[:k]])


def _simulate_panel(rng: np.random.Generator, factor: float, towns: list[str]) -> _Panel:
    """Which firms exist in each year and at which scale: entries, exits, 小升规 and back.

    Weak firms are likelier to close or drop to 规下, strong 规下 firms likelier to grow into
    规上, so the churn looks like a real city's rather than random noise.
    """
    town_probs = _town_probabilities(towns)
    n_years = len(YEARS)
    up_target = [round(factor * n) for n in UP_FIRMS]
    big_target = round(factor * DOWN_FIRMS_EVALUATED)
    small_target = round(factor * DOWN_FIRMS_SMALL)
    batches = [
        _new_firms(rng, KIND_UP, up_target[0], 0, town_probs),
        _new_firms(rng, KIND_DOWN, big_target, 0, town_probs),
        _new_firms(rng, KIND_SMALL, small_target, 0, town_probs),
    ]
    scale = np.zeros((up_target[0] + big_target + small_target, n_years), dtype=np.int8)
    scale[: up_target[0], 0] = 1
    scale[up_target[0] :, 0] = 2
    drift = np.zeros((len(scale), n_years))

    def attr(name: str) -> np.ndarray:
        return np.concatenate([b[name] for b in batches])

    for t in range(1, n_years):
        land, perf = attr("land"), attr("perf")
        drift = np.vstack([drift, np.zeros((len(land) - len(drift), n_years))])
        drift[:, t] = drift[:, t - 1] + rng.normal(0.0, 0.08, size=len(drift))
        now = perf + drift[:, t]
        prev = scale[:, t - 1]
        cur = prev.copy()
        up = np.flatnonzero(prev == 1)
        exits = _weighted_pick(
            rng,
            up,
            np.exp(-0.8 * now[up]) / np.sqrt(np.maximum(land[up], 1.0)),
            factor * (UP_EXITS_DEMOTED + UP_EXITS_CLOSED),
        )
        demoted = np.sort(rng.permutation(exits)[: round(factor * UP_EXITS_DEMOTED)])
        cur[exits] = 0
        down = np.flatnonzero(prev == 2)
        closed = _weighted_pick(rng, down, np.exp(-0.5 * now[down]), DOWN_CLOSURE_RATE * len(down))
        cur[closed] = 0
        candidates = np.flatnonzero((cur == 2) & (land >= 5.0))
        promoted = _weighted_pick(
            rng,
            candidates,
            np.exp(1.2 * now[candidates]) * land[candidates] ** 2,
            factor * UP_ENTRIES_PROMOTED,
        )
        cur[promoted] = 1
        cur[demoted] = 2
        new_up = max(up_target[t] - int((cur == 1).sum()), 0)
        is_big = (cur == 2) & (land >= 3.0)
        is_small = (cur == 2) & (land < 3.0)
        for mask, target in ((is_big, big_target), (is_small, small_target)):
            surplus = int(mask.sum()) - target
            if surplus > 0:
                cur[_weighted_pick(rng, np.flatnonzero(mask), np.ones(mask.sum()), surplus)] = 0
        new_big = max(big_target - int(((cur == 2) & (land >= 3.0)).sum()), 0)
        new_small = max(small_target - int(((cur == 2) & (land < 3.0)).sum()), 0)
        batches += [
            _new_firms(rng, KIND_UP, new_up, t, town_probs),
            _new_firms(rng, KIND_DOWN, new_big, t, town_probs),
            _new_firms(rng, KIND_SMALL, new_small, t, town_probs),
        ]
        added = np.zeros((new_up + new_big + new_small, n_years), dtype=np.int8)
        added[:new_up, t] = 1
        added[new_up:, t] = 2
        scale[:, t] = cur
        scale = np.vstack([scale, added])
    drift = np.vstack([drift, np.zeros((len(scale) - len(drift), n_years))])
    return _Panel(
        industry=attr("industry"),
        town=attr("town"),
        land=attr("land"),
        size=attr("size"),
        perf=attr("perf"),
        drift=drift,
        born=attr("born"),
        renter_registered=attr("renter_registered"),
        scale=scale,
        towns=towns,
    )


_BANNED_PATTERN = "|".join(sorted(WELL_KNOWN_TRADE_NAMES))


def _trade_names(rng: np.random.Generator, n: int, three: np.ndarray) -> np.ndarray:
    """`n` 字号 of two (or, where `three`, three) distinct characters, none a well-known brand."""
    chars = np.array(list(TRADE_NAME_CHARS))
    out = np.empty(n, dtype=object)
    todo = np.arange(n)
    while len(todo):
        picks = rng.integers(0, len(chars), size=(len(todo), 3))
        names = pd.Series(chars[picks[:, 0]]) + pd.Series(chars[picks[:, 1]])
        names = names.where(~three[todo], names + pd.Series(chars[picks[:, 2]]))
        third_repeats = (picks[:, 2] == picks[:, 0]) | (picks[:, 2] == picks[:, 1])
        repeated = (picks[:, 0] == picks[:, 1]) | (three[todo] & third_repeats)
        banned = names.str.contains(_BANNED_PATTERN).to_numpy()
        good = ~(repeated | banned)
        out[todo[good]] = names.to_numpy()[good]
        todo = todo[~good]
    return out


def _name_and_code(panel: _Panel, rng: np.random.Generator, code_rng: random.Random) -> None:
    """Give every firm a listing history, a unique fictional name and a unique credit code."""
    n = len(panel.industry)
    ever_up = (panel.scale == 1).any(axis=1)
    score = panel.perf + 0.4 * np.log(np.maximum(panel.size, 0.5)) + rng.normal(0, 0.5, n)
    score[~ever_up] = -np.inf
    order = np.argsort(-score, kind="stable")
    n_up = int(ever_up.sum())
    listing = np.zeros(n, dtype=np.int8)  # index into labels.LISTING_STATUSES
    bounds = np.cumsum([round(0.01 * n_up), round(0.025 * n_up), round(0.06 * n_up)])
    listing[order[: bounds[0]]] = 3
    listing[order[bounds[0] : bounds[1]]] = 2
    listing[order[bounds[1] : bounds[2]]] = 1
    held_before = rng.random(n) < np.where(listing == 1, 0.7, 0.6)
    panel.listing = listing
    panel.listed_from = np.where(held_before, 0, rng.integers(1, len(YEARS), n)).astype(np.int8)

    industries = list(INDUSTRY_PROFILES)
    words = np.array([INDUSTRY_WORDS[i] for i in industries], dtype=object)
    shop_words = np.array([WORKSHOP_WORDS[i] for i in industries], dtype=object)
    workshop = ~ever_up & (rng.random(n) < 0.2)
    word = np.where(
        workshop,
        shop_words[panel.industry, rng.integers(0, shop_words.shape[1], n)],
        words[panel.industry, rng.integers(0, words.shape[1], n)],
    )
    provincial = ever_up & ((listing >= 2) | ((panel.size >= 40) & (rng.random(n) < 0.35)))
    prefix = np.where(provincial, PROVINCE_PREFIX, CITY_PREFIX)
    suffix = np.where(
        workshop, SUFFIX_WORKSHOP, np.where(listing > 0, SUFFIX_SHAREHOLDING, SUFFIX_LIMITED)
    )
    three = rng.random(n) < 0.25
    names = pd.Series(prefix + _trade_names(rng, n, three) + word + suffix)
    while (dup := names.duplicated().to_numpy()).any():
        idx = np.flatnonzero(dup)
        fresh = _trade_names(rng, len(idx), np.ones(len(idx), dtype=bool))
        names.iloc[idx] = prefix[idx] + fresh + word[idx] + suffix[idx]
    panel.names = names.to_numpy(dtype=object)
    codes: list[str] = []
    seen: set[str] = set()
    while len(codes) < n:
        code = make_code(code_rng)
        if code not in seen:
            seen.add(code)
            codes.append(code)
    panel.codes = np.array(codes, dtype=object)


@dataclass
class _Rows:
    """Enterprise-year rows plus the simulation indices the lease generator needs."""

    frame: pd.DataFrame
    entity: np.ndarray
    year_index: np.ndarray


def _strings(
    values: Sequence[str] | np.ndarray, index: np.ndarray
) -> pd.api.extensions.ExtensionArray:
    """`values[index]` as a pandas string array, converting each distinct value only once."""
    return pd.array(np.asarray(values, dtype=object), dtype="str").take(index)


def _nullable(
    values: np.ndarray, missing: np.ndarray, dtype: str
) -> pd.api.extensions.ExtensionArray:
    """A pandas nullable array (DuckDB reads its mask as NULL)."""
    return pd.array(np.where(missing, np.nan, values), dtype=dtype)


def _enterprise_rows(panel: _Panel, rng: np.random.Generator) -> _Rows:
    """Every firm's figures in every year it exists, calibrated to the city's published ratios."""
    t_idx, e = np.nonzero(panel.scale.T)  # ordered by year, then firm
    n = len(e)
    n_ent, n_years = panel.scale.shape
    up = panel.scale[e, t_idx] == 1
    year = np.asarray(YEARS)[t_idx]
    prof = pd.DataFrame(list(INDUSTRY_PROFILES.values())).iloc[panel.industry[e]]
    col = {c: prof[c].to_numpy(dtype=float) for c in prof.columns}

    grow = (rng.random((n_ent, n_years)) < 0.015) & (panel.land >= 3.0)[:, None]
    grow[:, 0] = False
    expansion = np.cumprod(np.where(grow, rng.uniform(1.1, 1.6, (n_ent, n_years)), 1.0), axis=1)
    land = np.round(panel.land[e] * expansion[e, t_idx], 2)
    size = panel.size[e] * expansion[e, t_idx]
    perf = panel.perf[e] + panel.drift[e, t_idx]
    u = np.column_stack([_standard(rng, n_ent) for _ in range(9)])[e]  # persistent firm traits
    eps = rng.standard_normal((9, n))  # year-to-year noise

    tax_per_mu = np.where(
        up,
        np.exp(
            np.log(10.0 * col["tax"])
            + 0.25 * np.log(size / (12.0 * col["land"]))
            + 0.6 * perf
            + 0.65 * u[:, 0]
            + 0.12 * eps[0]
        ),
        np.exp(np.log(3.5 * col["tax"] ** 0.5) + 0.6 * perf + 0.75 * u[:, 0] + 0.2 * eps[0]),
    )
    tax = tax_per_mu * size
    va = np.exp(np.log(60.0 * col["va"]) + 0.5 * perf + 0.3 * u[:, 1] + 0.08 * eps[1]) * size
    va_rate = np.clip(col["va_rate"] * np.exp(0.15 * u[:, 2] + 0.03 * eps[2]), 0.06, 0.45)
    revenue = np.where(up, va / va_rate, tax / (0.035 * np.exp(0.3 * u[:, 2] + 0.1 * eps[2])))
    # 规上 means revenue ≥ 2,000 万元: a small 规上 firm is simply more productive per 亩.
    bump = np.where(
        up & (revenue < UP_MIN_REVENUE), UP_MIN_REVENUE * (1 + 0.3 * rng.random(n)) / revenue, 1.0
    )
    revenue, va, tax = revenue * bump, va * bump, tax * bump
    over = ~up & (revenue > 0.99 * UP_MIN_REVENUE)
    revenue = np.where(over, UP_MIN_REVENUE * rng.uniform(0.7, 0.99, n), revenue)
    refund = rng.random(n) < np.where(year == 2022, 0.03, 0.012)
    tax = np.where(refund, -tax * rng.uniform(0.03, 0.4, n), tax)
    shell = ~up & (rng.random(n) < 0.015)  # 规下 firms that hold land but hardly operate
    tax = np.where(shell, rng.uniform(0.0, 0.5, n), tax)
    revenue = np.where(shell, rng.uniform(0.0, 30.0, n), revenue)

    evaluated_down = ~up & (land >= 3.0)
    industry = panel.industry[e]
    for t in range(n_years):
        in_year = t_idx == t
        own_up = in_year & up & (land > 0)
        down = in_year & ~up & ~shell
        _calibrate_industries(tax, land, own_up, in_year & up, industry, "tax")
        _calibrate_industries(tax, land, in_year & evaluated_down, down, industry, "tax", 0.5)
        _calibrate_industries(va, land, own_up, in_year & up, industry, "va")
        if YEARS[t] in UP_TAX_CHANGE:
            last_year_total = tax[(t_idx == t - 1) & up & (land > 0)].sum()
            per_mu = (1 + UP_TAX_CHANGE[YEARS[t]]) * last_year_total / land[own_up].sum()
        else:
            per_mu = UP_TAX_PER_MU[YEARS[t]]
        _calibrate(tax, land, own_up, per_mu, in_year & up)
        _calibrate(tax, land, in_year & evaluated_down, DOWN_TAX_PER_MU[t], down)
        _calibrate(va, land, own_up, UP_VA_PER_MU[t], in_year & up)

    productivity = col["labour_productivity"] * np.exp(0.25 * perf + 0.3 * u[:, 3] + 0.05 * eps[3])
    employees = va / productivity
    va_per_tce = col["va_per_tce"] * np.exp(0.2 * perf + 0.3 * u[:, 4] + 0.05 * eps[4])
    energy = va / va_per_tce
    for t in range(n_years):
        in_up = (t_idx == t) & up
        employees[in_up] *= va[in_up].sum() / employees[in_up].sum() / UP_LABOUR_PRODUCTIVITY[t]
        energy[in_up] *= va[in_up].sum() / energy[in_up].sum() / UP_VA_PER_TCE[t]
    down_employees = np.maximum(
        np.round(revenue / (45.0 * np.exp(0.3 * u[:, 3] + 0.1 * eps[3]))), 1
    )
    employees = np.where(up, np.maximum(np.round(employees), 8), down_employees)
    employees = np.where(shell, 0, employees)
    employees_missing = ~up & ~shell & (rng.random(n) < 0.12)

    electricity = np.where(
        up,
        energy * 0.45 * np.exp(0.2 * eps[5]),
        size * 14.0 * np.exp(0.3 * perf + 0.4 * u[:, 5] + 0.1 * eps[5]),
    )
    electricity = np.where(shell, rng.uniform(0.05, 1.0, n), electricity)
    emission = va / (col["va_per_emission"] * np.exp(0.2 * perf + 0.5 * u[:, 6] + 0.1 * eps[6]))
    emission_missing = ~up | (u[:, 6] > 1.6) | (rng.random(n) < 0.02)
    water = np.where(
        up,
        va / (col["va_per_water"] * np.exp(0.15 * perf + 0.4 * u[:, 7] + 0.1 * eps[7])),
        electricity * 35.0 * np.exp(0.4 * u[:, 7]),
    )
    low_rd = u[:, 8] < -0.95  # ≈ 16 % of firms spend under 1 % of revenue on R&D
    rd_share = np.where(
        low_rd,
        0.0099 * rng.random(n) ** 1.5,
        col["rd_share"] * np.exp(0.1 * perf + 0.3 * (u[:, 8] + 1.0) + 0.1 * eps[8] - 0.25),
    )
    rd_share = np.where(up, rd_share, 0.02 * rng.random(n))
    rd_missing = ~up & (rng.random(n) < 0.7)
    invests = rng.random(n) < np.where(up, 0.45, 0.08)
    investment = np.where(
        invests, np.exp(rng.normal(np.where(up, np.log(250.0), np.log(40.0)), 1.0)), 0.0
    )
    talent_share = np.clip(
        0.13 * (col["rd_share"] / 0.023) ** 0.7 * np.exp(0.5 * u[:, 5] + 0.1 * eps[8]), 0.01, 0.7
    )
    talent_share = np.where(up, talent_share, rng.uniform(0.02, 0.2, n))
    talents_missing = employees_missing | (~up & (rng.random(n) < 0.5))

    status = np.where(t_idx >= panel.listed_from[e], panel.listing[e], 0)
    status = np.where((t_idx < panel.listed_from[e]) & (panel.listing[e] >= 2), 1, status)
    safety = (rng.random(n) < 0.006).astype(int) + (rng.random(n) < 0.0005)
    env = (rng.random(n) < np.where(up, 0.015, 0.02)).astype(int) + (rng.random(n) < 0.001)
    veto = (
        ((safety > 0) & (rng.random(n) < 0.35))
        | ((env > 0) & (rng.random(n) < 0.1))
        | (rng.random(n) < 0.0008)
    )
    brand_new = (panel.born[e] == t_idx) & (t_idx > 0)
    utility = u[:, 2] > 2.6  # a few public-utility-like firms, never graded
    relocating = rng.random(n) < 0.004  # 政策性搬迁 in that year
    exempt = (brand_new & (rng.random(n) < np.where(up, 0.35, 0.05))) | (
        up & (utility | relocating)
    )

    frame = pd.DataFrame(
        {
            "year": year.astype(np.int32),
            "credit_code": _strings(panel.codes, e),
            "name": _strings(panel.names, e),
            "industry": _strings(list(INDUSTRY_PROFILES), panel.industry[e]),
            "town": _strings(panel.towns, panel.town[e]),
            "scale": _strings(labels.SCALES, np.where(up, 0, 1)),
            "land_own_mu": land,
            "tax": np.round(tax, 2),
            "value_added": _nullable(np.round(va, 1), ~up, "Float64"),
            "revenue": np.round(revenue, 1),
            "employees": _nullable(employees, employees_missing, "Int32"),
            "energy_tce": _nullable(np.round(energy, 1), ~up, "Float64"),
            "electricity_10k_kwh": np.round(electricity, 2),
            "emission_t": _nullable(
                np.maximum(np.round(emission, 3), 0.001), emission_missing, "Float64"
            ),
            "rd": _nullable(np.round(revenue * rd_share, 1), rd_missing, "Float64"),
            "water_t": np.maximum(np.round(water), 1.0),
            "investment": _nullable(np.round(investment, 1), ~up & ~invests, "Float64"),
            "listing": _strings(labels.LISTING_STATUSES, status),
            "talents": _nullable(
                np.round(np.where(shell, 0, employees) * talent_share), talents_missing, "Int32"
            ),
            "safety_incidents": safety.astype(np.int32),
            "env_penalties": env.astype(np.int32),
            "veto": veto,
            "exempt": exempt,
        }
    )
    return _Rows(frame=frame, entity=e, year_index=t_idx)


def _calibrate_industries(
    values: np.ndarray,
    land: np.ndarray,
    mask: np.ndarray,
    apply: np.ndarray,
    industry: np.ndarray,
    field: str,
    power: float = 1.0,
) -> None:
    """Scale each industry so its Σvalues / Σland over `mask` is its profile multiplier (to the
    `power`): a few giant firms must not decide whether 金属材料 pays less tax per 亩 than 车业."""
    n = len(INDUSTRY_PROFILES)
    target = np.array([getattr(p, field) for p in INDUSTRY_PROFILES.values()]) ** power
    value_sum = np.bincount(industry[mask], weights=values[mask], minlength=n)
    land_sum = np.bincount(industry[mask], weights=land[mask], minlength=n)
    factor = np.where(value_sum > 0, target * land_sum / np.where(value_sum > 0, value_sum, 1), 1.0)
    values[apply] *= factor[industry[apply]]


def _calibrate(
    values: np.ndarray, land: np.ndarray, mask: np.ndarray, per_mu: float, apply: np.ndarray
) -> None:
    """Scale `values[apply]` in place so that Σvalues / Σland over `mask` equals `per_mu`."""
    if mask.any() and values[mask].sum() > 0:
        values[apply] *= per_mu * land[mask].sum() / values[mask].sum()


# --- Leases --------------------------------------------------------------------------------------


def _leases(panel: _Panel, rows: _Rows, rng: np.random.Generator, factor: float) -> pd.DataFrame:
    """A few hundred leases a year between firms of that year, most registered.

    Leases run on (75 % continue into the next year while both firms exist; unregistered ones
    get registered over time), firms that own no land rent what they use, and registered land
    leased out of a lessor never exceeds 80 % of its own land (the importer's rule is 100 %).
    """
    land_all = rows.frame["land_own_mu"].to_numpy()
    up_all = (rows.frame["scale"] == SCALE_UP).to_numpy()
    n_ent = len(panel.industry)
    empty = np.array([], dtype=int)
    prev = _LeaseSet(empty, empty, np.array([]), np.array([]), np.array([], dtype=bool),
                     np.array([], dtype=object))  # fmt: skip
    out = []
    for t, year in enumerate(YEARS):
        idx = np.flatnonzero(rows.year_index == t)
        ent, land, up = rows.entity[idx], land_all[idx], up_all[idx]
        row_of = np.full(n_ent, -1)
        row_of[ent] = np.arange(len(idx))
        alive = (row_of[prev.lessor] >= 0) & (row_of[prev.lessee] >= 0)
        kept = prev.take(alive & (rng.random(len(prev.lessor)) < 0.75))
        newly = ~kept.registered & (rng.random(len(kept.lessor)) < 0.35)
        kept.registered = kept.registered | newly

        renters = np.flatnonzero(up & (land == 0))
        renters = renters[~np.isin(ent[renters], kept.lessee)]
        big_pool = np.flatnonzero(land >= 12.0)
        forced = _LeaseSet.new(
            rng,
            lessor=ent[rng.choice(big_pool, size=len(renters))],
            lessee=ent[renters],
            land=np.round(panel.size[ent[renters]], 2),
            registered=panel.renter_registered[ent[renters]] | (rng.random(len(renters)) < 0.2 * t),
        )
        n_new = max(round(factor * LEASES_PER_YEAR[t]) - len(kept.lessor) - len(renters), 0)
        lessor_pool = np.flatnonzero(land >= 6.0)
        lessors = rng.choice(lessor_pool, size=n_new, p=land[lessor_pool] / land[lessor_pool].sum())
        lessee_w = np.where(up, 1.0, np.where(land >= 3.0, 1.5, 4.0))
        lessee_w[renters] = 0.0
        lease_land = np.exp(rng.normal(np.log(2.2), 0.7, n_new))
        fresh = _LeaseSet.new(
            rng,
            lessor=ent[lessors],
            lessee=ent[rng.choice(len(idx), size=n_new, p=lessee_w / lessee_w.sum())],
            land=np.round(np.clip(lease_land, 0.3, 0.35 * land[lessors]), 2),
            registered=rng.random(n_new) < 0.8,
        )
        leases = _LeaseSet.concat([kept, forced, fresh])
        pairs = pd.DataFrame({"lessor": leases.lessor, "lessee": leases.lessee})
        leases = leases.take((leases.lessor != leases.lessee) & ~pairs.duplicated().to_numpy())
        out_land = pd.Series(np.where(leases.registered, leases.land, 0.0))
        leased_out = out_land.groupby(leases.lessor).cumsum().to_numpy()
        leases = leases.take(~leases.registered | (leased_out <= 0.8 * land[row_of[leases.lessor]]))
        needs_no = np.flatnonzero(leases.registered & pd.isna(leases.record_no))
        leases.record_no[needs_no] = [
            LEASE_RECORD_NO.format(year=year, seq=i + 1) for i in range(len(needs_no))
        ]
        prev = leases
        out.append(
            pd.DataFrame(
                {
                    "year": np.full(len(leases.lessor), year, dtype=np.int32),
                    "lessor_code": _strings(panel.codes, leases.lessor),
                    "lessee_code": _strings(panel.codes, leases.lessee),
                    "land_mu": leases.land,
                    "floor_area_m2": _nullable(leases.floor, np.isnan(leases.floor), "Float64"),
                    "registered": leases.registered,
                    "record_no": pd.array(leases.record_no, dtype="str"),
                }
            )
        )
    return pd.concat(out, ignore_index=True)


@dataclass
class _LeaseSet:
    """One year's leases as parallel arrays (firms as simulation indices)."""

    lessor: np.ndarray
    lessee: np.ndarray
    land: np.ndarray
    floor: np.ndarray  # NaN = not reported
    registered: np.ndarray
    record_no: np.ndarray  # None until registered

    @classmethod
    def new(
        cls,
        rng: np.random.Generator,
        *,
        lessor: np.ndarray,
        lessee: np.ndarray,
        land: np.ndarray,
        registered: np.ndarray,
    ) -> _LeaseSet:
        """Fresh leases: a floor area from a plausible plot ratio (10 % unreported), no number."""
        n = len(lessor)
        floor = np.round(land * labels.M2_PER_MU * rng.uniform(0.9, 1.8, n), -1)
        floor[rng.random(n) < 0.1] = np.nan
        return cls(lessor, lessee, land, floor, registered, np.full(n, None, dtype=object))

    def take(self, mask: np.ndarray) -> _LeaseSet:
        return _LeaseSet(*(getattr(self, f)[mask] for f in _LEASE_FIELDS))

    @staticmethod
    def concat(parts: list[_LeaseSet]) -> _LeaseSet:
        return _LeaseSet(*(np.concatenate([getattr(p, f) for p in parts]) for f in _LEASE_FIELDS))


_LEASE_FIELDS = ("lessor", "lessee", "land", "floor", "registered", "record_no")


# --- Land rectification, parks, funds, plot-ratio upgrades ----------------------------------------


def _split_exact(
    rng: np.random.Generator, total: float, n: int, sigma: float, unit: float
) -> np.ndarray:
    """`n` plausible sizes (lognormal) in multiples of `unit` that add up to `total` exactly.

    `unit` is a power-of-two fraction or an integer, so the float sum is exact too.
    """
    raw = np.exp(rng.normal(0.0, sigma, n))
    units = raw / raw.sum() * round(total / unit)
    whole = np.maximum(np.floor(units), 1.0)
    short = int(round(total / unit) - whole.sum())
    if short > 0:
        whole[np.argsort(-(units - np.floor(units)), kind="stable")[:short]] += 1
    elif short < 0:
        whole[np.argsort(-whole, kind="stable")[:-short]] -= 1
    return whole * unit


def _town_weights(towns: list[str]) -> np.ndarray:
    """Where land projects happen: as often as where the firms are."""
    weights = np.array([TOWN_WEIGHTS.get(t, OTHER_TOWN_WEIGHT) for t in towns])
    return weights / weights.sum()


def _rectification_projects(
    rows: _Rows, towns: list[str], rng: np.random.Generator
) -> pd.DataFrame:
    """Projects per year and category whose areas add up exactly to `RECTIFIED_MU`.

    Low-efficiency enterprise-land projects are partly tied to the demo's least efficient firms
    of that year (low 亩均税收, enough land), so the land page can link a project to a firm.
    """
    frame = rows.frame
    town_p = _town_weights(towns)
    records = []
    for year, by_category in RECTIFIED_MU.items():
        of_year = frame[frame["year"] == year]
        per_mu = of_year["tax"] / of_year["land_own_mu"].where(of_year["land_own_mu"] > 0)
        weak = of_year[per_mu <= per_mu.quantile(0.25)]
        weak = weak.iloc[rng.permutation(len(weak))]
        weak_land = weak["land_own_mu"].to_numpy()
        used = np.zeros(len(weak), dtype=bool)
        for category, total in by_category.items():
            key_blocks = year == 2023 and category == CAT_CONTIGUOUS
            n = KEY_BLOCKS_2023 if key_blocks else max(1, round(total / PROJECT_MEAN_MU[category]))
            areas = _split_exact(rng, total, n, 0.6, 0.25)
            if key_blocks:
                block_towns = rng.choice(
                    len(towns), min(KEY_BLOCK_TOWNS_2023, len(towns)), replace=False, p=town_p
                )
                town_idx = np.concatenate(
                    [block_towns, rng.choice(block_towns, n - len(block_towns))]
                )
            else:
                town_idx = rng.choice(len(towns), n, p=town_p)
            paths = PROJECT_PATHS[category]
            path = rng.choice(list(paths), n, p=np.array(list(paths.values())))
            if year == YEARS[-1]:
                shares = IN_PROGRESS_STATUS_SHARES
                status = rng.choice(list(shares), n, p=np.array(list(shares.values())))
            else:
                status = np.full(n, STATUS_DONE)
            for i in range(n):
                town = towns[town_idx[i]]
                name = PROJECT_NAME[category].format(
                    town=town, n=i + 1, block=BLOCK_NAMES[i % len(BLOCK_NAMES)]
                )
                code = None
                if category == CAT_ENTERPRISE and rng.random() < 0.6:
                    fits = np.flatnonzero(~used & (weak_land >= areas[i]))
                    if len(fits):
                        firm = weak.iloc[fits[0]]
                        used[fits[0]] = True
                        code, town = firm["credit_code"], firm["town"]
                        name = FIRM_PROJECT_NAME.format(firm=firm["name"])
                records.append(
                    (year, f"{year}-{PROJECT_CODES[category]}-{i + 1:03d}", name, town, category,
                     float(areas[i]), str(path[i]), str(status[i]), code)
                )  # fmt: skip
    return pd.DataFrame(
        records,
        columns=["year", "project_id", "name", "town", "category", "area_mu", "path", "status",
                 "credit_code"],
    )  # fmt: skip


def _rectification_targets() -> pd.DataFrame:
    """Year × category targets (2022 all met; 2023 from the published completion rates)."""
    return pd.DataFrame(
        [
            (year, category, float(target))
            for year, by_category in RECTIFICATION_TARGETS.items()
            for category, target in by_category.items()
        ],
        columns=["year", "category", "target_mu"],
    )


def _parks(towns: list[str], rng: np.random.Generator) -> pd.DataFrame:
    """35 micro-enterprise parks whose counts, floor areas, recognitions and stars match §1."""
    park_towns = [t if t in towns else towns[0] for t, k in PARK_TOWNS for _ in range(k)]
    park_towns = [park_towns[i] for i in rng.permutation(len(park_towns))]
    status, floor = [], []
    for state, (count, total) in PARKS_BY_STATUS.items():
        status += [state] * count
        floor += list(_split_exact(rng, total, count, 0.45, 1000.0))
    n = len(status)
    themes = {town: rng.permutation(len(PARK_THEMES)) for town in sorted(set(park_towns))}
    names: list[str] = []
    for town in park_towns:
        k = sum(name_town == town for name_town in park_towns[: len(names)])
        theme = PARK_THEMES[themes[town][k % len(PARK_THEMES)]]
        phase = PARK_PHASE.format(k // len(PARK_THEMES) + 1) if k >= len(PARK_THEMES) else ""
        short = town.removesuffix("街道").removesuffix("镇")
        names.append(PARK_NAME.format(town=short, theme=theme) + phase)
    built = np.flatnonzero(np.array(status) == PARK_BUILT)
    provincial_year: list[int | None] = [None] * n
    star_rating: list[int | None] = [None] * n
    star_year: list[int | None] = [None] * n
    recognised = rng.permutation(built)[: len(PARK_PROVINCIAL_YEARS)]
    for park, year in zip(recognised, PARK_PROVINCIAL_YEARS, strict=True):
        provincial_year[park] = year
    earliest = recognised[: sum(y <= PARK_STARS[0][0] for y in PARK_PROVINCIAL_YEARS)]
    for park, (year, stars) in zip(rng.permutation(earliest), PARK_STARS, strict=False):
        star_rating[park], star_year[park] = stars, year
    not_cleared = set(rng.permutation(n)[:PARKS_NOT_ON_CLEARED_LAND].tolist())
    floor_arr = np.array(floor)
    return pd.DataFrame(
        {
            "park_id": [f"XW{i + 1:03d}" for i in range(n)],
            "name": names,
            "town": park_towns,
            "land_mu": np.round(floor_arr / (rng.uniform(1.8, 3.0, n) * labels.M2_PER_MU), 1),
            "planned_floor_area_m2": floor_arr,
            "status": status,
            "on_cleared_land": [i not in not_cleared for i in range(n)],
            "provincial_year": pd.array(provincial_year, dtype="Int32"),
            "star_rating": pd.array(star_rating, dtype="Int32"),
            "star_year": pd.array(star_year, dtype="Int32"),
            "firms": np.where(
                np.array(status) == PARK_BUILT, np.round(floor_arr / rng.uniform(1100, 2200, n)), 0
            ).astype(np.int32),
        }
    )


def _plot_ratio_upgrades(rows: _Rows, rng: np.random.Generator) -> pd.DataFrame:
    """A handful of demo 零增地技改 upgrades by demo firms, plus the published case."""
    frame = rows.frame
    fits = frame[(frame["scale"] == SCALE_UP) & frame["land_own_mu"].between(15, 80)]
    fits = fits.iloc[rng.permutation(len(fits))].drop_duplicates("credit_code")
    picked = fits.head(PLOT_RATIO_DEMO_UPGRADES).sort_values(["year", "credit_code"])
    before = np.round(
        picked["land_own_mu"].to_numpy() * labels.M2_PER_MU * rng.uniform(0.9, 1.3, len(picked)), -2
    )
    after = np.round(before * rng.uniform(1.4, 2.1, len(picked)), -2)
    reward = np.minimum(
        np.round((after - before) * PLOT_RATIO_REWARD_PER_M2, 1), PLOT_RATIO_REWARD_CAP
    )
    demo_rows = pd.DataFrame(
        {
            "upgrade_id": [f"LZD-{y}-{i + 1:02d}" for i, y in enumerate(picked["year"])],
            "year": picked["year"].to_numpy(),
            "name": picked["name"].to_numpy(),
            "town": picked["town"].to_numpy(),
            "credit_code": picked["credit_code"].to_numpy(),
            "floor_before_m2": before,
            "floor_after_m2": after,
            "reward_10k": reward,
            "source": SOURCE_DEMO,
        }
    )
    return pd.concat([pd.DataFrame([PLOT_RATIO_CASE]), demo_rows], ignore_index=True)


# --- Writing -------------------------------------------------------------------------------------


def _dataset_info(seed: int, enterprises: int | None) -> pd.DataFrame:
    """The demo flag and provenance the pages and reports show."""
    info = {
        "demo": "true",
        "seed": str(seed),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "description": labels.DEMO_NOTICE,
        "years": f"{YEARS[0]}-{YEARS[-1]}",
        "enterprises_per_year": str(enterprises or DEFAULT_FIRMS_PER_YEAR),
    }
    return pd.DataFrame({"key": list(info), "value": list(info.values())})


# --- Programmes and town targets (issue 14) ------------------------------------------------------

PROGRAMME_NX = "N+X 数字化改造"
PROGRAMME_YEAR = 2023
# yongkang-facts §1: 10 sample firms + 20 first-batch + 30 second-batch = 60, over 800 万元.
PROGRAMME_BATCHES = (("样本企业", 10, 20.0), ("第一批", 20, 12.0), ("第二批", 30, 12.0))
PROGRAMME_PROJECT = "N+X 轻量化数字化改造（{batch}）"
PROGRAMME_MAX_LAND_MU = 20.0  # small firms: the programme is for them
# The planted effect on participants' figures the year after (demo calibration, not a finding):
# value added (and revenue) +12 %, tax +8 %; the 专项政策评估 page should recover about this.
PROGRAMME_EFFECT = {"value_added": 0.12, "revenue": 0.12, "tax": 0.08}
TOWN_TAX_GROWTH_TARGETS = (3.0, 5.0, 8.0)  # % a year, drawn per town
TOWN_VA_GROWTH_TARGETS = (4.0, 6.0, 10.0)
TOWN_TARGET_YEARS = (2023, 2024)


def _programme(frame: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pick the N+X participants (small 规上 firms present before, during and after the year),
    plant the programme's effect in the year after, and return (enterprises, participation).

    Uses a random stream of its own, so every other demo table is the same as without it.
    """
    rng = np.random.default_rng([seed, 14])
    years = (PROGRAMME_YEAR - 1, PROGRAMME_YEAR, PROGRAMME_YEAR + 1)
    up = frame[(frame["scale"] == SCALE_UP) & frame["year"].isin(years)]
    small = up[
        (up["year"] == PROGRAMME_YEAR) & up["land_own_mu"].between(3.0, PROGRAMME_MAX_LAND_MU)
    ]
    present = up.groupby("credit_code")["year"].nunique()
    eligible = np.sort(small.loc[small["credit_code"].map(present) == len(years), "credit_code"])
    total = sum(n for _, n, _ in PROGRAMME_BATCHES)
    chosen = rng.choice(eligible, size=min(total, len(eligible)), replace=False)
    rows = []
    start = 0
    for batch, n, funds in PROGRAMME_BATCHES:
        for code in chosen[start : start + n]:
            project = PROGRAMME_PROJECT.format(batch=batch)
            rows.append((PROGRAMME_YEAR, PROGRAMME_NX, str(code), funds, project))
        start += n
    participation = pd.DataFrame(
        rows, columns=["year", "programme", "credit_code", "funds_10k", "project"]
    )
    out = frame.copy()
    after = (out["year"] == PROGRAMME_YEAR + 1) & out["credit_code"].isin(chosen)
    for column, lift in PROGRAMME_EFFECT.items():
        out.loc[after, column] = np.round(out.loc[after, column] * (1.0 + lift), 2)
    return out, participation


def _town_targets(
    firms: pd.DataFrame, projects: pd.DataFrame, towns: list[str], seed: int
) -> pd.DataFrame:
    """Each town's yearly targets, sized to its firms and its rectification (some met, some not)."""
    rng = np.random.default_rng([seed, 1414])
    done = projects[projects["status"] == STATUS_DONE].groupby(["year", "town"])["area_mu"].sum()
    rows = []
    for year in TOWN_TARGET_YEARS:
        of_year = firms[firms["year"] == year]
        counts = of_year["town"].value_counts()
        for town in towns:
            n = int(counts.get(town, 0))
            area = float(done.get((year, town), 0.0))
            land = max(20.0, round(area * rng.uniform(0.8, 1.3) / 10.0) * 10.0)
            rows.append(
                (
                    year,
                    town,
                    float(rng.choice(TOWN_TAX_GROWTH_TARGETS)),
                    float(rng.choice(TOWN_VA_GROWTH_TARGETS)),
                    land,
                    max(1, round(n / 150)),
                    max(2, round(n / 60)),
                )
            )
    return pd.DataFrame(
        rows,
        columns=[
            "year",
            "town",
            "tax_per_mu_growth_pct",
            "va_per_mu_growth_pct",
            "land_rectified_mu",
            "d_firms_cleared",
            "low_eff_handled",
        ],
    )


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """Bulk-insert a whole DataFrame (table names are this module's constants, not input)."""
    columns = ", ".join(frame.columns)
    con.register("demo_frame", frame)
    try:
        con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM demo_frame")
    finally:
        con.unregister("demo_frame")


def _summary(path: Path, seed: int, tables: dict[str, pd.DataFrame], seconds: float) -> DemoSummary:
    """Counts per year and scale (规下 also with ≥ 3 亩, those the default profile evaluates)."""
    firms = tables["enterprises"]
    counts: dict[int, dict[str, int]] = {}
    for year, of_year in firms.groupby("year"):
        down = of_year[of_year["scale"] == SCALE_DOWN]
        counts[int(year)] = {
            SCALE_UP: int((of_year["scale"] == SCALE_UP).sum()),
            SCALE_DOWN: len(down),
            "evaluated_down": int((down["land_own_mu"] >= DEFAULT_BELOW_MIN_LAND_MU).sum()),
        }
    return DemoSummary(
        path=path,
        seed=seed,
        enterprise_rows=len(firms),
        firms=counts,
        leases=len(tables["leases"]),
        rectification_projects=len(tables["rectification_projects"]),
        parks=len(tables["parks"]),
        seconds=seconds,
    )
