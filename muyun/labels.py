"""Every Chinese label, unit and enumeration the product shows or accepts, in one place.

Why one module: officials read these words in pages, exports, import errors and reports; a
changed term (say a renamed tier class) must change everywhere at once.
"""

from __future__ import annotations

from typing import Any, NamedTuple

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
SCALE_ABOVE = "规上"  # above designated size: value_added and employees are required
SCALE_BELOW = "规下"  # below designated size: the only scale with a land minimum (methodology §1)
SCALES: tuple[str, ...] = (SCALE_ABOVE, SCALE_BELOW)
LISTING_STATUSES: tuple[str, ...] = ("无", "股改", "新三板", "上市")
YES_NO: dict[str, bool] = {"是": True, "否": False}
MISSING_MARKERS: frozenset[str] = frozenset({"", "-", "—", "/", "－", "／", "--", "——"})
LIST_SEP = "、"  # between the items of a list inside a sentence (甲、乙、丙)
CLAUSE_SEP = "；"  # between clauses of one sentence (A 重点扶持类；B 鼓励提升类)
NAME_WITH_CODE = "{name}（{code}）"  # a firm or table in a picker: name and its code

TIERS: tuple[str, ...] = ("A", "B", "C", "D")
TIER_CLASS: dict[str, str] = {
    "A": "重点扶持类",
    "B": "鼓励提升类",
    "C": "整治提升类",
    "D": "倒逼转型升级类",
}
TIER_COLOURS: dict[str, str] = {"A": "#1a9850", "B": "#91cf60", "C": "#fc8d59", "D": "#d73027"}
# A firm (or a programme's participants) and what it is compared with (its pool's average, the
# matched controls), in the firm report and on the pages alike.
FIRM_COLOUR = "#2166ac"
AVERAGE_COLOUR = "#878787"

STATUS_EVALUATED = "评价"
STATUS_EXEMPT = "不定级"
STATUS_NOT_EVALUATED = "不参评"
STATUSES: tuple[str, ...] = (STATUS_EVALUATED, STATUS_EXEMPT, STATUS_NOT_EVALUATED)
REASON_SCALE_NOT_IN_PROFILE = "本方案不评价该规模"
REASON_NO_LAND = "无有效用地"
REASON_BELOW_MIN_LAND = "用地不足{min_land:g}亩"
REASON_EXEMPT = "不参与定级（新设、公用事业、政策性搬迁等）"
WARNING_BENCHMARK_NOT_POSITIVE = (
    "{scale}“{indicator}”的基准值为 {value:g}（≤ 0，数据异常），该项得分一律记为 0"
)
WARNING_NO_BENCHMARK = "{scale}“{indicator}”没有可计算平均基准值的企业数据，该项得分一律记为 0"
WARNING_NO_AVERAGE_SCORE = (
    "{scale}“{indicator}”没有任何参评企业有数据，缺失该项的企业无法按平均得分计，记为 0"
)


# Profile files (muyun/profile.py): `error` frames every problem with the file and the key.
PROFILE_ERRORS: dict[str, str] = {
    "error": "评价方案文件“{file}”中的 {key}：{problem}",
    "profile_named": "方案“{name}”",
    "key_file": "(文件)",
    "key_syntax": "(语法)",
    "unreadable": "无法读取：{detail}",
    "not_utf8": "不是 UTF-8 编码的文本",
    "bad_toml": "不是有效的 TOML：{detail}",
    "not_shipped": "不是已提供的评价方案",
    "unknown_key": "未知的配置项，可用：{allowed}",
    "not_table": "应为一个表（[section] 或 {{ … }}）",
    "not_text": "应为文本",
    "not_bool": "应为 true 或 false",
    "not_number": "应为数字，实际为 {value!r}",
    "not_finite": "应为有限的数字，实际为 {value!r}",
    "below_minimum": "应不小于 {minimum:g}，实际为 {value!r}",
    "not_positive": "应大于 0",
    "name_empty": "方案名称应为非空文本",
    "pool_by": '应为 "industry" 或 "none"，实际为 {value!r}',
    "no_scales": "缺少指标配置（至少需要一个规模的 indicators）",
    "unknown_scale": "未知的规模，应为 {scales} 之一",
    "unknown_scale_value": "未知的规模 {value!r}",
    "scales_not_list": '应为规模名称的列表，如 ["规上", "规下"]',
    "no_indicators": "缺少指标（至少需要一个）",
    "scale_not_in_profile": "本方案没有该规模的指标",
    "indicator_not_used": "本规模未使用该指标",
    "unknown_indicator": "未知的指标，可用：{keys}",
    "no_weight": "缺少权重",
    "bad_benchmark": '应为 "average"、"prior_year_average" 或正数，实际为 {value!r}',
    "years_not_list": "应为适用年度的列表，如 [2024, 2025]",
    "bad_year": "应为四位数年度，实际为 {value!r}",
    "years_repeated": "适用年度有重复",
    "benchmark_not_positive": "固定基准值应大于 0，实际为 {value:g}",
    "cap_not_positive": "封顶倍数应大于 0，实际为 {value:g}",
    "bad_missing": '应为 "zero" 或 "average_score"，实际为 {value!r}',
    "unknown_tier_field": "未知的分档参数",
    "not_percent": "应为 0–100 的整数百分比，实际为 {value!r}",
    "percent_range": "应在 0–100 之间，实际为 {value}",
    "b_below_a": "B 档上限 {b_pct}% 不能小于 A 档 {a_pct}%",
    "rows_not_list": "应为 [[下限, 分值], …] 的列表",
    "row_not_pair": "每行应为 [下限, 分值]",
    "rows_not_descending": "各行下限应从高到低排列",
    "unknown_listing": "未知的上市状态，可用：{statuses}",
    "policies_not_list": "应为 [[policies]] 表数组",
    "policy_tier": "应为 {tiers} 之一，实际为 {value!r}",
    "policy_duplicate": "分类 {tier} 的政策重复",
}
# 统一社会信用代码 check (muyun/creditcode.py).
CREDIT_CODE_ERRORS: dict[str, str] = {
    "length": "长度应为18位，实际为{length}位",
    "character": "含有不允许的字符“{char}”（不得含 I、O、Z、S、V）",
    "check": "校验码错误（应为{expected}）",
}
# Table exports (muyun/export.py).
EXPORT_TEXT: dict[str, str] = {
    "sheet": "结果",
    "yes": "是",
    "no": "否",
    "more": "{first}等{n}项",
    "name_sep": "_",
    "bad_suffix": "不支持的输出格式“{suffix}”，请使用 .csv 或 .xlsx",
}
REPORT_FILE_HEADER = "报告文件"  # the batch ZIP's index (issue 13)


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
UNIT_WAN_M2 = "万平方米"
UNIT_FIRMS = "家"
MU_PER_HECTARE = 15.0
M2_PER_MU = 10000.0 / 15.0

