"""Every Chinese label, unit and enumeration the product shows or accepts, in one place.

Why one module: officials read these words in pages, exports, import errors and reports; a
changed term (say a renamed tier class) must change everywhere at once.
"""

from __future__ import annotations

from typing import NamedTuple

APP_TITLE = "亩云 · 亩均论英雄综合评价"
DEMO_NOTICE = "演示数据：企业均为虚构，数值为按公开统计口径校准的合成数据，仅供演示。"

INDUSTRIES: tuple[str, ...] = (
    "车业",
    "门业",
    "杯业",
    "电动工具",
    "电器厨具",
    "休闲器具",
    "技术装备",
    "金属材料",
    "非五金",
)
SCALES: tuple[str, ...] = ("规上", "规下")
LISTING_STATUSES: tuple[str, ...] = ("无", "股改", "新三板", "上市")
YES_NO: dict[str, bool] = {"是": True, "否": False}
MISSING_MARKERS: frozenset[str] = frozenset({"", "-", "—", "/", "－", "／"})

TIERS: tuple[str, ...] = ("A", "B", "C", "D")
TIER_CLASS: dict[str, str] = {
    "A": "重点扶持类",
    "B": "鼓励提升类",
    "C": "整治提升类",
    "D": "倒逼转型升级类",
}
TIER_COLOURS: dict[str, str] = {"A": "#1a9850", "B": "#91cf60", "C": "#fc8d59", "D": "#d73027"}

STATUS_EVALUATED = "评价"
STATUS_EXEMPT = "不定级"
STATUS_NOT_EVALUATED = "不参评"
STATUSES: tuple[str, ...] = (STATUS_EVALUATED, STATUS_EXEMPT, STATUS_NOT_EVALUATED)
REASON_SCALE_NOT_IN_PROFILE = "本方案不评价该规模"
REASON_NO_LAND = "无有效用地"
REASON_BELOW_MIN_LAND = "用地不足{min_land:g}亩"
REASON_EXEMPT = "不参与定级（新设、公用事业、政策性搬迁等）"


class Indicator(NamedTuple):
    """An indicator's name and unit as officials write them; `percent` shows a ratio as %."""

    name: str
    unit: str
    percent: bool = False


INDICATORS: dict[str, Indicator] = {
    "tax_per_mu": Indicator("亩均税收", "万元/亩"),
    "va_per_mu": Indicator("亩均增加值", "万元/亩"),
    "revenue_per_mu": Indicator("亩均营业收入", "万元/亩"),
    "va_per_energy": Indicator("单位能耗增加值", "万元/吨标准煤"),
    "va_per_emission": Indicator("单位排放增加值", "万元/吨"),
    "labour_productivity": Indicator("全员劳动生产率", "万元/人"),
    "rd_intensity": Indicator("研发经费支出占营业收入比重", "%", percent=True),
    "va_per_water": Indicator("单位用水工业增加值", "万元/吨"),
    "tax_per_kwh": Indicator("单位用电税收", "万元/万千瓦时"),
    "revenue_per_kwh": Indicator("单位用电营业收入", "万元/万千瓦时"),
}

BONUS_ITEMS: dict[str, str] = {
    "listing": "上市及股份制改造",
    "investment": "工业性投资",
    "talent": "人才密度",
    "water": "单位用水工业增加值",
}
DEDUCTION_ITEMS: dict[str, str] = {
    "safety_incident": "安全生产事故",
    "env_penalty": "环保处罚",
}

UNIT_MU = "亩"
UNIT_HECTARE = "公顷"
UNIT_WAN_YUAN = "万元"
UNIT_WAN_YUAN_PER_MU = "万元/亩"
UNIT_M2 = "平方米"
UNIT_WAN_M2 = "万平方米"
MU_PER_HECTARE = 15.0
M2_PER_MU = 10000.0 / 15.0