# Import headers per table: English key → the Chinese header of the data dictionary.
HEADER_UNIT_PATTERN = r"（(.+)）$"  # the unit at the end of a header: 自有用地面积（亩） → 亩
TABLE_NAMES: dict[str, str] = {
    "enterprises": "企业年度监测数据",
    "leases": "厂房租赁备案",
    "rectification_projects": "低效用地整治项目",
    "rectification_targets": "年度整治目标",
    "parks": "小微企业园",
    "funds": "腾笼换鸟专项经费",
    "town_targets": "镇街年度目标",
    "programme_participation": "专项政策参与企业",
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
    "town_targets": {
        "year": "年度",
        "town": "镇街",
        "tax_per_mu_growth_pct": "亩均税收增长目标（%）",
        "va_per_mu_growth_pct": "亩均增加值增长目标（%）",
        "land_rectified_mu": "低效用地整治目标（亩）",
        "d_firms_cleared": "D类企业出清目标（家）",
        "low_eff_handled": "低效企业整治目标（家）",
    },
    "programme_participation": {
        "year": "年度",
        "programme": "政策名称",
        "credit_code": "统一社会信用代码",
        "funds_10k": "扶持资金（万元）",
        "project": "项目名称",
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

# Land rectification page (低效用地整治): units, list reasons and column headers.
UNIT_YI_YUAN = "亿元"
UNIT_COUNT_PARK = "个"
# Categories the bureau reports in 万平方米 beside 亩 (临时改变用途: 8.8 万 m² = 132 亩).
M2_REPORTED_CATEGORIES: tuple[str, ...] = ("临时改变用途整治",)
# Published facts shown as highlights of the year: rankings (名) and task counts (项).
FACT_HIGHLIGHT_UNITS: tuple[str, ...] = ("名", "项")
# The `source` the demo writes on its invented rows (plot-ratio upgrades): not a published case.
SOURCE_DEMO = "演示数据（虚构）"
RECTIFICATION_DONE_STATUS = "已完成"
LOW_EFFICIENCY_STATUSES: tuple[str, ...] = RECTIFICATION_STATUSES
LOW_EFFICIENCY_REASON_D = "D类（倒逼转型升级类）"
LOW_EFFICIENCY_REASON_C = "C类且亩均税收低于{line:g}万元/亩"
LOW_EFFICIENCY_REASON_LEASE = "存在未备案厂房租赁"
LOW_EFFICIENCY_REASON_SEP = "；"
LOW_EFFICIENCY_FIELDS: dict[str, str] = {
    "path": "处置路径（四个一批）",
    "status": "进度状态",
    "responsible_town": "责任镇街",
    "notes": "备注",
}
LOW_EFFICIENCY_HEADERS: dict[str, str] = {
    "year": "年度",
    "credit_code": "统一社会信用代码",
    "name": "企业名称",
    "industry": "行业",
    "scale": "规模",
    "town": "所在镇街",
    "tier": "分类",
    "tier_class": "分类名称",
    "tax_per_mu": "亩均税收（万元/亩）",
    "land_mu": "有效用地面积（亩）",
    "unregistered_lease_mu": "未备案租赁面积（亩）",
    "reasons": "列入原因",
    "on_previous_list": "上年在列",
    **LOW_EFFICIENCY_FIELDS,
    "updated_at": "最近修改时间",
    "previous_tier": "上年分类",
    "previous_tax_per_mu": "上年亩均税收（万元/亩）",
    "previous_reasons": "上年列入原因",
    "field": "修改项",
    "old_value": "原值",
    "new_value": "新值",
    "edited_by": "修改人",
    "edited_at": "修改时间",
}
LAND_HEADERS: dict[str, str] = {
    "category": "整治类别",
    "area_mu": "整治面积（亩）",
    "area_hectare": "整治面积（公顷）",
    "target_mu": "目标面积（亩）",
    "progress": "完成比例",
    "progress_pct": "完成比例（%）",
    "projects": "项目数（个）",
    "town": "镇街",
    "total_mu": "合计（亩）",
    "label": "事项",
    "value": "数值",
    "unit": "单位",
    "text": "说明",
    "source": "来源",
    "use": "资金用途",
    "extracted_10k": "提取金额（万元）",
    "spent_10k": "使用金额（万元）",
    "spend_rate": "使用率",
    "spend_rate_pct": "使用率（%）",
    "upgrade_id": "编号",
    "year": "年度",
    "name": "名称",
    "credit_code": "统一社会信用代码",
    "floor_before_m2": "技改前建筑面积（平方米）",
    "floor_after_m2": "技改后建筑面积（平方米）",
    "added_m2": "新增建筑面积（平方米）",
    "plot_ratio_multiple": "容积率提高倍数",
    "reward_10k": "奖励金额（万元）",
    "published": "公开案例",
    "status": "建设状态",
    "parks": "园区数（个）",
    "floor_m2": "规划建筑面积（平方米）",
    "provincial_new": "当年新增省级认定（个）",
    "star_new": "当年新增星级园区（个）",
    "provincial_total": "累计省级认定（个）",
    "star_total": "累计星级园区（个）",
}
# Short headers of the land tables on screen, so they fit 1280 px (Excel: full).
LAND_COMPACT_HEADERS: dict[str, str] = {
    "park": "园区名称",
    "company": "企业名称",
    "town": "镇街",
    "land_mu": "占地（亩）",
    "floor_wan_m2": "建面（万㎡）",
    "status": "状态",
    "provincial_year": "省级认定",
    "star": "星级（年份）",
    "firms": "入驻（家）",
    "year": "年度",
    "floor_before_m2": "改前（㎡）",
    "floor_after_m2": "改后（㎡）",
    "added_m2": "新增（㎡）",
    "plot_ratio_multiple": "容积率倍数",
    "reward_10k": "奖励（万元）",
    "star_value": "{rating}星（{year}）",
    "path": "处置路径",
    "list_status": "进度",
    "reasons": "列入原因",
    "previous_tier": "上年分类",
    "tier": "本年分类",
    "previous_tax_per_mu": "上年亩均税收",
    "tax_per_mu": "本年亩均税收",
    "industry": "行业",
    "tax_format": "%.2f 万元/亩",
    "all_columns": "显示全部列",
    "all_columns_help": "全部列较宽，表格可左右滚动",
}
LAND_TEXT: dict[str, str] = {
    "land_year": "整治年度",
    "land_year_help": "整治数据覆盖的年份与企业评价年份不同，此处单独选择。",
    "tab_progress": "整治进度",
    "tab_parks": "小微企业园",
    "tab_funds": "资金与零增地技改",
    "tab_list": "低效企业清单",
    "no_land_data": "尚无低效用地整治数据，请在“数据管理”页导入整治项目与年度目标。",
    "total": "整治总面积（{year}年）",
    "total_hectare": "折合公顷",
    "target": "年度目标",
    "progress": "目标完成比例",
    "done": "其中已完成项目：{area}（{hectare}）",
    "no_target": "未导入{year}年整治目标",
    "category_progress": "{category}：{area} / 目标 {target}（{pct}）",
    "category_no_target": "{category}：{area}（无目标）",
    "total_progress": "合计：{area} / 目标 {target}（{pct}）",
    "categories_sum": "五类合计：{parts} = {total}",
    "by_category": "按整治类别",
    "by_town": "按镇街",
    "trend": "历年整治面积",
    "trend_target": "年度目标合计",
    "facts": "公开发布的工作成效",
    "no_facts": "{year}年暂无公开发布的数据。",
    "fact_line": "**{label}**：{body}（来源：{source}）",
    "all_facts": "全部公开数据（{count} 项）",
    "all_statuses": "全部状态",
    "parks_total": "小微企业园",
    "parks_floor": "规划建筑面积",
    "parks_cleared": "利用整治腾出土地",
    "parks_provincial": "累计省级认定（截至{year}年）",
    "parks_star": "累计星级园区（截至{year}年）",
    "parks_new": "{year}年新增 {count} 个",
    "parks_over_time": "省级认定与星级园区（累计）",
    "parks_table": "园区明细",
    "parks_firms": "所选园区入驻企业 {firms} 家",
    "parks_firms_total": "入驻企业",
    "no_parks": "尚无小微企业园数据。",
    "funds_header": "腾笼换鸟专项经费",
    "funds_drawn": "累计提取",
    "funds_spent": "累计使用",
    "funds_rate": "使用率",
    "no_funds": "尚无专项经费数据。",
    "upgrades_header": "零增地技改",
    "upgrades_count": "技改项目",
    "upgrades_added": "新增建筑面积",
    "upgrades_reward": "奖励合计",
    "upgrade_case": (
        "公开案例 · {name}（{year}年）：建筑面积 {before} → {after}，"
        "容积率提高到原来的 {multiple} 倍，奖励 {reward}。来源：{source}"
    ),
    "no_upgrades": "尚无零增地技改数据。",
    "list_caption": (
        "{year}年评价结果（{profile}）生成：D类企业；C类且亩均税收低于 {line} 万元/亩的企业；"
        "存在未备案厂房租赁的企业。处置路径按“四个一批”：提升发展、政府收储、兼并重组、关停淘汰。"
    ),
    "list_no_year": "{year}年没有企业评价数据，无法生成低效企业清单。",
    "list_total": "在列企业（当前筛选）",
    "list_city": "全市共 {count} 家",
    "list_new": "本年新列入",
    "list_leaving": "本年出列",
    "list_no_previous": "没有上一年的评价数据，无法比较。",
    "list_table": "清单（动态排摸、分类建档、清单管理）",
    "list_editor": "修改人",
    "list_editor_help": "记录在修改历史中",
    "list_save": "保存修改",
    "list_saved": "已保存 {count} 项修改。",
    "list_nothing": "没有修改。",
    "list_editor_needed": "请填写修改人。",
    "list_admin": "管理员修改清单",
    "list_admin_hint": "管理员可修改处置路径、进度状态、责任镇街和备注。",
    "list_export": "导出清单（Excel）",
    "list_file": "低效企业清单_{year}.xlsx",
    "list_sheet": "低效企业清单",
    "leaving_header": "出列企业（上年在列，本年分类提升且无未备案租赁）",
    "leaving_none": "本年没有出列企业。",
    "history_header": "修改记录",
    "history_none": "暂无修改记录。",
    "list_spinner": "正在生成低效企业清单……",
}
# A table header with its unit, e.g. "集中连片拆除（亩）".
HEADER_WITH_UNIT = "{name}（{unit}）"
# A category area in 亩 with the bureau's 万平方米 beside it: "132 亩（8.8 万平方米）".
AREA_WITH_M2 = "{area}（{m2}）"
# One colour per rectification category, the same in every chart (Okabe–Ito, colour-blind safe).
RECTIFICATION_COLOURS: dict[str, str] = {
    "集中连片拆除": "#0072B2",
    "低效工业企业用地整治": "#E69F00",
    "临时改变用途整治": "#009E73",
    "供而未用土地消化": "#CC79A7",
    "低效仓储物流用地整治": "#56B4E9",
}
# Messages of muyun.land when an administrator's list edit is refused.
LOW_EFFICIENCY_ERRORS: dict[str, str] = {
    "not_allowed": "{code}：{field}“{value}”不是可选值",
    "too_long": "{code}：{field}超过{max}字",
    "sep": "；",
}

# Import (data-dictionary §5): error reasons, summaries and the templates' 说明 sheet.
IMPORT_ERROR_HEADERS: dict[str, str] = {
    "row": "行号",
    "column": "列",
    "value": "值",
    "reason": "原因",
}
IMPORT_TEXT: dict[str, str] = {
    "error_line": "第{row}行 列「{column}」 值「{value}」：{reason}",
    "file_error_line": "文件「{file}」：{reason}",
    "warning_line": "第{row}行 列「{column}」 值「{value}」：{reason}",
    "file_not_found": "找不到文件：{path}",
    "unsupported_suffix": "不支持的文件类型“{suffix}”，请使用 .xlsx 或 .csv 文件",
    "bad_xlsx": "不是有效的 Excel 文件（{detail}）",
    "encoding": "无法识别文件编码，请另存为 UTF-8 或 GBK 编码的 CSV",
    "no_header": "文件为空，没有表头",
    "no_rows": "文件只有表头，没有数据行",
    "missing_column": "缺少必填列「{zh}」（或英文表头 {key}）",
    "duplicate_column": "与列「{other}」对应同一字段「{zh}」，请删除其中一列",
    "extra_column": "不是「{table}」的字段，已忽略",
    "required": "必填项不能为空",
    "required_for_scale": "规上企业必须填写",
    "not_number": "不是有效的数字",
    "not_integer": "应为整数",
    "too_large": "数值过大",
    "min": "应大于或等于{bound:g}",
    "gt": "应大于{bound:g}",
    "range": "应在{lo:g}–{hi:g}之间",
    "choices": "应为以下之一：{choices}",
    "yes_no": "应填写“是”或“否”",
    "too_long": "长度应为1–{max_len}个字符，实际为{length}个",
    "unknown_town": "不是已知的镇街（应为：{towns}）",
    "credit_code": "统一社会信用代码无效：{detail}",
    "duplicate_key": "与第{first}行重复（同一{keys}只能有一行）",
    "talents_gt_employees": "人才数大于年平均职工人数（{employees}人）",
    "spent_gt_extracted": "使用金额大于提取金额（{extracted}万元）",
    "not_enterprise": "{year}年企业监测数据中没有该企业，请先导入该年度企业数据",
    "not_any_enterprise": "企业监测数据中没有该企业，请先导入企业数据",
    "self_lease": "承租方与出租方相同",
    "record_no_required": "已备案的租赁必须填写备案编号",
    "lease_exceeds_land": (
        "该出租方{year}年已备案出租用地合计{leased}亩（本文件第{rows}行{existing}），"
        "超过其自有用地{own}亩"
    ),
    "lease_existing": "及库中已有备案{mu}亩",
    "summary": (
        "导入成功：{table}（{file}），共{rows}行，新增{added}行，替换{replaced}行{years}，"
        "警告{warnings}条。"
    ),
    "summary_years": "，年度 {years}",
    "failed": "导入失败：共{count}处错误，数据库未作任何修改。",
    "warning_prefix": "警告：",
    "db_unavailable": "无法打开数据库 {path}：{detail}（数据库可能正被看板程序占用）",
    "text_length": "1–{max_len}个字符",
    "allowed": "取值：{values}",
    "rule_sep": "；",
    "rows_more": "等",
}
# The 说明 sheet of each import template: how to fill every column.
TEMPLATE_GUIDE_SHEET = "说明"
TEMPLATE_GUIDE_HEADERS: tuple[str, ...] = (
    "中文表头",
    "英文表头",
    "类型",
    "单位",
    "是否必填",
    "规则",
)
TEMPLATE_KINDS: dict[str, str] = {
    "int": "整数",
    "num": "数值",
    "text": "文本",
    "code": "统一社会信用代码（18位）",
    "enum": "选项",
    "bool": "是/否",
    "town": "镇街名称",
}
TEMPLATE_REQUIRED: dict[str, str] = {"yes": "必填", "no": "选填", SCALE_ABOVE: "规上企业必填"}
TEMPLATE_NOTES: tuple[str, ...] = (
    "第1行为表头，可用中文表头或英文表头，列的顺序不限；多余的列会被忽略。",
    "数字可写作 1,234.5、全角１２３４．５或 Excel 数值；金额单位万元，用地单位亩。",
    "选填列留空或填“-”“—”“/”表示未报送（不是0）；必填列不得留空。",
    "CSV 文件可用 UTF-8、带 BOM 的 UTF-8 或 GBK/GB18030 编码。",
    "整个文件要么全部导入，要么（有任何错误时）全部不导入；错误会逐条列出行号、列、值和原因。",
    "重复导入同一年度的数据时，文件中出现的记录替换库中同一主键的记录，其他年度不受影响。",
)
TEMPLATE_COLUMN_NOTES: dict[str, str] = {
    "enterprises.credit_code": "符合 GB 32100-2015 校验规则，同一年度不得重复",
    "enterprises.tax": "可为负数（退税）",
    "enterprises.listing": "留空视为“无”",
    "enterprises.talents": "大于职工人数时给出警告",
    "enterprises.safety_incidents": "留空视为0",
    "enterprises.env_penalties": "留空视为0",
    "enterprises.veto": "留空视为“否”",
    "enterprises.exempt": "留空视为“否”",
    "enterprises.energy_tce": "等价值口径",
    "leases.lessor_code": "须为该年度企业监测数据中的企业；已备案出租面积合计不得超过其自有用地",
    "leases.lessee_code": "须为该年度企业监测数据中的企业，且不同于出租方",
    "leases.record_no": "已备案的租赁必填",
    "rectification_projects.credit_code": "涉及企业时填写",
    "funds.spent_10k": "大于提取金额时给出警告",
    "town_targets.town": "同一年度每个镇街一行；留空的目标表示未下达",
    "town_targets.tax_per_mu_growth_pct": "较上年增长的百分比，如 5 表示增长 5%",
    "town_targets.va_per_mu_growth_pct": "较上年增长的百分比",
    "programme_participation.credit_code": "须为企业监测数据中的企业；同一年度同一政策不得重复",
    "programme_participation.programme": "如“N+X 数字化改造”；同一政策各年度名称须一致",
}

# What-if page (权重模拟): texts, parameter names and table headers.
WHATIF_PARAMS: dict[str, str] = {
    "a_pct": "A 类比例（前 %，含）",
    "b_pct": "B 类上限（前 %，含）",
    "d_pct": "D 类比例（末 %，含）",
    "d_tax": "D 类亩均税收线（万元/亩）",
    "bonus_cap": "加分封顶（分）",
}
WHATIF_TEXT: dict[str, str] = {
    "intro": (
        "拖动滑块调整{scale}指标权重、分类比例、D 类税收线和加分封顶，立即看到谁的分类会变化。"
        "评价方案：{profile}；年度：{year}。"
    ),
    "scope_note": (
        "计分和排名始终覆盖全市当年全部企业（基准值为全市口径）；侧栏的行业、镇街筛选只缩小下方名单。"
    ),
    "not_in_profile": "评价方案“{profile}”不评价{scale}企业，请在侧栏切换规模或方案。",
    "weights": "指标权重（分）",
    "weight_help": "{name}，单位 {unit}；基准值：{benchmark}；封顶倍数：{cap}",
    "bands": "分类规则",
    "bonus": "加分",
    "no_bonus_cap": "本方案加分不封顶（或无加分项），无需调整。",
    "reset": "恢复方案原值",
    "benchmark_average": "全市同规模平均值（总量比）",
    "no_cap": "不封顶",
    "baseline_count": "基准方案：{n} 家",
    "matrix_corner": "基准分类",
    "weight_sum_note": "当前权重合计 {total:g} 分，不等于 100 分（允许，仅作提示）。",
    "weight_sum_ok": "当前权重合计 {total:g} 分。",
    "counts": "分类企业数：基准与情景对比",
    "matrix_to": "→ {tier} 类",
    "matrix": "分类迁移矩阵（行：基准分类；列：情景分类）",
    "matrix_help": "点击矩阵中的格子，或在下拉框中选择，查看发生迁移的企业。",
    "cell": "查看迁移",
    "cell_all": "全部分类变动的企业",
    "cell_option": "{before} {before_name} → {after} {after_name}",
    "movers": "分类变动企业（{n} 家）",
    "no_movers": "没有企业发生这一迁移。",
    "into_d": "新进入 D 类（{n} 家）",
    "out_of_d": "退出 D 类（{n} 家）",
    "none": "无",
    "industries": "分行业变化",
    "done": (
        "计算完成 · 权重合计 {total:g} 分 · 参评 {firms:,} 家 · 分类变动 {moved:,} 家"
        " · 用时 {ms:.0f} 毫秒"
    ),
    "save_share": "保存、导出与分享",
    "name": "情景名称",
    "author": "作者",
    "save": "保存情景",
    "saved": "已保存情景 #{id}：{name}",
    "export": "导出为评价方案（TOML）",
    "share": "分享链接（复制后发给同事，打开即恢复本情景）：",
    "scenarios": "已保存的情景（本方案、{scale}）",
    "no_scenarios": "还没有保存的情景。",
    "load": "载入情景",
    "load_button": "载入",
    "loaded": "已载入情景 #{id}：{name}",
    "scenario_option": "#{id} {name}（{author}，{created}）",
    "anonymous": "未署名",
    "bad_params": "以下参数无效，已按方案原值处理：{params}",
    "url_scenario_missing": "链接中的情景 #{id} 不存在。",
    "url_scenario_other": (
        "链接中的情景 #{id} 属于方案“{profile}”、{scale}，请在侧栏切换后重新打开链接。"
    ),
    "compare": "比较两个情景",
    "compare_first": "情景一",
    "compare_second": "情景二",
    "baseline_option": "方案原值（基准）",
    "compare_counts": "分类企业数",
    "compare_diff": "两个情景分类不同的企业（{n} 家）",
    "share_scenario": "情景 #{id} 的分享链接：",
    "robustness": "稳健性分析",
    "robustness_intro": (
        "对当前权重做 {runs:,} 次随机扰动（每个权重乘以 1±{spread:g}% 内的均匀随机数，"
        "再按原权重合计等比缩放），统计每家企业落在各类的比例和排名的 5%–95% 分位区间，"
        "检验分类是否只是权重取值的偶然结果。"
    ),
    "runs": "扰动次数",
    "spread": "扰动幅度（±%）",
    "run": "运行稳健性分析",
    "stale": "权重已调整，以下结果对应上次运行时的权重，请重新运行。",
    "summary": "各类稳定性（保持当前分类的比例 ≥ {share:.0%} 为稳定）",
    "borderline": "临界企业：保持当前分类的比例低于 {share:.0%}（{n} 家）",
    "no_borderline": "没有临界企业：所有企业的分类都很稳定。",
    "robust_done": "稳健性分析完成：{runs:,} 次 · {firms:,} 家 · 用时 {seconds:.2f} 秒",
    "robustness_spinner": "正在进行稳健性分析……",
    "weight_label": "{name}（{unit}）",
    "problem_sep": "、",
    "url_scenario_invalid": "链接中的情景编号“{id}”无效，应为数字。",
}
# Messages of muyun.whatif (settings checks, saved scenarios, robustness).
WHATIF_ERRORS: dict[str, str] = {
    "scale_not_in_profile": "评价方案“{profile}”不评价{scale}企业",
    "out_of_range": "{name}={value}（应为 {low:g}–{high:g}）",
    "not_integer": "{name}={value}（应为整数）",
    "a_above_b_param": "{a}={a_pct} 大于 {b}={b_pct}",
    "a_above_b": "A 类比例 {a_pct}% 不能大于 B 类上限 {b_pct}%",
    "pools_differ": "两个结果的参评企业不一致，无法比较",
    "name_missing": "请填写情景名称",
    "name_too_long": "名称和作者均不超过 {max} 个字",
    "engine_mismatch": "稳健性分析与评分引擎的总分不一致，请检查引擎输出的 unit_ 列",
    "bad_runs": "运行次数应不少于 1，扰动幅度应在 0–100% 之间",
    "scenario_profile": "{profile} · 情景：{title}",
    "scenario_profile_untitled": "{profile} · 情景",
}
WHATIF_HEADERS: dict[str, str] = {
    "credit_code": "统一社会信用代码",
    "name": "企业名称",
    "industry": "行业",
    "town": "镇街",
    "pool": "排名池",
    "tier_before": "基准分类",
    "tier_after": "情景分类",
    "rank_before": "基准排名",
    "rank_after": "情景排名",
    "total_before": "基准得分（分）",
    "total_after": "情景得分（分）",
    "before": "基准（家）",
    "after": "情景（家）",
    "change": "变化（家）",
    "tier": "分类",
    "firms": "参评企业（家）",
    "up": "升档（家）",
    "down": "降档（家）",
    "a_before": "基准 A 类（家）",
    "a_after": "情景 A 类（家）",
    "d_before": "基准 D 类（家）",
    "d_after": "情景 D 类（家）",
    "into_d": "新进 D 类（家）",
    "out_of_d": "退出 D 类（家）",
    "id": "编号",
    "author": "作者",
    "created_at": "保存时间",
    "year": "年度",
    "total": "综合得分（分）",
    "rank": "行业排名",
    "share_A": "A 类占比",
    "share_B": "B 类占比",
    "share_C": "C 类占比",
    "share_D": "D 类占比",
    "share_current": "保持当前分类占比",
    "rank_p5": "排名 5% 分位",
    "rank_p95": "排名 95% 分位",
    "stable": "稳定（家）",
    "unstable": "不稳定（家）",
}

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
    "land_own_mu": "自有用地面积（亩）",
    "leased_in_mu": "已备案租入用地（亩）",
    "leased_out_mu": "已备案租出用地（亩）",
    "unregistered_lease_mu": "未备案租赁用地（亩）",
    "talent_share": "人才占比",
    "water_multiple": "单位用水增加值÷平均值（倍）",
    "deduction_safety": "扣分·安全生产事故",
    "deduction_env": "扣分·环保处罚",
    "override": "调档说明",  # evaluation runs (issue 16)
    "stage": "评价阶段",
}
# Command line (muyun/cli/): the top-level parser and one dict per sub-command.
CLI_DESCRIPTION = "亩云 muyun：亩均效益综合评价（亩均论英雄）命令行工具"
DEMO_CLI_TEXT: dict[str, str] = {
    "help": "生成演示数据库 / build the demo database",
    "description": (
        "生成演示数据库：虚构企业，2020–2024 年，按永康公开统计口径校准；"
        "另含公开发布的低效用地整治、小微企业园、专项经费数据。原有文件将被覆盖。\n"
        "Build the synthetic demo database (fictional firms, 2020–2024, calibrated to Yongkang's "
        "published figures, plus the real published land-rectification, park and fund figures). "
        "An existing file is replaced."
    ),
    "db": (
        "数据库文件（默认：环境变量 MUYUN_DB 或 data/muyun.duckdb）"
        " / database file (default: $MUYUN_DB or data/muyun.duckdb)"
    ),
    "enterprises": (
        "每年企业数（默认为永康全市约 {firms:,} 家；如 200000 生成全省规模数据用于性能测试）"
        " / firms per year (default: the city, ≈{firms:,}; "
        "e.g. 200000 for a province-size benchmark set)"
    ),
    "seed": (
        "随机种子，相同种子生成相同数据（默认 {seed}）"
        " / random seed; the same seed gives the same data (default {seed})"
    ),
    "too_few": "至少 {minimum} 家 / at least {minimum}",
    "built": "演示数据库已生成 / demo database built: {path}",
    "seed_line": "随机种子 / seed: {seed}",
    "evaluated_down": "{scale}≥{min_land:g}亩",
    "table_header": "年度 / year   {up:>8} {down:>8} {evaluated:>10}",
    "table_row": "{year}        {up:>8,} {down:>8,} {evaluated:>10,}",
    "enterprise_rows": "企业年度记录 / enterprise rows: {n:,}",
    "leases": "租赁备案 / leases: {n:,}",
    "projects": "整治项目 / rectification projects: {n:,}",
    "parks": "小微企业园 / parks: {n:,}",
    "seconds": "用时 / build time: {seconds:.2f} s",
}
IMPORT_CLI_TEXT: dict[str, str] = {
    "help": "导入一张数据表（.xlsx/.csv）：全部通过才写入，否则不作任何修改",
    "description": (
        "按数据字典校验并导入一个 .xlsx 或 .csv 文件（UTF-8、UTF-8 BOM、GBK 均可，"
        "中文或英文表头）。任何一处错误都不会写入数据库，所有错误逐行输出到标准错误；"
        "同一年度同一主键的记录会被替换。"
    ),
    "file": "要导入的 .xlsx 或 .csv 文件",
    "table": "目标数据表：{tables}",
    "table_item": "{key}（{name}）",
    "table_sep": "，",
    "db": "数据库文件（默认：环境变量 MUYUN_DB，否则 data/muyun.duckdb）",
}
SCORE_CLI_TEXT: dict[str, str] = {
    "help": "按评价方案计算综合得分、行业排名和 A/B/C/D 分类，输出 .csv 或 .xlsx",
    "description": (
        "两种用法：--db 数据库 --year 年度 [--profile 方案] --out 输出文件；"
        "或 --input 企业数据文件 [--leases 租赁备案文件] --profile 方案 --out 输出文件"
        "（直接读取数据字典格式的 .xlsx/.csv，在内存中计算，不读写任何数据库文件）。"
        ".csv 输出为 UTF-8、英文列名；.xlsx 输出为中文表头。"
    ),
    "arg_db": "数据库文件（如 data/muyun.duckdb）",
    "arg_input": "企业年度监测数据文件（.xlsx 或 .csv）",
    "arg_leases": "厂房租赁备案文件（.xlsx 或 .csv），仅用于 --input",
    "arg_year": "评价年度（--db 必填；--input 时默认文件中的全部年度）",
    "arg_profile": (
        "评价方案 TOML 文件，或已提供方案的名称（如 huangyan-2022）；--db 时默认永康默认方案"
    ),
    "arg_out": "输出文件：.csv 或 .xlsx",
    "db_needs_year": "使用 --db 时必须给出 --year",
    "input_needs_profile": "使用 --input 时必须给出 --profile",
    "leases_needs_input": "--leases 只能与 --input 一起使用",
    "db_missing": "数据库文件不存在：{path}",
    "db_unavailable": "无法打开数据库 {path}：{detail}",
    "no_year": "{year} 年没有企业数据",
    "no_rows": "文件中没有企业数据",
    "profile": "评价方案：{name}（{path}）",
    "summary": (
        "{year} 年：共 {firms} 家企业，评价 {evaluated} 家、不定级 {exempt} 家、"
        "不参评 {skipped} 家；A 类 {A} 家、B 类 {B} 家、C 类 {C} 家、D 类 {D} 家"
    ),
    "written": (
        "结果已写入 {path}（{rows} 行），用时 {seconds:.2f} 秒（其中评分 {score_seconds:.2f} 秒）"
    ),
    "bad_out": "不支持的输出格式“{suffix}”，请使用 .csv 或 .xlsx",
    "warning": "提示：{text}",
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
    if column in POLICY_COLUMNS_ZH:  # the policy money (methodology §9)
        return POLICY_COLUMNS_ZH[column]
    return column


def mu_to_hectare(mu: float) -> float:
    """亩 → 公顷 (1 公顷 = 15 亩), as the bureau's reports convert."""
    return mu / MU_PER_HECTARE


# Dashboard pages (总览, 行业排名, 企业画像, 数据管理) and the sidebar.
UNIT_POINTS = "分"
FILTER_LABELS: dict[str, str] = {
    "header": "筛选",
    "year": "年度",
    "scale": "规模",
    "industry": "行业",
    "tier": "分类",
    "town": "镇街",
    "profile": "评价方案",
    "all_industries": "全部行业",
    "all_tiers": "全部分类",
    "all_towns": "全部镇街",
}
PAGE_TITLES: dict[str, str] = {
    "overview": "总览",
    "rankings": "行业排名",
    "enterprise": "企业画像",
    "whatif": "权重模拟",
    "policy": "政策测算",
    "land": "低效用地整治",
    "data": "数据管理",
    "evaluation": "年度评价",
    "towns": "镇街考核",
    "watchlist": "预警关注",
    "programmes": "专项政策评估",
    "method": "方法实验室",
    "firm_links": "企业链接与送达",
    "firm": "企业专属页面",
}
# The sidebar's sections (st.navigation), in menu order: section title → page stems.
NAV_SECTIONS: dict[str, tuple[str, ...]] = {
    "评价分析": ("overview", "rankings", "enterprise", "towns", "watchlist"),
    "政策与模拟": ("whatif", "policy", "programmes"),
    "年度评价与送达": ("evaluation", "firm_links"),
    "用地整治": ("land",),
    "数据与方法": ("data", "method"),
}
LEASE_OUT = "租出"
LEASE_IN = "租入"
LEASE_HEADERS: dict[str, str] = {
    "direction": "方向",
    "counterpart_code": "对方统一社会信用代码",
    "counterpart_name": "对方企业名称",
    "land_mu": "租赁折算用地面积（亩）",
    "floor_area_m2": "租赁建筑面积（平方米）",
    "registered": "是否备案",
    "record_no": "备案编号",
}
COMPUTATION_HEADERS: dict[str, str] = {
    "item": "项目",
    "value": "指标值",
    "unit": "单位",
    "benchmark": "基准值",
    "weight": "权重（分）",
    "cap": "封顶倍数",
    "score": "得分（分）",
    "imputed": "按均分计",
}
COMPUTATION_ITEM_SUM = "单项得分合计"
COMPUTATION_BONUS = "加分小计"
COMPUTATION_BONUS_CAPPED = "加分小计（封顶{cap:g}分）"
COMPUTATION_DEDUCTION = "扣分小计"
COMPUTATION_BONUS_LINE = "加分·{name}"
COMPUTATION_DEDUCTION_LINE = "扣分·{name}"
COMPARISON_HEADERS: dict[str, str] = {
    "indicator": "指标",
    "unit": "单位",
    "value": "本企业",
    "industry_average": "行业平均（总量比）",
    "a_entry": "A类入围参考值",
}
RADAR_SERIES: dict[str, str] = {
    "rate": "本企业",
    "industry_rate": "行业平均",
    "a_entry_rate": "A类入围参考值",
}
HISTORY_HEADERS: dict[str, str] = {
    "year": "年度",
    "status": "评价状态",
    "total": "综合得分",
    "rank": "行业排名",
    "pool_size": "池内企业数",
    "tier": "分类",
    "tier_class": "分类名称",
}
IMPORT_LOG_HEADERS: dict[str, str] = {
    "imported_at": "导入时间",
    "file_name": "文件名",
    "table_name": "数据表",
    "years": "年度",
    "rows_added": "新增行数",
    "rows_replaced": "替换行数",
    "warnings": "警告数",
    "sha256": "SHA-256",
}
TREND_HEADERS: dict[str, str] = {
    "year": "年度",
    "indicator": "指标",
    "firms": "参评企业（家）",
    "land_mu": "用地面积（亩）",
    "tax_per_mu": "亩均税收（万元/亩）",
    "va_per_mu": "亩均增加值（万元/亩）",
}
KPI_LABELS: dict[str, str] = {
    "firms": "参评企业·{scale}（家）",
    "land": "{scale}参评用地（亩）",
    "land_ha": "{scale}参评用地（公顷）",
    "tax_per_mu": "{scale}亩均税收（万元/亩）",
    "va_per_mu": "{scale}亩均增加值（万元/亩）",
    "tier": "{tier}类 {name}（家）",
}
SMALL_POOL_WARNING = "以下排名池不足 {n} 家企业，排名与分类仍按规则计算，请谨慎解读：{pools}"
SMALL_POOL_ITEM = "{pool}（{n}家）"
MAP_NOTE = "企业按所在镇街中心示意分布（非实际厂址）；本图不依赖在线底图，断网时同样显示。"
UNREGISTERED_LEASE_WARNING = "有 {n} 笔未备案租赁（{mu:g} 亩），不计入有效用地，请督促备案。"
REPORT_DOWNLOAD = "下载分析报告（{fmt}）"
# One definition of the A-tier reference, shared by the enterprise page and the report.
A_ENTRY_NOTE = (
    "A类入围参考值为本排名池A类企业该指标的下四分位数；池内A类企业不足{min_firms}家时不列出"
    "（显示“—”），不披露单个企业的数据。"
)
SPINNERS: dict[str, str] = {
    "database": "正在准备数据库……",
    "year": "正在读取年度数据……",
    "scoring": "正在计算评价结果……",
}
OVERVIEW_TEXT: dict[str, str] = {
    "scope": "{year}年 · {scale}（企业数为两种规模）· 行业：{industries} · 镇街：{towns}",
    "ratio_help": "总量比总量：参评企业税收（增加值）合计 ÷ 有效用地合计，而非企业比值的平均",
    "no_previous": "无上一年度数据，不显示同比变化。",
    "no_ranked": "所选范围内没有参与定级的企业。",
    "tier_mix": "各行业分类结构",
    "share": "占比",
    "trend": "亩均效益五年走势",
    "tier_trend": "分类企业数五年变化",
    "trend_table": "五年主要指标",
    "map": "企业分布（按镇街，按分类着色）",
    "map_failed": "地图暂时无法显示（{error}），不影响本页其他内容。",
    "tip_total": "综合得分（分）",
    "tip_mean_total": "平均综合得分（分）",
    "bubbles_note": (
        "所选范围内有 {n:,} 家定级企业，超过逐家显示上限 {limit:,} 家：每个镇街按分类合并为"
        "一个圆点，面积与企业数成正比。缩小筛选范围（行业、镇街或分类）可逐家显示。"
    ),
}
# The numbers of a box in the rankings' box chart (`muyun.paging.box_stats`), top to bottom.
BOX_STAT_NAMES: dict[str, str] = {
    "upperfence": "须线上端",
    "q3": "上四分位数",
    "median": "中位数",
    "q1": "下四分位数",
    "lowerfence": "须线下端",
}
RANKINGS_TEXT: dict[str, str] = {
    "scope": "{year}年 · {scale} · 评价方案：{profile} · 排名在“规模×行业”池内计算",
    "search": "搜索企业",
    "search_placeholder": "输入企业名称或统一社会信用代码",
    "show_unranked": "含不定级、不参评企业",
    "count": "共 {n} 家企业；点击表头可排序，勾选一行可打开企业画像。",
    "open_firm": "打开企业画像：{name}",
    "excel": "导出 Excel",
    "csv": "导出 CSV",
    "distribution": "各行业综合得分分布",
    "empty": "所选范围内没有参与定级的企业。",
    "pools": "排名池规模",
    "small_pool": "不足{n}家",
    "weight_help": "权重 {weight:g} 分",
    "batch": "批量下载分析报告（{n} 份 PDF，ZIP）",
    "batch_file": "{year}年亩均效益分析报告.zip",
    "batch_help": "在本页逐份生成，约需 {seconds} 秒，期间请勿关闭页面。",
    "batch_too_many": (
        "当前筛选共 {n} 家企业，超过在线批量导出上限 {limit} 家（报告在服务器内存中打包）；"
        "请再按行业、分类或镇街缩小范围；整个行业的报告可请系统管理员在服务器上批量生成。"
    ),
}
ENTERPRISE_TEXT: dict[str, str] = {
    "search": "查找企业",
    "search_placeholder": "输入企业名称或统一社会信用代码（侧栏筛选同样生效）",
    "no_match": "没有符合条件的企业，请修改搜索词或侧栏筛选。",
    "pick": "选择企业（{n} 家）",
    "identity": "统一社会信用代码 {code} · {industry} · {town} · {scale} · {year}年",
    "rank": "行业排名 / 池内企业数",
    "rank_help": "排名池：{pool}",
    "land_help": "自有 {own:g} 亩 − 已备案租出 {leased_out:g} 亩 + 已备案租入 {leased_in:g} 亩",
    "not_ranked": "本年度评价状态：{status}（{reason}），不参与排名和分类。",
    "veto": "因一票否决，分类由 {before} 类降为 {after} 类。",
    "computation": "得分计算表",
    "no_computation": "该企业本年度不参评，没有得分。",
    "formula": (
        "单项得分 = 权重 × min(指标值 ÷ 基准值, 封顶倍数)，且不低于 0；"
        "“按均分计”的项取同规模参评企业该项的平均得分。"
        "综合得分 = 单项得分合计 + 加分小计 − 扣分小计。"
    ),
    "comparison": "与行业平均、A类入围参考值对比",
    "comparison_note": "行业平均为排名池“{pool}”内参与定级企业的总量比总量；" + A_ENTRY_NOTE,
    "radar_note": "雷达图为各项得分率（单项得分 ÷ 权重，1 = 达到基准值）。",
    "history": "五年评价记录",
    "no_history": "没有历年记录。",
    "leases": "厂房租赁",
    "no_leases": "本年度没有厂房租赁记录。",
    "report": "企业亩均效益分析报告",
}
DATA_TEXT: dict[str, str] = {
    "holdings": "库中数据",
    "rows_unit": "行",
    "templates": "导入模板",
    "templates_note": "模板第一行为中文表头，“说明”页列出每一列的类型、单位和规则。",
    "template_file": "{name}模板.xlsx",
    "template_missing": "{name}：模板文件缺失",
    "upload": "上传导入",
    "table": "数据表",
    "file": "选择文件（.xlsx 或 .csv）",
    "import": "校验并导入",
    "log": "导入记录",
    "no_log": "暂无导入记录。",
}

# Enterprise report (亩均效益分析报告, muyun/report.py): headings, table headers, notes.
REPORT_TEXT: dict[str, str] = {
    "title": "亩均效益分析报告",
    "subtitle": "{year}年度 · 评价方案：{profile}",
    "issuer": "永康市经济和信息化局（亩均论英雄改革）",
    "section_number": "{number}、{title}",
    "section_numerals": "一二三四五六七八九十",
    "section_firm": "企业基本情况",
    "section_result": "综合评价结果",
    "section_table": "得分计算明细",
    "section_compare": "与行业对比",
    "section_charts": "指标雷达图与五年趋势",
    "section_charts_bars": "指标得分率与五年趋势",  # fewer than three indicators (规下)
    "section_gap": "升档差距测算",
    "section_policy": "适用的差别化政策",
    "section_advice": "改进建议",
    "section_leases": "厂房租赁情况",
    "name": "企业名称",
    "credit_code": "统一社会信用代码",
    "industry": "所属行业",
    "scale": "企业规模",
    "town": "所在镇街",
    "year": "评价年度",
    "land": "有效用地面积",
    "land_formula": "自有{own}亩 − 已备案出租{out}亩 + 已备案承租{inn}亩 = {land}亩",
    "status": "评价状态",
    "total": "综合得分",
    "rank": "行业排名",
    "rank_value": "第{rank}名 / 共{n}家（{pool}）",
    "tier": "分类",
    "tier_value": "{tier}类 · {name}",
    "veto_note": "（一票否决：否决前为{before}类）",
    "override_note": "（调档：测算为{computed}类；{reason}）",
    "change": "与上年比较",
    "change_value": "得分 {delta}分；排名 {prev_rank} → {rank}；分类 {prev_tier} → {tier}",
    "change_none": "上年未参与定级，无可比数据",
    "not_ranked": "本年度评价状态为“{status}”（{reason}），不参与排名和分类。",
    "points_unit": "分",
    "item": "项目",
    "value": "指标值",
    "unit": "单位",
    "benchmark": "基准值",
    "ratio": "比值（封顶{cap}）",
    "ratio_plain": "比值",
    "weight": "权重",
    "score": "得分",
    "remark": "说明",
    "imputed": "缺失，按同规模平均得分计",
    "missing_zero": "缺失，计0分",
    "capped": "已达封顶",
    "bench_average": "（全市同规模平均）",
    "items_subtotal": "指标得分小计",
    "bonus_item": "加分·{name}",
    "deduction_item": "扣分·{name}",
    "bonus_subtotal": "加分小计（封顶{cap}分）",
    "bonus_subtotal_plain": "加分小计",
    "deduction_subtotal": "扣分小计",
    "total_row": "综合得分 = 指标得分小计 + 加分 − 扣分",
    "bonus_listing_detail": "上市及股改情况：{listing}",
    "bonus_investment_detail": "工业性投资{investment}万元，每{per}万元加1分，最多{max}分",
    "bonus_talent_detail": "人才占比{share}",
    "bonus_water_detail": "单位用水增加值为同规模平均的{multiple}倍",
    "bonus_investment_none": "未报送工业性投资",
    "bonus_talent_none": "未报送职工或人才人数",
    "bonus_water_none": "未报送用水量或工业增加值",
    "deduction_safety_detail": "安全生产事故{n}起 × {points}分",
    "deduction_env_detail": "环保处罚{n}次 × {points}分",
    "formula_note": (
        "计算方法：指标得分 = 权重 × 比值，比值 = 指标值 ÷ 基准值（不低于0{cap_note}）；"
        "基准值为“平均”时取全市同规模参评企业的总量之比（如全部税收 ÷ 全部用地）。"
        "表中数值已四舍五入，逐项相加与综合得分可能相差 ±0.01 分。"
    ),
    "cap_note": "，不高于封顶倍数",
    "compare_firm": "本企业",
    "compare_average": "行业平均",
    "compare_a_entry": "A类入围参考值",
    "compare_position": "本企业 ÷ 行业平均",
    "compare_note": "行业平均为本排名池（{pool}）参评企业的总量之比；" + A_ENTRY_NOTE,
    "a_entry_total": "本排名池A类最低综合得分：{score}分",
    "no_a_tier": "本排名池暂无A类企业",
    "radar_title": "指标雷达图（相对基准值的倍数）",
    "bars_title": "指标得分率（相对基准值的倍数）",
    "trend_title": "近五年综合得分趋势",
    "legend_firm": "本企业",
    "legend_average": "行业平均",
    "legend_benchmark": "基准值=1",
    "trend_missing": "未定级",
    "trend_axis": "综合得分（分）",
    "gap_top": "已是最高档（A类 · 重点扶持类），请保持优势。",
    "gap_veto": "因一票否决，本年度不能评为A、B类；消除否决事项后方可升档。",
    "gap_impossible": "本排名池仅{n}家企业，按分档规则无法升入{tier}类。",
    "gap_points": (
        "升入{tier}类（{name}）需综合得分至少达到{threshold}分（本排名池第{rank}名的得分），"
        "即再提高{points}分。"
    ),
    "gap_tax": (
        "在其他数据不变时，约需增加税收实际贡献{amount}万元（亩均税收由{before}提高到{after}"
        "万元/亩；已计入其对平均基准值的影响，经评价引擎重新测算验证）。"
    ),
    "gap_tax_line": (
        "在其他数据不变时，约需增加税收实际贡献{amount}万元，使亩均税收由{before}提高到{after}"
        "万元/亩，达到D类认定线{line}万元/亩，即不再列入D类（经评价引擎重新测算验证）。"
    ),
    "gap_va": (
        "仅增加税收无法升档（相关指标已封顶或受限）；在其他数据不变时，约需增加工业增加值"
        "{amount}万元（经评价引擎重新测算验证）。"
    ),
    "gap_none": "仅靠增加税收或工业增加值无法升档，需在多项指标上同步提升。",
    "policy_for": "{tier}类（{name}）",
    "policy_none": "评价方案未配置该分类的差别化政策。",
    "policy_illustrative": "示意：本方案的政策条款为示意内容，以当年正式文件为准。",
    "advice_missing": "{name}：本年度数据缺失，请按时、完整报送相关统计数据。",
    "advice_weak": "{name}（得分率{rate}，{position}）：{advice}",
    "advice_below": "低于基准值",
    "advice_above": "已达基准值",
    "advice_lease": "存在未备案的厂房租赁，请尽快办理租赁备案，备案后方计入有效用地。",
    "advice_deduction": "本年度有安全生产或环保处罚扣分，请加强安全生产和环境管理。",
    "advice_keep": "各项指标均不低于基准值，请保持优势，争取提高研发投入和单位能耗产出。",
    "lease_role": "方向",
    "lease_role_out": "出租",
    "lease_role_in": "承租",
    "lease_counterparty": "对方企业",
    "lease_counterparty_code": "对方统一社会信用代码",
    "lease_land": "折算用地（亩）",
    "lease_floor": "建筑面积（平方米）",
    "lease_state": "备案情况",
    "lease_registered": "已备案（{record_no}）",
    "lease_unregistered": "未备案 不计入有效用地",
    "lease_none": "本年度无厂房租赁记录。",
    "lease_unknown_name": "（非本市监测企业）",
    "footer": "亩云 muyun · {profile} · 生成于 {date}",
    "footer_page": "第 {page} 页 / 共 {pages} 页",
    "not_found": "{year}年企业监测数据中没有统一社会信用代码为 {code} 的企业",
    "no_font": (
        "找不到报告所需的中文字体：请安装 pylopdf-fonts-zh-cn（见 requirements.txt），"
        "或将 Noto Sans SC 等开源字体（.otf/.ttf）放入 muyun/fonts/"
    ),
    "index_file": "报告文件",
    "file_fallback": "企业",
    "policy_line": "{title}：{text}",
    "progress_unit": "份",
}
REPORT_CLI_TEXT: dict[str, str] = {
    "help": "生成企业亩均效益分析报告（PDF/HTML），或按行业/分类批量生成 PDF",
    "db": "数据库文件（默认：环境变量 MUYUN_DB 或 data/muyun.duckdb）",
    "year": "评价年度",
    "code": "企业统一社会信用代码（单个报告）",
    "out": "输出文件（.pdf 或 .html）；批量时为输出目录",
    "profile": "评价方案 TOML 文件（默认：永康默认方案）",
    "industry": "批量：只生成该行业的参评企业",
    "tier": "批量：只生成该分类（A/B/C/D）的参评企业",
    "jobs": "批量：并行进程数（默认：CPU 核数，最多 2）",
    "need_target": "请指定 --code（单个报告）或 --industry / --tier（批量）",
    "both": "--code 不能与 --industry / --tier 同时使用",
    "suffix": "单个报告的 --out 应以 .pdf 或 .html 结尾",
    "no_db": "找不到数据库文件：{path}",
    "none": "没有符合条件的参评企业（{year}年 行业={industry} 分类={tier}）",
    "done_one": "已生成：{path}",
    "done_batch": "已生成 {n} 份报告及索引 {index}",
    "progress": "生成报告",
}
REPORT_SHORT_NAMES: dict[str, str] = {
    "tax_per_mu": "亩均税收",
    "va_per_mu": "亩均增加值",
    "revenue_per_mu": "亩均营收",
    "va_per_energy": "单位能耗增加值",
    "va_per_emission": "单位排放增加值",
    "labour_productivity": "劳动生产率",
    "rd_intensity": "研发投入强度",
    "va_per_water": "单位用水增加值",
    "tax_per_kwh": "单位用电税收",
    "revenue_per_kwh": "单位用电营收",
}
REPORT_ADVICE: dict[str, str] = {
    "tax_per_mu": "盘活闲置和低效厂房，提高单位用地产出和税收贡献；富余用地可依法备案出租或退还",
    "va_per_mu": "推进零增地技改、提高容积率，发展高附加值产品，提升单位用地增加值",
    "revenue_per_mu": "优化产品结构、拓展市场，提高单位用地营业收入",
    "va_per_energy": "实施节能技改、淘汰高耗能设备，提高单位能耗产出",
    "va_per_emission": "推进清洁生产和治污设施升级，降低主要污染物排放强度",
    "labour_productivity": "推进机器换人和数字化改造，提高全员劳动生产率",
    "rd_intensity": "加大研发投入，申报高新技术企业和研发费用加计扣除",
    "va_per_water": "推进节水改造和循环用水，提高单位用水产出",
    "tax_per_kwh": "提升产品附加值、实施电机能效提升，提高单位用电税收",
    "revenue_per_kwh": "优化用电结构、减少无效用电，提高单位用电营业收入",
}

# ── Policy money (methodology §9, issue 12): [policy] profile errors, columns, pages ──────────
POLICY_PROFILE_ERRORS: dict[str, str] = {
    "needs_base": "配置了分类加价比例时必须给出 {key}",
    "repeat_tier": "repeat.tier 应为 {tiers} 之一，实际为 {value!r}",
    "repeat_years": "repeat.years 应为不小于 2 的整数（连续年数），实际为 {value!r}",
    "repeat_missing": "repeat 应包含 tier、years、rate 三项",
    "relief_over": "减免比例应在 0–100 之间，实际为 {value!r}",
}
POLICY_COLUMNS_ZH: dict[str, str] = {
    "electricity_surcharge": "差别化电价加价（万元）",
    "water_surcharge": "差别化水价加价（万元）",
    "land_tax_relief": "城镇土地使用税减免（万元）",
    "policy_net": "政策净额（万元，正数为企业净得）",
}
POLICY_TEXT: dict[str, str] = {
    "illustrative": "示意费率：本方案的差别化电价、水价和土地使用税减免标准为示意参数，"
    "非当地正式文件，测算结果仅供参考。",
    "source": "费率依据：{source}",
    "no_policy": "评价方案“{profile}”未配置差别化政策费率（[policy]），不测算政策金额。",
    "intro": "{year}年 · {profile} · 按分类测算的差别化政策金额（万元）。"
    "减免为财政让利，加价为财政增收；净额 = 减免 − 加价（正数为财政净让利、企业净得）。",
    "by": "汇总维度",
    "by_tier": "按分类",
    "by_industry": "按行业",
    "by_town": "按镇街",
    "firms_behind": "构成该数字的企业（{label}，{n} 家）",
    "pick_group": "查看企业明细",
    "all_groups": "全部",
    "metric_relief": "土地使用税减免",
    "metric_surcharge": "电价水价加价",
    "metric_net": "净额（减免 − 加价）",
    "metric_firms": "涉及企业",
    "total_row": "合计",
    "repeat_note": "{tier}类连续 {years} 年（含本年）的企业电价加价按 {rate:g} 元/千瓦时计"
    "（本年 {n} 家）；中间任一年未定级即中断连续。",
    "published_note": "政策金额按已发布结果（含调整后的分类）及已发布的历年分类计算。",
    "live_note": "政策金额按本方案实时评价结果计算；连续年数按同一方案评价的往年分类判断。",
    "download": "下载企业明细（CSV）",
    "firm_heading": "差别化政策金额（{year}年，万元）",
    "firm_pays": "本年因 {tier} 类分类：电价加价 {electricity} 万元、水价加价 {water} 万元、"
    "土地使用税减免 {relief} 万元，净额 {net} 万元。",
    "firm_none": "本年未定级，不适用差别化政策金额。",
    "firm_next": "升至 {tier} 类（{name}）每年可{verb} {gain} 万元。",
    "firm_next_gap": "亩均税收提高 {per_mu} 万元/亩（税收增加 {amount} 万元，升至 {after} 万元/亩）"
    "即可升至 {tier} 类（{name}），每年{verb} {gain} 万元。",
    "firm_top": "已是最高分类。",
    "gain_more": "多得",
    "gain_less": "少得",
    "repeat_applied": "（已连续 {years} 年为 {tier} 类，电价加价按 {rate:g} 元/千瓦时）",
}
POLICY_HEADERS: dict[str, str] = {
    "group": "分组",
    "firms": "定级企业（家）",
    "land_tax_relief": "土地使用税减免（万元）",
    "electricity_surcharge": "电价加价（万元）",
    "water_surcharge": "水价加价（万元）",
    "surcharges": "加价合计（万元）",
    "policy_net": "净额（万元）",
    "name": "企业名称",
    "credit_code": "统一社会信用代码",
    "tier": "分类",
    "industry": "行业",
    "town": "镇街",
    "repeat": "连续加价",
}
POLICY_RATE_PARAMS: dict[str, str] = {
    "r_elec_{tier}": "{tier}类电价加价（元/千瓦时）",
    "r_elec_repeat": "连续{tier}类电价加价（元/千瓦时）",
    "r_water_{tier}": "{tier}类水价加价（%）",
    "r_relief_{tier}": "{tier}类土地使用税减免（%）",
}
WHATIF_FISCAL_TEXT: dict[str, str] = {
    "heading": "财政影响（{scale}参评企业，与基准方案比较，万元）",
    "relief": "Δ 土地使用税减免",
    "surcharges": "Δ 电价水价加价",
    "net": "Δ 净额（减免 − 加价）",
    "more": "多缴/少得的企业",
    "less": "少缴/多得的企业",
    "baseline_help": "基准：{value} 万元",
    "rates": "政策费率（示意，可调）",
    "rates_help": "调整费率后，情景的政策金额随之变化；基准方案保持方案文件中的费率。",
    "compare_heading": "财政影响对比（万元，第二项 − 第一项）",
    "robust_heading": "总净额的稳健性（{runs} 次随机权重）",
    "robust_line": "总净额（减免 − 加价）第 5–95 百分位：{p5} – {p95} 万元，中位数 {p50} 万元；"
    "当前情景 {current} 万元。",
    "no_policy": "本方案未配置差别化政策费率，不测算财政影响。",
}

# --- Accounts, login throttle, store errors and import limits (issue 10) ---
ACCOUNT_TEXT: dict[str, str] = {
    "bad_username": "用户名应为2–64个字母、数字或 _ . @ - 字符",
    "bad_role": "角色「{role}」无效，应为：{roles}",
    "bad_display_name": "姓名不能为空，不超过{max}个字符，且不能含控制字符",
    "bad_hash": "不是可识别的密码哈希（应为 argon2 或 bcrypt 格式）",
    "short_password": "密码至少{min}个字符",
    "long_password": "密码过长（最多{max}字节）",
    "taken": "用户名「{username}」已存在",
    "wrong": "用户名或密码错误。",
    "throttled": "登录失败次数过多，请{seconds}秒后再试。",
    "read_only": "数据库当前为只读，无法登录或写入。",
}
ADMIN_LOGIN_TEXT: dict[str, str] = {
    "username": "用户名",
    "password": "密码",
    "login": "登录",
    "logout": "退出登录",
    "logged_in": "已登录：{name}（{role}）",
    "needed": "此操作需要登录；查看页面无需登录。",
    "no_accounts": (
        "尚未创建账号，写入功能已停用。请在服务器上运行 "
        "python -m muyun account add --username 用户名 --role 管理员 --name 姓名 "
        "创建账号（见 README）。"
    ),
    "not_allowed": "当前账号（{role}）无权执行此操作。",
    "read_only": "数据库当前以只读方式打开，暂不能写入；查看不受影响。",
}
ACCOUNT_CLI_TEXT: dict[str, str] = {
    "help": "管理登录账号",
    "add_help": "新建账号（密码取自环境变量 MUYUN_NEW_PASSWORD，否则交互输入）",
    "list_help": "列出账号",
    "username": "用户名（字母、数字、_ . @ -）",
    "role": "角色：管理员 或 经办",
    "name": "姓名（显示在页面和审计记录中）",
    "legacy_hash": (
        "沿用环境变量 MUYUN_ADMIN_PASSWORD_HASH 中的旧 bcrypt 哈希（首次登录后自动升级为 argon2id）"
    ),
    "no_legacy_hash": "未设置环境变量 MUYUN_ADMIN_PASSWORD_HASH",
    "prompt": "新密码：",
    "prompt_again": "再次输入：",
    "mismatch": "两次输入的密码不一致",
    "created": "已创建账号：{username}（{name}，{role}）",
    "row": "{username}\t{name}\t{role}",
    "none": "尚无账号",
    "demo_built": "默认位置尚无数据库，已生成演示数据库：{path}",
}
STORE_ERROR_TEXT: dict[str, str] = {
    "page": "数据库暂时无法使用，页面无法显示。请联系系统管理员查看服务器日志。",
    "missing": "数据库文件不存在：{path}（请检查 MUYUN_DB 设置）",
    "corrupt": "数据库文件已损坏或不是 muyun 数据库：{path}（{cause}）",
    "locked": "数据库文件正被其他程序占用（例如另一个导入或服务器进程）：{path}（{cause}）",
    "disk_full": "磁盘空间已满，写入失败，数据库未改变：{path}（{cause}）",
    "read_only": "数据库文件只读，无法写入：{path}（{cause}）",
    "permission": "没有访问数据库文件的权限：{path}（{cause}）",
    "other": "数据库错误：{path}（{cause}）",
    "io": "读写文件失败：{path}（{cause}）",
}
IMPORT_LIMIT_TEXT: dict[str, str] = {
    "file_too_large": "文件大小 {size} 超过上限 {limit}",
    "too_many_sheets": "工作表数 {count} 超过上限 {limit}",
    "too_many_rows": "行数 {rows} 超过上限 {limit}（工作表范围 {extent}）",
    "too_many_columns": "列数 {columns} 超过上限 {limit}（工作表范围 {extent}）",
    "too_many_cells": "单元格数 {cells} 超过上限 {limit}（工作表范围 {extent}）",
    "xml_too_large": "工作表解压后 {size} 超过上限 {limit}（可能是压缩炸弹）",
    "zip_ratio": "压缩比 {ratio:.0f} 超过上限 {limit}（可能是压缩炸弹）",
    "line_too_long": "第{row}行长度超过上限 {limit} 字符",
    "more_errors": "另有 {count} 条错误未列出",
    "more_line": "列「{column}」：{reason}",
    "control_char": "含有控制字符（{char}），请删除",
    "clipped": "{head}…（共{length}个字符）",
    "extent": "{sheet}：{rows} 行 × {columns} 列（{kind}）",
    "csv_extent": "{rows} 行 × {columns} 列",
    "declared": "声明范围",
    "actual": "实际范围",
    "bad_line_encoding": (
        "无法识别文件编码：第{row}行不是 {encoding} 编码（请将整个文件另存为 UTF-8 或 GBK）"
    ),
}

# --- Each firm's private link: the firm portal and the officials' 企业链接与送达 page ---
FIRMLINK_TEXT: dict[str, str] = {
    "disabled": (
        "企业专属链接功能未启用：服务器未配置链接密钥。请在环境变量 MUYUN_LINK_SECRET 或 "
        ".streamlit/secrets.toml 的 link_secret 中设置至少32个字符的随机密钥（见 README），"
        "然后重启服务。"
    ),
    "bad_base_url": "系统访问地址“{value}”无效：应以 http:// 或 https:// 开头，且不含参数",
    "no_run": "找不到评价批次 {run}",
    "no_firm": "评价批次 {run} 中没有统一社会信用代码为 {code} 的企业",
    "expiry_past": "链接有效期应晚于当前时间",
    "audit_batch": "批量生成企业链接 {n} 个",
    "links_sheet": "企业链接",
    "status_sheet": "送达情况",
}
FIRMLINK_STATES: dict[str, str] = {
    "live": "有效",
    "expired": "已过期",
    "revoked": "已撤销",
    "none": "未生成",
}
FIRMLINK_EVENTS: dict[str, str] = {
    "opened": "打开链接",
    "confirmed": "确认数据",
    "disputed": "数据有异议",
    "objected": "提出公示异议",
    "report": "查看报告",
}
FIRMLINK_HEADERS: dict[str, str] = {
    "name": "企业名称",
    "credit_code": "统一社会信用代码",
    "town": "镇街",
    "industry": "行业",
    "version": "链接版本",
    "link": "专属链接",
    "expires_at": "有效期至",
    "link_state": "链接状态",
    "opened_first": "首次打开时间",
    "opened_count": "打开次数",
    "confirmed_at": "确认时间",
    "disputed_at": "提出数据异议时间",
    "objected_count": "公示异议（件）",
    "report_first": "首次查看报告时间",
    "report_last": "最近查看报告时间",
    "report_count": "查看报告次数",
    "firms": "企业数（家）",
    "linked": "有效链接（家）",
    "opened": "已打开（家）",
    "confirmed": "已确认（家）",
    "disputed": "有异议（家）",
    "objected": "提出公示异议（家）",
    "report": "已阅报告（家）",
}
FIRM_PAGE_TEXT: dict[str, str] = {
    "refused_title": "链接无效",
    "refused": "此链接无效或已失效。如有疑问，请联系所在镇街或市经信局，索取新的专属链接。",
    "throttled": "访问过于频繁，请稍后再试。",
    "disabled": "企业专属链接功能暂未启用，请联系所在镇街或市经信局。",
    "run_line": "{year}年度亩均效益综合评价 · 当前阶段：{stage} · 本链接有效期至 {expires}",
    "private": "本页面为贵企业专属，请勿转发。链接仅显示贵企业自身的数据。",
    "sheet_header": "数据确认单",
    "sheet_intro": "以下为本年度评价所用的贵企业数据。请核对后确认，或指出有误的项目并说明。",
    "sheet_field": "项目",
    "sheet_value": "数值",
    "sheet_unit": "单位",
    "answer": "核对结果",
    "answer_ok": "数据无误，确认",
    "answer_dispute": "部分数据有误，提出异议",
    "fields": "有误的项目",
    "comment": "说明（正确数值及依据）",
    "evidence": "证明材料（PDF、PNG 或 JPEG，可选）",
    "submit": "提交",
    "need_fields": "请选择有误的项目，并填写说明。",
    "confirmed": "已提交：数据无误。感谢配合。",
    "disputed": "已提交数据异议，市经信局将核实后答复。",
    "answer_recorded": "贵企业已于 {at} 提交核对结果：{answer}。",
    "answer_fields": "有异议的项目：{fields}",
    "sheet_closed": "当前阶段不在数据确认期，数据确认单仅供查阅。",
    "objection_header": "公示异议",
    "objection_intro": (
        "公示期 {start} 至 {end}。对公示的评价结果有异议的，可在公示期内提出，并附证明材料。"
    ),
    "grounds": "异议理由",
    "objection_submit": "提交异议",
    "need_grounds": "请填写异议理由。",
    "objected": "异议已提交（编号 {id}），将进入市经信局复核。",
    "objections_filed": "贵企业本次公示期已提交异议 {n} 件。",
    "report_header": "分析报告",
    "report_open": "查看贵企业的亩均效益分析报告",
    "report_pdf": "下载分析报告（PDF）",
    "history_header": "历年评价分类",
    "history_year": "年度",
    "history_tier": "分类",
    "history_none": "暂无已发布的历年分类。",
    "untiered": "不定级",
    "not_published": "评价结果发布后，可在此查看和下载贵企业的分析报告。",
    "report_loading": "正在准备报告…",
    "report_title": "{year}年度亩均效益分析报告",
    "report_value": "内容",
    "report_comparison": "与行业对比",
    "report_suggestions": "提升建议",
    "report_policies": "适用政策",
}
FIRMLINK_PAGE_TEXT: dict[str, str] = {
    "intro": (
        "为每家企业生成专属链接（按评价批次），由各镇街发送给企业；企业通过链接确认数据、"
        "在公示期提出异议、在发布后查看报告。下方可查看各企业的打开与阅读情况。"
    ),
    "no_runs": "尚未创建评价批次。请先在年度评价页面创建批次。",
    "run": "评价批次",
    "run_option": "{year}年度 · {profile} · {stage}（批次 {id}）",
    "manage": "生成与管理链接",
    "base_url": "系统对外访问地址",
    "base_url_help": "企业打开链接时使用的地址，例如 https://muyun.example.gov.cn",
    "expiry": "链接有效期至",
    "generate": "为尚无有效链接的企业生成链接",
    "generated": "已生成 {n} 个链接。",
    "none_generated": "所有企业均已有有效链接，未新生成。",
    "download_links": "下载全部有效链接（Excel）",
    "links_file": "企业专属链接_{year}_批次{run}.xlsx",
    "firm": "企业",
    "revoke": "撤销该企业的链接",
    "reissue": "撤销并重新生成该企业的链接",
    "revoked": "已撤销 {n} 个链接。",
    "nothing_revoked": "该企业没有有效链接。",
    "reissued": "已重新生成（第 {version} 版），请下载最新的链接表发送给企业。",
    "status_header": "送达情况",
    "by_town": "按镇街",
    "by_industry": "按行业",
    "per_firm": "逐企业明细",
    "download_status": "导出送达明细（Excel）",
    "status_file": "企业送达明细_{year}_批次{run}.xlsx",
    "download_unread": "导出未阅读报告企业名单（Excel，{n} 家）",
    "unread_file": "未阅读报告企业_{year}_批次{run}.xlsx",
    "live_count": "有效链接：{n} 家企业",
}

# ── the annual evaluation cycle (issue 16: runs, confirmation, notice, objections, overrides,
# publication, audit) ─────────────────────────────────────────────────────────────────────────
EVAL_STAGES: tuple[str, ...] = ("草稿", "数据确认", "公示中", "已发布")
EVAL_ANSWERS: tuple[str, ...] = ("已确认", "有异议")
EVAL_DECISIONS: tuple[str, ...] = ("采纳", "驳回")
EVAL_CHANNELS: tuple[str, ...] = ("镇街转交", "直接提交", "企业链接")
EVAL_TEXT: dict[str, str] = {
    "not_allowed": "账号 {user}（{role}）无权执行此操作（{action}）。",
    "needs_account": "此操作需要登录的工作人员账号。",
    "bad_firm_actor": "企业身份“{actor}”与所涉企业不一致，操作被拒绝。",
    "no_run": "评价批次 {run} 不存在。",
    "no_year": "{year} 年没有企业数据，无法创建评价批次。",
    "no_firm": "评价批次 {run} 中没有统一社会信用代码为 {code} 的企业。",
    "locked": "评价批次 {run} 已正式发布并锁定，不能再更正数据或调档。",
    "bad_stage": "评价批次 {run} 当前处于“{stage}”阶段，此操作需要“{needed}”阶段。",
    "bad_days": "公示天数 {days} 不在允许范围（{lo}–{hi} 天）内。",
    "already_published": "{year} 年已有正式发布的评价批次（{run}），每年只能发布一个批次。",
    "pending_objections": "还有 {count} 件异议未作出处理决定，不能发布。",
    "notice_not_over": "公示期至 {end} 结束，公示期满后（{first} 起）方可发布。",
    "bad_answer": "确认结果“{answer}”无效，应为：{answers}。",
    "bad_fields": "有异议的字段无效：{fields}。",
    "dispute_needs_fields": "选择“有异议”时须指明有异议的字段。",
    "grounds_empty": "请填写异议理由。",
    "bad_channel": "受理渠道“{channel}”无效，应为：{channels}。",
    "no_changes": "请至少填写一项更正后的数据。",
    "bad_column": "字段“{column}”不能更正；可更正的字段：{columns}。",
    "bad_value": "{column} 的值“{value}”无效：{reason}",
    "reason_empty": "请填写处理理由。",
    "no_objection": "异议 {id} 不存在。",
    "already_decided": "异议 {id} 已处理（{decision}），不能重复处理。",
    "bad_tier": "调档结果“{tier}”无效，应为：{tiers}。",
    "override_needs_reason": "调档必须同时填写理由和依据。",
    "override_not_evaluated": "企业 {code} 不参评，不能调档。",
    "override_exempt": (
        "企业 {code} 不定级（不参与排名和分类），不能调为 {tier} 类；如应参与定级，"
        "请以数据更正将「不参与定级」改为「否」，其排名、分类和基准值随之重算。"
    ),
    "override_cell": "调为 {tier}：{reason}",
    "subject_run": "批次 {run}（{year} 年）",
    "subject_objection": "异议 {id}（{code}）",
    "act_create": "创建评价批次",
    "act_stage": "阶段变更",
    "act_notice_period": "调整公示期",
    "act_confirm": "企业确认数据",
    "act_objection": "登记异议",
    "act_decide": "异议处理决定",
    "act_correct": "更正数据",
    "act_override": "调档",
    "sheet_missing": "（未填报）",
    "sheet_lease": "租赁{direction} {other}（{counted}）",
    "sheet_lease_out": "出租给",
    "sheet_lease_in": "承租自",
    "sheet_counted": "已备案，计入用地",
    "sheet_not_counted": "未备案，不计入用地",
    "stage_published": "正式发布",
    "stage_live": "实时测算",
}
EVAL_EXPORT_HEADERS: dict[str, str] = {
    "override": "调档说明",
    "stage": "评价阶段",
    "computed_tier": "测算分类",
    "override_tier": "调档分类",
    "override_reason": "调档理由",
    "override_basis": "调档依据",
}
AUDIT_TEXT: dict[str, str] = {
    "gap": "审计日志第 {id} 行序号不连续（应为第 {expected} 行），记录可能被删除或插入。",
    "broken_link": "审计日志第 {id} 行的前序哈希与上一行不符，日志已被篡改。",
    "broken_row": "审计日志第 {id} 行的内容与其哈希不符，该行已被篡改。",
    "ok": "审计日志完整：共 {rows} 行，哈希链校验通过。",
    "help": "校验审计日志的哈希链",
    "description": "逐行重算审计日志的 SHA-256 哈希链；发现篡改时以非零状态退出并指出第一处断裂。",
    "arg_db": "数据库文件（.duckdb）",
    "db_missing": "数据库文件 {path} 不存在。",
}
AUDIT_HEADERS: dict[str, str] = {
    "id": "序号",
    "logged_at": "时间（UTC）",
    "actor": "操作人",
    "action": "操作",
    "run_id": "批次",
    "subject": "对象",
    "before_json": "变更前",
    "after_json": "变更后",
    "prev_hash": "前序哈希",
    "hash": "本行哈希",
}
EVIDENCE_TEXT: dict[str, str] = {
    "empty": "上传的文件是空的。",
    "too_large": "文件大小 {size:.1f} MB 超过上限 {limit:.0f} MB，请压缩后重新上传。",
    "bad_type": "文件“{name}”不是 PDF、PNG 或 JPEG（按文件内容判断，与扩展名无关），不予接收。",
    "bad_ref": "证据文件的引用无效。",
    "missing": "证据文件已不在存储目录中。",
}
EVAL_CLI_TEXT: dict[str, str] = {
    "help": "年度评价：创建批次、公示、更正、调档、发布、导出",
    "description": "把年度亩均评价作为正式行政行为运行：冻结数据、公示、异议更正、调档、发布。"
    "任何被拒绝的步骤以非零状态退出并给出中文说明。",
    "help_create": "冻结某年数据与方案，创建评价批次（最后一行输出批次号）",
    "help_notice": "进入公示并导出公示名单（.xlsx 或 .pdf）",
    "help_correct": "采纳异议、更正一家企业的数据并重新测算（列出分类变化的企业）",
    "help_override": "调档：设定一家企业的分类或不定级（须填写理由）",
    "help_publish": "正式发布并锁定批次",
    "help_export": "导出批次结果（muyun score 的列，另加调档说明与评价阶段）",
    "help_status": "查看评价批次的状态",
    "arg_db": "数据库文件（.duckdb）",
    "arg_year": "评价年度",
    "arg_profile": "方案 TOML 文件（或内置方案名）",
    "arg_run": "评价批次号",
    "arg_start": "公示开始日期 YYYY-MM-DD",
    "arg_days": "公示天数",
    "arg_notice_out": "公示名单文件（.xlsx 或 .pdf）",
    "arg_code": "企业统一社会信用代码",
    "arg_set": "更正的字段与新值，如 tax=123.4（可重复）",
    "arg_reason": "理由",
    "arg_tier": "A、B、C、D 或 不定级",
    "arg_basis": "调档依据（如文件条款；默认同理由）",
    "arg_export_out": "导出文件（.csv 或 .xlsx）",
    "db_missing": "数据库文件 {path} 不存在。",
    "profile_missing": "方案文件 {path} 不存在。",
    "bad_notice_out": "公示名单只能导出为 .xlsx 或 .pdf，不支持“{suffix}”。",
    "bad_export_out": "结果只能导出为 .csv 或 .xlsx，不支持“{suffix}”。",
    "bad_date": "日期“{value}”无效，应为 YYYY-MM-DD。",
    "bad_set": "“{item}”应写成 字段=值，如 tax=123.4。",
    "created": "已创建评价批次 {run}：{year} 年，方案“{profile}”，{firms} 家企业；"
    "A {A} 家、B {B} 家、C {C} 家、D {D} 家。批次号：",
    "noticed": "批次 {run} 公示期 {start} 至 {end}；公示名单已写入 {path}",
    "corrected": "已更正 {code} 并重新测算：{moved} 家企业排名或分类变化，"
    "其中 {changed} 家分类变化：",
    "overridden": "已将 {code} 调档为 {tier}。",
    "published": "批次 {run}（{year} 年）已于 {at} 正式发布并锁定。",
    "exported": "已导出 {rows} 行到 {path}",
    "status_line": "批次 {run}｜{year} 年｜{profile}｜{stage}｜创建 {created}（{by}）｜"
    "公示 {notice}｜发布 {published}",
    "status_detail": "企业 {firms} 家；已确认 {confirmed}、有异议 {disputed}；异议 {objections} 件"
    "（待处理 {open}）；更正 {corrections} 项；调档 {overrides} 家",
    "no_runs": "还没有评价批次。",
}
DATASHEET_TEXT: dict = {
    "page": "第 {page} 页",
    "sheet_title": "{year} 年度工业企业亩均效益评价数据确认单",
    "sheet_intro": "以下为评价批次 {run}（方案“{profile}”）冻结的 {year} 年度贵企业评价数据，"
    "即综合评价计分所用的全部数据。已备案的租赁用地计入有效用地，未备案的不计入。"
    "请核对后勾选确认结果；如有异议，请注明有异议的项目并附证明材料。",
    "sheet_footer": "评价批次 {run}｜方案：{profile}｜亩云 muyun",
    "col_item": "项目",
    "col_value": "数值",
    "col_unit": "单位",
    "answers": "确认结果：□ 已确认   □ 有异议（有异议的项目：______________________）",
    "sign": "企业（盖章）：                    经办人：                    日期：",
    "notice_title": "{year} 年度工业企业亩均效益综合评价结果公示名单",
    "notice_note": "公示期：{period}。公示期内，企业对评价结果有异议的，可通过所在镇街或直接向"
    "市经信局提出，并附证明材料。名单不含企业的具体经营数据。",
    "notice_footer": "评价批次 {run}｜公示期 {period}",
    "period": "{start} 至 {end}",
    "no_period": "（尚未确定）",
    "notice_sheet": "公示名单",
    "notice_headers": {
        "name": "企业名称",
        "credit_code": "统一社会信用代码",
        "industry": "行业",
        "town": "镇街",
        "tier": "分类",
    },
}
BASIS_TEXT: dict[str, str] = {
    "label": "结果口径",
    "published": "正式发布",
    "live": "实时测算",
    "help": "正式发布：该年度已发布的评价批次（冻结数据，含调档）；实时测算：按当前数据重新测算。",
    "not_published": "{year} 年在本方案下尚无正式发布结果，显示实时测算。",
    "caption_published": "正式发布（批次 {run}，{date} 发布）；"
    "与实时测算相比 {differs} 家企业分类不同。",
    "caption_live": "实时测算（当前数据）；与正式发布相比 {differs} 家企业分类不同。",
}
EVAL_PAGE_TEXT: dict = {
    "intro": "年度评价是正式行政行为：冻结当年数据与方案 → 企业确认数据（一企一单）→ 公示 → "
    "异议复核（预览更正对全部企业的影响）→ 调档 → 正式发布。每一步都记入防篡改的审计日志。",
    "no_runs": "{year} 年还没有评价批次。管理员登录后可在上方新建批次。",
    "run": "评价批次",
    "run_option": "批次 {run}｜{profile}｜{stage}",
    "run_line": "批次 {run}：{year} 年，方案“{profile}”；{created} 由 {by} 创建（muyun {version}）"
    "。",
    "create_heading": "新建评价批次",
    "create_profile": "评价方案",
    "create_help": "将冻结 {year} 年的企业与租赁数据、方案全文，并保存测算结果；"
    "之后的导入不会改变本批次。",
    "create_button": "冻结数据并创建批次",
    "created": "已创建评价批次 {run}（{year} 年）。",
    "metric_firms": "企业（家）",
    "metric_confirmed": "已确认（家）",
    "metric_disputed": "有异议（家）",
    "metric_objections": "异议（件）",
    "metric_corrections": "更正（项）",
    "metric_overrides": "调档（家）",
    "tab_confirm": "数据确认",
    "tab_notice": "公示",
    "tab_objections": "异议复核",
    "tab_overrides": "调档",
    "tab_publish": "发布与导出",
    "tab_audit": "审计日志",
    "confirm_help": "向每家企业发送数据确认单（一企一单），登记企业的确认结果；按镇街、"
    "行业查看进度。",
    "confirm_start": "开始数据确认",
    "confirm_started": "批次 {run} 已进入数据确认阶段。",
    "progress_by": "进度口径",
    "progress_town": "镇街",
    "progress_industry": "行业",
    "progress_headers": {
        "firms": "企业（家）",
        "confirmed": "已确认（家）",
        "disputed": "有异议（家）",
        "waiting": "未回复（家）",
        "replied_pct": "回复率（%）",
    },
    "waiting_heading": "**未回复企业：{count} 家**",
    "waiting_csv": "导出未回复企业名单（CSV）",
    "waiting_file": "未回复企业_批次{run}.csv",
    "sheet_heading": "**数据确认单（PDF）**",
    "firm": "企业",
    "firm_placeholder": "输入企业名称或统一社会信用代码",
    "firm_search": "查找企业（名称或统一社会信用代码的一部分）",
    "firm_needed": "请选择企业。",
    "sheet_one": "下载该企业的数据确认单",
    "sheet_file": "数据确认单_{code}.pdf",
    "sheet_town": "按镇街批量",
    "sheet_batch": "下载本镇街全部确认单（{count} 家）",
    "sheet_batch_file": "数据确认单_{town}_批次{run}.pdf",
    "answer_heading": "**登记企业确认结果**",
    "answer": "确认结果",
    "answer_fields": "有异议的项目",
    "answer_comment": "说明",
    "answer_button": "登记",
    "answered": "已登记 {code} 的确认结果：{answer}。",
    "evidence": "证明材料（PDF、PNG 或 JPEG）",
    "evidence_help": "按文件内容识别类型，单个文件不超过 {limit} MB；材料只作为附件下载，"
    "不在页面中打开。",
    "notice_help": "公示名单只含企业名称、统一社会信用代码、行业、镇街和分类，不含经营数据。",
    "notice_period": "公示期：{start} 至 {end}",
    "notice_start": "公示开始日期",
    "notice_days": "公示天数（天）",
    "notice_button": "进入公示 / 调整公示期",
    "noticed": "批次 {run} 已进入公示。",
    "notice_file": "公示名单_{year}年_批次{run}",
    "notice_xlsx": "下载公示名单（Excel）",
    "notice_pdf": "下载公示名单（PDF）",
    "objection_help": "公示期内登记企业通过镇街或直接提出的异议；"
    "复核时先预览更正对全部企业排名和分类的影响，再作决定。",
    "register_heading": "登记异议",
    "received": "收到日期",
    "channel": "受理渠道",
    "grounds": "异议理由",
    "register_button": "登记异议",
    "registered": "已登记异议 {id}（{code}）。",
    "no_objections": "本批次还没有异议。",
    "objection_headers": {
        "id": "编号",
        "credit_code": "统一社会信用代码",
        "name": "企业名称",
        "received": "收到日期",
        "channel": "渠道",
        "grounds": "理由",
        "decision": "处理结果",
    },
    "review_heading": "**异议复核**",
    "review_pick": "待处理异议",
    "review_option": "异议 {id}｜{name}",
    "grounds_line": "异议理由：{grounds}",
    "evidence_download": "下载证明材料：{name}",
    "sheet_of": "{name} 的评价数据",
    "sheet_headers": {"label": "项目", "value": "数值", "unit": "单位"},
    "correct_fields": "需更正的数据项",
    "preview_button": "预览更正影响",
    "preview_line": "此更正将使 {moved} 家企业的排名或分类发生变化，"
    "其中 {changed} 家分类变化（见下表）。",
    "moved_headers": {
        "credit_code": "统一社会信用代码",
        "name": "企业名称",
        "total_before": "原综合得分（分）",
        "total_after": "更正后综合得分（分）",
        "rank_before": "原排名",
        "rank_after": "更正后排名",
        "tier_before": "原分类",
        "tier_after": "更正后分类",
        "tier_changed": "分类变化",
    },
    "decision_reason": "处理理由",
    "accept_button": "采纳",
    "accept_help": "填写了更正数据时，须先预览影响才能采纳；采纳后按更正数据重新测算本批次。",
    "reject_button": "驳回",
    "decided": "异议 {id} 已处理：{decision}。",
    "override_help": "调档只改变该企业的分类（如安全生产一票否决、新投产不定级），得分、"
    "排名和其他企业的分类不变；须填写理由和依据。",
    "no_overrides": "本批次没有调档。",
    "override_tier": "调整为",
    "override_reason": "调档理由",
    "override_basis": "调档依据（文件及条款）",
    "override_button": "调档",
    "overridden": "已将 {code} 调档为 {tier}。",
    "publish_help": "发布后本批次锁定，不能再更正或调档；各页面默认显示正式发布结果。",
    "publish_confirm": "我已核对公示与异议处理结果，确认发布",
    "publish_button": "正式发布",
    "published": "批次 {run}（{year} 年）已正式发布。",
    "published_line": "已于 {at} 由 {by} 正式发布，批次已锁定。",
    "publish_admin_only": "发布须由管理员操作。",
    "export_csv": "导出批次结果（CSV）",
    "export_xlsx": "导出批次结果（Excel）",
    "export_file": "评价结果_{year}年_批次{run}",
    "audit_ok": "审计日志哈希链校验通过，未发现篡改。",
    "audit_csv": "导出审计日志（CSV）",
    "audit_file": "审计日志_批次{run}.csv",
}

# ── Method lab (issue 17): prior-year benchmarks, profiles by year, data quality, redundancy,
# sensitivity (muyun/method_lab.py, pages/method.py) ──────────────────────────────────────────
PRIOR_YEAR_MISSING = (
    "评价 {year} 年：{scale}“{indicator}”的基准值为上年度平均值，"
    "但 {prior} 年没有该规模可计算此指标的参评企业数据，无法评价"
)

# --- Towns, early warning and programmes (issue 14) --------------------------------------------
WARNING_PROFILE_ERRORS: dict[str, str] = {
    "years": "应为 1–10 的整数（连续下降的年数），实际为 {value!r}",
    "basis": '应为 "value"（指标值）或 "growth"（较上年增长%），实际为 {value!r}',
    "empty": "至少应设置警戒值 alert 或优质值 quality 之一",
    "order": "优质值 {quality:g} 应大于警戒值 {alert:g}",
}
WATCH_TEXT: dict[str, str] = {
    "near_cutoff": "领先同池{lower}类最高分仅 {gap:.2f} 分（预警线 {margin:g} 分）",
    "alert_value": "{indicator} {value:.2f} {unit}，低于警戒值 {alert:g} {unit}",
    "alert_growth": "{indicator}较上年 {value:+.1f}%，低于警戒值 {alert:+g}%",
    "decline": "亩均税收连续 {n} 年下降（{path} 万元/亩）",
    "intro": "{year} 年评价结果中，可能在下一年度降档（或跌入 D 类）的企业：距本档分数线不足 "
    "{margin:g} 分、指标低于警戒值，或亩均税收连续 {n} 年下降。依据：{profile}。",
    "illustrative": "预警阈值为示意参数：{source}",
    "no_rule": "当前方案“{profile}”未设置预警阈值（[warning]），仅按分数线和连续下降判断。",
    "empty": "没有符合条件的企业。",
    "n_listed": "列入预警关注",
    "n_near": "临近分数线",
    "n_alert": "低于警戒值",
    "n_decline": "连续下降",
    "list_tab": "预警名单",
    "thresholds_tab": "指标阈值",
    "download_xlsx": "下载预警名单（Excel）",
    "download_csv": "下载预警名单（CSV）",
    "file": "预警关注名单",
    "firm_header": "预警提示",
    "firm_listed": "该企业列入 {year} 年预警关注名单：{reasons}",
    "firm_clear": "该企业未列入 {year} 年预警关注名单。",
    "reason_filter": "预警原因",
}
WATCH_STATES: dict[str, str] = {
    "alert": "低于警戒值",
    "normal": "正常",
    "quality": "达到优质值",
    "none": "无数据",
}
WATCH_BASES: dict[str, str] = {"value": "指标值", "growth": "较上年增长（%）"}
WATCH_REASON_KINDS: dict[str, str] = {
    "near_cutoff": "临近分数线",
    "alert": "低于警戒值",
    "decline": "连续下降",
}
WATCH_HEADERS: dict[str, str] = {
    "credit_code": "统一社会信用代码",
    "name": "企业名称",
    "industry": "行业",
    "town": "镇街",
    "scale": "规模",
    "tier": "现分类",
    "total": "综合得分（分）",
    "rank": "池内排名",
    "gap": "领先下一档（分）",
    "lower_tier": "可能降为",
    "reasons": "预警原因",
    "indicator": "指标",
    "basis": "口径",
    "value": "本年值",
    "unit": "单位",
    "alert": "警戒值",
    "quality": "优质值",
    "state": "状态",
    "below_alert": "低于警戒值（家）",
    "at_quality": "达到优质值（家）",
    "with_value": "有数据企业（家）",
}
# Fit to hand out (issue 13): method legend, year-on-year, briefing PDF (muyun/briefing.py).
BRIEFING_TEXT: dict[str, str] = {
    "legend_a": "A 类（{name}）：排名池内排名前 {a}%（含）",
    "legend_b": "B 类（{name}）：排名 {a}%–{b}%（含）",
    "legend_d": "D 类（{name}）：排名末 {d}%（含）且亩均税收低于 {line} 万元/亩",
    "legend_c": "C 类（{name}）：其余参与定级企业",
    "legend_pool": "排名池：{pool}",
    "pool_industry": "同规模、同行业的参评企业",
    "pool_none": "同规模的全部参评企业",
    "legend_total": "综合得分 = 各项指标得分（权重合计 {weights} 分）",
    "legend_cap": "；单项得分最高为其权重的 {cap} 倍",
    "legend_bonus": " + 加分 − 扣分，因此可能超过 100 分",
    "legend_bonus_cap": " + 加分（最多 {cap} 分）− 扣分，因此可能超过 100 分",
    "step_value": "① 指标值：按企业当年申报和部门数据计算，如亩均税收 = 税收 ÷ 有效用地面积",
    "step_benchmark": "② 基准值：同规模参评企业的平均水平（总量比总量）",
    "step_item": "③ {name}得分 = {weight} 分 × 指标值 ÷ 基准值（{cap}）",
    "step_capped": "不超过 {cap} 倍，不低于 0",
    "step_nocap": "不封顶，不低于 0",
    "step_total": "④ 综合得分 = 各项得分合计 + 加分 − 扣分",
    "step_rank": "⑤ 在排名池内按综合得分从高到低排名，同分同名次",
    "step_tier": "⑥ 按上述分类规则定级；一票否决的企业直接降为 D 类",
    "arrow": "→",
    "year": "年",
    "all_industry": "全部行业",
    "all_tier": "全部分类",
    "all_town": "全部镇街",
    "scope_sep": " · ",
    "title": "{year}年亩均效益综合评价汇报材料",
    "scope": "范围：{filters}　评价方案：{profile}",
    "kpis": "一、主要指标",
    "kpi_header": "指标|本年|较上年",
    "tiers": "二、分类结构",
    "tier_cell": "{label} {firms} 家（{share}）",
    "trend": "三、近年趋势",
    "year_col": "年度",
    "land": "四、低效用地整治进度",
    "land_header": "项目|数值",
    "movers": "五、分类变化企业（降档在前）",
    "movers_header": "变化|企业名称|行业|镇街|上年得分（分）|本年得分（分）",
    "no_movers": "与上年相比没有分类变化的企业。",
    "legend": "附：分类规则",
    "footer": "亩云 · 评价方案：{profile} · 生成于 {date}",
    "page": "第 {page} 页 / 共 {pages} 页",
    "flat": "持平",
    "no_change_data": "—",
}
# Rankings page additions (issue 13).
RANKINGS_EXTRA: dict[str, str] = {
    "legend": "分类规则",
    "how": "综合得分是怎么算的？",
    "columns": "显示的列",
    "columns_help": "排名、分类、企业名称、综合得分始终显示；导出与所选列一致。",
    "tier_before": "上年分类",
    "rank_before": "上年排名",
    "changes": "分类变化企业（与上年相比，降档在前）",
    "changes_count": "共 {n} 家企业分类发生变化，其中降档 {down} 家。",
    "changes_none": "与上年相比没有分类变化的企业（或缺少上年数据）。",
    "changes_excel": "导出分类变化（Excel）",
    "change": "分类变化",
    "total_before": "上年综合得分",
    "total_change": "得分变化",
    "changes_file": "分类变化",
    "batch_cli": "请再按行业、分类或镇街缩小范围；整个行业的报告可请系统管理员在服务器上批量生成。",
}
PROGRAMME_OUTCOMES: dict[str, str] = {
    "tax_per_mu": "亩均税收（万元/亩）",
    "va_per_mu": "亩均增加值（万元/亩）",
    "tier_score": "分类档次（A=4、B=3、C=2、D=1）",
}
PROGRAMME_TEXT: dict[str, str] = {
    "intro": "按参与企业加入当年（T）之前一年（T−1）与之后一年（T+1）的变化，对比同行业、同规模、"
    "起点（T−1 年指标值）最接近的 {k} 家未参与企业的变化（匹配双重差分）。",
    "ci_note": "区间为对参与企业匹配差值的自助抽样（{n} 次）95% 区间，未计入对照重复使用带来的"
    "不确定性，属近似区间；区间跨过 0 表示不能认定有效果。",
    "no_programmes": "尚未导入专项政策参与企业数据（数据管理 → 专项政策参与企业）。",
    "programme": "政策",
    "summary": "参与情况",
    "effects": "效果评估",
    "tiers": "参与企业分类分布",
    "significant": "有显著效果",
    "not_significant": "未见显著效果",
    "not_evaluable": "{n} 家参与企业因加入年份过近、数据缺失或无可比企业未纳入评估。",
    "metric_firms": "参与企业",
    "metric_funds": "扶持资金",
    "metric_did": "亩均增加值效果",
    "download_xlsx": "下载评估结果（Excel）",
    "file": "专项政策评估",
    "nothing": "没有可评估的参与企业。",
    "effect_line": "参与企业与匹配对照的均值；效果 {did:+.2f}（95%区间 {low:+.2f} ~ {high:+.2f}）",
    "series_treated": "参与企业",
    "series_control": "匹配对照",
    "period_pre": "加入前一年",
    "period_post": "加入后一年",
}
PROGRAMME_HEADERS: dict[str, str] = {
    "programme": "政策名称",
    "year": "年度",
    "firms": "参与企业（家）",
    "funds_10k": "扶持资金（万元）",
    "projects": "项目数（个）",
    "outcome": "指标",
    "evaluated": "纳入评估（家）",
    "not_evaluable": "未纳入（家）",
    "treated_pre": "参与企业·前",
    "treated_post": "参与企业·后",
    "control_pre": "对照·前",
    "control_post": "对照·后",
    "did": "效果估计（双重差分）",
    "ci_low": "95%区间下限",
    "ci_high": "95%区间上限",
    "se": "标准误",
    "verdict": "结论",
}
TOWN_TEXT: dict[str, str] = {
    "intro": "{year} 年各镇街参评企业汇总（总量比总量），增长率对比 {prev} 年；依据：{source}。",
    "no_prev": "没有上一年度数据，增长率不显示。",
    "rank_by": "排名指标",
    "league": "镇街排名",
    "town_view": "镇街详情",
    "pick_town": "选择镇街",
    "firms": "本镇街参评企业",
    "progress": "目标完成情况",
    "download_xlsx": "下载镇街排名（Excel）",
    "file": "镇街排名",
    "firms_file": "镇街企业",
    "download_firms": "下载本镇街企业（Excel）",
    "p_growth": "亩均税收增长",
    "p_land": "低效用地整治",
    "p_d": "D类企业出清",
    "p_low": "低效企业出列",
    "tiers_line": "分类分布：{counts}",
    "scales_note": "排名与汇总含规上、规下全部参评企业；本名单按侧栏的规模、行业、分类筛选。",
    "target_label": "{label}（目标 {target}）",
    "target_label_none": "{label}（目标未下达）",
    "vs_target_pp": "{pp:+.1f} 个百分点（对目标）",
    "vs_target_pct": "{pct:+.0%}（对目标）",
}
TOWN_RANK_KEYS: dict[str, str] = {
    "tax_per_mu": "亩均税收",
    "va_per_mu": "亩均增加值",
    "tax_per_mu_growth": "亩均税收增长",
    "va_per_mu_growth": "亩均增加值增长",
    "share_a": "A类占比",
    "share_d": "D类占比（低者优先）",
    "land_progress": "低效用地整治完成率",
}
TOWN_HEADERS: dict[str, str] = {
    "place": "名次",
    "town": "镇街",
    "firms": "参评企业（家）",
    "ranked": "定级企业（家）",
    "land_mu": "有效用地（亩）",
    "tax": "税收（万元）",
    "value_added": "工业增加值（万元）",
    "tax_per_mu": "亩均税收（万元/亩）",
    "va_per_mu": "亩均增加值（万元/亩）",
    "tax_per_mu_growth": "亩均税收增长（%）",
    "target_tax_per_mu_growth_pct": "亩均税收增长目标（%）",
    "va_per_mu_growth": "亩均增加值增长（%）",
    "target_va_per_mu_growth_pct": "亩均增加值增长目标（%）",
    "share_a": "A类占比（%）",
    "share_d": "D类占比（%）",
    "land_rectified_mu": "整治完成（亩）",
    "target_land_rectified_mu": "整治目标（亩）",
    "land_progress": "整治完成率（%）",
    "d_firms_cleared": "D类出清（家）",
    "target_d_firms_cleared": "D类出清目标（家）",
    "low_eff_handled": "低效企业出列（家）",
    "target_low_eff_handled": "低效企业整治目标（家）",
    "n_a": "A类（家）",
    "n_d": "D类（家）",
}
# 总览 additions (issue 13).
OVERVIEW_EXTRA: dict[str, str] = {
    "scope": "{year}年 · {scale}（企业数为两种规模）· 行业：{industries} · 分类：{tiers} · "
    "镇街：{towns}",
    "all_tiers": "全部",
    "no_va": "{scale}企业不采集增加值，不计算亩均增加值；下方走势只显示亩均税收。",
    "briefing": "下载汇报材料（PDF）",
    "briefing_help": "本页主要指标、分类结构、五年走势、低效用地整治进度和分类变化企业，A4 排版，"
    "标题含当前筛选条件。",
    "briefing_file": "汇报材料",
    "land_done": "已整治面积（亩）",
    "land_target": "年度目标（亩）",
    "land_progress": "目标完成率",
    "flat": "持平",
}
# Audit log cross-check against the evaluation tables, and its fingerprint (review of wave 1).
AUDIT_CHECK_TEXT: dict[str, str] = {
    "run": "评价批次 {run} 在审计日志中没有创建记录，日志可能被截断。",
    "publish": "评价批次 {run} 已发布，但审计日志中没有发布记录，日志可能被截断。",
    "confirmation": "批次 {run} 企业 {code} 的数据确认在审计日志中没有记录。",
    "override": "批次 {run} 企业 {code} 的调档在审计日志中没有记录。",
    "correction": "批次 {run} 企业 {code} 的数据更正在审计日志中没有记录。",
    "objection": "批次 {run} 的异议 {id} 在审计日志中没有登记记录。",
    "decision": "批次 {run} 的异议 {id} 已有处理决定，但审计日志中没有决定记录。",
    "head": "最后一行哈希：{hash}（可另行记录，用于日后核对整条日志）",
    "act_account_created": "新建账号",
}
BENCHMARK_TEXT: dict[str, str] = {
    "prior_year_average": "上年度全市平均",
    "times": "{base} × {multiplier:g}",
    "prior_remark": "（上年度全市同规模平均）",
}
METHOD_LAB_ERRORS: dict[str, str] = {
    "engine_mismatch": "敏感性分析的基准测算与评分引擎结果不一致，已停止分析（请报告此问题）",
    "bad_spread": "扰动幅度应在 0 到 1 之间（不含端点）",
    "not_allowed": "编辑评价方案须由管理员操作（当前角色：{role}）",
    "bad_stem": "方案标识“{stem}”无效：只能用小写字母、数字、- 和 _，以字母或数字开头，最长 40 位",
    "no_saved": "没有已保存的方案“{stem}”",
    "shipped_stem": "方案标识“{stem}”与随附方案文件重名，请换一个",
}
METHOD_LAB_TEXT: dict[str, Any] = {
    "copy_name": "{name}（{year} 年）",
    "absent": "—",
    "item_sep": " · ",
    "saved_suffix": "（已保存 第 {version} 版）",
    "diff_sections": {
        "years": "适用年度",
        "meta": "方案信息",
        "weights": "权重",
        "benchmarks": "基准值与计分",
        "evaluation": "评价范围",
        "tiers": "分档",
        "bonus": "加分",
        "deductions": "扣分",
        "policies": "政策措施",
        "policy": "政策费率",
    },
    "diff_fields": {
        "weight": "权重",
        "benchmark": "基准值",
        "benchmark_multiplier": "基准倍数",
        "cap": "封顶倍数",
        "missing": "缺失处理",
    },
    "intro": "评分之前先检验方法本身：数据覆盖与异常、指标冗余、结果对权重与封顶的敏感程度，"
    "并据上年方案生成下年方案、比对差异。",
    "tab_quality": "数据质量",
    "tab_redundancy": "指标冗余",
    "tab_sensitivity": "敏感性",
    "tab_profiles": "方案管理",
    "quality_summary": "{year} 年按方案“{profile}”检查：共 {flags} 条待核实记录。",
    "coverage_title": "指标覆盖率（低于 {pct:.0f}% 标红）",
    "firm_coverage_title": "指标覆盖率低于 {pct:.0f}% 的企业：{n} 家",
    "shape_title": "分布形态（偏度 > 2 且峰度 > 3.5 为严重偏态；稳健 z 绝对值 > 3.5 为异常值）",
    "flags_title": "待核实记录（每条标记背后的企业）",
    "rule_filter": "规则",
    "export_flags": "导出待核实记录（Excel）",
    "export_flags_csv": "导出待核实记录（CSV）",
    "flags_file": "数据质量待核实记录",
    "redundancy_title": "{scale}指标 Spearman 相关系数",
    "pairs_title": "高度相关的指标对（|ρ| > {limit:g}）",
    "no_pairs": "没有相关系数绝对值超过 {limit:g} 的指标对。",
    "denominators_title": "指标与其分母的相关（|ρ| ≥ {limit:g} 说明更多反映规模而非效益）",
    "sensitivity_scale": "{scale}：{firms} 家参与排名企业，基础样本 {n} 组、共 {runs} 次测算，"
    "各权重与封顶倍数在 ±{spread:.0f}% 内独立扰动。",
    "drop_title": "剔除单项指标（权重按比例分给其余指标）后改变分类的企业数",
    "indices_title": "方差分解敏感性指数（Saltelli 抽样，Jansen 估计）",
    "indices_help": "一阶指数：该因素单独解释的波动份额；总效应指数：含与其他因素交互的份额。"
    "输出为平均名次变动（名次）和分类变化企业比例（分类）。",
    "borderline_title": "分类不稳定的企业（当前分类概率低于 80%）：{n} 家",
    "export_firms": "导出各企业名次区间与分类概率（Excel）",
    "export_firms_csv": "导出各企业名次区间与分类概率（CSV）",
    "index_kind": "指数",
    "index_value": "指数值",
    "firms_file": "敏感性分析_名次区间与分类概率",
    "run_sensitivity": "运行敏感性分析",
    "spread": "扰动幅度（%）",
    "profiles_current": "当前方案：{name}（适用年度：{years}）",
    "years_any": "不限",
    "copy_title": "由 {year} 年数据生成 {next} 年方案",
    "copy_help": "固定基准值更新为 {year} 年的全市平均值（比值之和口径），"
    "按“平均值”或“上年度平均值”计的基准不变。",
    "diff_title": "与当前方案的差异：{n} 项",
    "no_diff": "两个方案完全相同。",
    "export_diff": "导出差异（Excel）",
    "diff_file": "评价方案差异",
    "download_toml": "下载新方案（TOML）",
    "edit_title": "编辑并保存方案（须管理员）",
    "edit_text": "方案内容（TOML）",
    "edit_stem": "方案标识（小写字母、数字、-、_）",
    "edit_note": "修改说明",
    "save_button": "校验并保存",
    "saved": "已保存方案“{stem}”第 {version} 版，可在侧栏“评价方案”中选用。",
    "history_title": "已保存方案的历史版本",
    "no_saved": "尚未保存过方案。",
}
METHOD_LAB_COLUMNS: dict[str, str] = {
    "rule": "检查规则",
    "scale": "规模",
    "indicator": "指标",
    "firms": "企业数（家）",
    "defined": "有数据企业数（家）",
    "coverage": "覆盖率",
    "low": "覆盖率不足",
    "skewness": "偏度",
    "kurtosis": "峰度",
    "outliers": "异常值个数（个）",
    "skewed": "严重偏态",
    "value": "数值",
    "robust_z": "稳健 z 值",
    "detail": "说明",
    "first": "指标一",
    "second": "指标二",
    "rho": "Spearman ρ",
    "denominator": "分母",
    "strong": "强相关",
    "weight": "权重（分）",
    "moved": "改变分类（家）",
    "up": "升档（家）",
    "down": "降档（家）",
    "factor": "因素",
    "output": "输出",
    "first_order": "一阶指数",
    "total_effect": "总效应指数",
    "rank_p5": "名次 5% 分位",
    "rank_p95": "名次 95% 分位",
    "prob_A": "A 类概率",
    "prob_B": "B 类概率",
    "prob_C": "C 类概率",
    "prob_D": "D 类概率",
    "prob_current": "当前分类概率",
    "borderline": "分类不稳定",
    "section": "类别",
    "item": "项目",
    "before": "原方案",
    "after": "新方案",
    "version": "版本",
    "profile_name": "方案名称",
    "based_on": "来源方案",
    "note": "修改说明",
    "saved_at": "保存时间",
    "saved_by": "保存人",
}
QUALITY_RULES: dict[str, str] = {
    "tax_gt_revenue": "税收大于营业收入",
    "va_gt_revenue": "增加值大于营业收入",
    "rd_gt_revenue": "研发经费大于营业收入",
    "va_without_employees": "从业人员为 0 但有增加值",
    "land_jump": "自有用地较上年变化超过 50%",
    "lease_out_gt_land": "登记租出用地多于现有用地",
    "outlier": "异常值（稳健 z 绝对值 > 3.5）",
    "low_coverage": "企业指标覆盖率低于 65%",
}
QUALITY_DETAIL: dict[str, str] = {
    "over_revenue": "{value:,.2f} 万元，营业收入 {revenue:,.2f} 万元",
    "no_employees": "增加值 {value:,.2f} 万元，从业人员 0 人",
    "land_jump": "上年 {before:,.2f} 亩，本年 {now:,.2f} 亩（{change:+.1f}%）",
    "lease_out": "登记租出 {out:,.2f} 亩，自有加租入 {held:,.2f} 亩",
}
SENSITIVITY_OUTPUTS: dict[str, str] = {"rank": "名次", "tier": "分类", "cap": "封顶倍数"}
NOTICE_EXTRA: dict[str, str] = {"period": "公示期"}
# 年度评价 · 数据确认: the firms that disputed their sheet, with their evidence (review of wave 1).
DISPUTE_TEXT: dict = {
    "heading": "**有异议的企业：{count} 家**",
    "headers": {
        "credit_code": "统一社会信用代码",
        "name": "企业名称",
        "fields": "有异议的数据项",
        "comment": "说明",
        "recorded_by": "登记人",
    },
    "pick": "查看证明材料的企业",
    "download": "下载证明材料：{name}",
}
# 数据管理 additions (issue 13).
DATA_EXTRA: dict[str, str] = {
    "no_filters": "本页显示和导入全部数据，不受侧栏筛选条件影响（侧栏筛选在本页停用）。",
    "drop": "将文件拖放到此处",
    "limit": "单个文件不超过 {mb} MB · XLSX、CSV",
    "browse": "选择文件",
}
OBJECTION_PERIOD_TEXT: dict[str, str] = {
    "outside": "收到日期 {received} 不在公示期（{start} 至 {end}）内，不能登记为异议。",
    "closed": "今天不在公示期（{start} 至 {end}）内，不能通过本页提出异议。",
}
# 企业画像 additions (issue 13).
ENTERPRISE_EXTRA: dict[str, str] = {
    "bars_note": "柱状图为各项得分率（单项得分 ÷ 权重，1 = 达到基准值）；"
    "指标少于三项时不画雷达图。",
}
# Batch report ZIP with progress (issue 13).
BATCH_EXTRA: dict[str, str] = {
    "make": "生成分析报告（{n} 份 PDF，约 {seconds} 秒）",
    "starting": "正在生成报告……",
    "progress": "已生成 {done} / {total} 份，预计还需 {left} 秒",
}
# Long lists at province scale (issue 15): paged tables and the enterprise search picker.
PAGED_TABLE_TEXT: dict[str, str] = {
    "sort": "排序",
    "default_order": "默认顺序",
    "sort_help": "按所选列对全部 {total} 行排序后分页显示；点击表头只排序当前页。",
    "descending": "降序",
    "page": "页码",
    "range": "第 {first}–{last} 行，共 {total} 行 · 第 {number} / {pages} 页",
    "pick_top": "选择企业（{n} 家符合条件，列出前 {shown} 家；输入名称或代码可缩小范围）",
    "rank_count": "共 {n} 家企业，分页显示；表格上方的“排序”对全部企业排序，"
    "勾选一行可打开企业画像。",
}

# 权重模拟's live panel at province scale (issue 15): short lists, saving outside the panel.
WHATIF_PANEL_TEXT: dict[str, str] = {
    "save": "保存情景（管理员）",
    "export_share": "导出与分享",
    "shown": "仅显示前 {shown:,} 家（共 {n:,} 家），完整名单请下载。",
    "download": "下载完整名单（Excel）",
    "into_d": "新进入 D 类的企业（任一类 → D）",
    "out_of_d": "退出 D 类的企业（D → 任一类）",
}

# 方法实验室 at province scale (issue 15): long lists cut short, sensitivity on request.
METHOD_LAB_SCALE_TEXT: dict[str, str] = {
    "checking": "正在检查数据质量……",
    "correlating": "正在计算指标相关系数……",
    "analysing": "正在进行敏感性分析（重复测算各组权重下的名次与分类）……",
    "on_demand": "{scale}约 {firms:,} 家企业参与评价，敏感性分析需重复测算 {runs:,} 次名次与分类，"
    "耗时较长，点击下方按钮开始；算好的结果暂存于服务器，再次打开时直接显示。",
    "shown": "仅显示前 {shown:,} 行（共 {n:,} 行），完整清单请导出。",
}