# Import headers per table: English key → the Chinese header of the data dictionary.
TABLE_NAMES: dict[str, str] = {
    "enterprises": "企业年度监测数据",
    "leases": "厂房租赁备案",
    "rectification_projects": "低效用地整治项目",
    "rectification_targets": "年度整治目标",
    "parks": "小微企业园",
    "funds": "腾笼换鸟专项经费",
}
TABLE_HEADERS: dict[str, dict[str, str]] = {
    "enterprises": {
        "year": "年度",
        "credit_code": "统一社会信用代码",
        "name": "企业名称",
        "industry": "行业",
        "town": "镇街",
        "scale": "规模",
        "land_own_mu": "自有用地面积（亩）",
        "tax": "税收实际贡献（万元）",
        "value_added": "工业增加值（万元）",
        "revenue": "营业收入（万元）",
        "employees": "年平均职工人数（人）",
        "energy_tce": "综合能耗（吨标准煤）",
        "electricity_10k_kwh": "用电量（万千瓦时）",
        "emission_t": "主要污染物排放量（吨）",
        "rd": "研发经费支出（万元）",
        "water_t": "用水量（吨）",
        "investment": "工业性投资（万元）",
        "listing": "上市及股改情况",
        "talents": "大专及以上人才数（人）",
        "safety_incidents": "安全生产事故（起）",
        "env_penalties": "环保处罚（次）",
        "veto": "一票否决",
        "exempt": "不参与定级",
    },
    "leases": {
        "year": "年度",
        "lessor_code": "出租方统一社会信用代码",
        "lessee_code": "承租方统一社会信用代码",
        "land_mu": "租赁折算用地面积（亩）",
        "floor_area_m2": "租赁建筑面积（平方米）",
        "registered": "是否备案",
        "record_no": "备案编号",
    },
    "rectification_projects": {
        "year": "年度",
        "project_id": "项目编号",
        "name": "项目名称",
        "town": "镇街",
        "category": "整治类别",
        "area_mu": "整治面积（亩）",
        "path": "处置路径",
        "status": "进度状态",
        "credit_code": "统一社会信用代码",
    },
    "rectification_targets": {
        "year": "年度",
        "category": "整治类别",
        "target_mu": "目标面积（亩）",
    },
    "parks": {
        "park_id": "园区编号",
        "name": "园区名称",
        "town": "镇街",
        "land_mu": "占地面积（亩）",
        "planned_floor_area_m2": "规划建筑面积（平方米）",
        "status": "建设状态",
        "on_cleared_land": "是否利用整治腾出土地",
        "provincial_year": "省级认定年份",
        "star_rating": "星级",
        "star_year": "星级评定年份",
        "firms": "入驻企业数（家）",
    },
    "funds": {
        "year": "年度",
        "use": "资金用途",
        "extracted_10k": "提取金额（万元）",
        "spent_10k": "使用金额（万元）",
    },
}

RECTIFICATION_CATEGORIES: tuple[str, ...] = (
    "集中连片拆除",
    "低效工业企业用地整治",
    "临时改变用途整治",
    "供而未用土地消化",
    "低效仓储物流用地整治",
)
REMEDIATION_PATHS: tuple[str, ...] = ("提升发展", "政府收储", "兼并重组", "关停淘汰")
RECTIFICATION_PATHS: tuple[str, ...] = (*REMEDIATION_PATHS, "其他")
RECTIFICATION_STATUSES: tuple[str, ...] = ("排摸", "建档", "整治中", "已完成")
PARK_STATUSES: tuple[str, ...] = ("已建成", "在建", "规划")
FUND_USES: tuple[str, ...] = (
    "盘活工业用地",
    "企业提升改造",
    "宿舍型保障性租赁住房",
    "园区基础设施",
)

# Column headers for scored results (CSV keeps the keys; Excel and pages use these).
SCORE_HEADERS: dict[str, str] = {
    "year": "年度",
    "credit_code": "统一社会信用代码",
    "name": "企业名称",
    "industry": "行业",
    "scale": "规模",
    "town": "镇街",
    "status": "评价状态",
    "reason": "说明",
    "land_mu": "有效用地面积（亩）",
    "total": "综合得分",
    "rank": "行业排名",
    "pool": "排名池",
    "pool_size": "池内企业数",
    "tier": "分类",
    "tier_class": "分类名称",
    "tier_before_veto": "否决前分类",
    "bonus": "加分",
    "deduction": "扣分",
    "veto": "一票否决",
    "exempt": "不参与定级",
}


def score_header(column: str) -> str:
    """The Chinese header of a scored-result column, including per-indicator columns."""
    if column in SCORE_HEADERS:
        return SCORE_HEADERS[column]
    for prefix, template in (
        ("score_", "{name}得分"),
        ("bench_", "{name}基准值"),
        ("imputed_", "{name}是否按均分"),
    ):
        key = column.removeprefix(prefix)
        if column.startswith(prefix) and key in INDICATORS:
            return template.format(name=INDICATORS[key].name)
    if column.startswith("bonus_") and column.removeprefix("bonus_") in BONUS_ITEMS:
        return f"加分·{BONUS_ITEMS[column.removeprefix('bonus_')]}"
    if column in INDICATORS:
        ind = INDICATORS[column]
        return f"{ind.name}（{ind.unit}）"
    return column


def mu_to_hectare(mu: float) -> float:
    """亩 → 公顷 (1 公顷 = 15 亩), as the bureau's reports convert."""
    return mu / MU_PER_HECTARE
