"""muyun/briefing.py: the method legend from the profile, the tier-change list (falls first),
year-on-year columns and the one-page briefing PDF whose title names the filters."""

from __future__ import annotations

import dataclasses

import pandas as pd

from muyun import briefing, queries, report
from muyun.profile import load_profile, profile_path
from muyun.report_templates import briefing_pdf

PROFILE = load_profile(profile_path("yongkang-default"))


def scored(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "credit_code": [r[0] for r in rows],
            "name": [f"企业{r[0]}" for r in rows],
            "industry": "车业",
            "town": "东城街道",
            "scale": "规上",
            "status": "评价",
            "tier": [r[1] for r in rows],
            "total": [r[2] for r in rows],
            "rank": range(1, len(rows) + 1),
        }
    )


def test_legend_follows_the_profile_bands_and_d_line() -> None:
    changed = dataclasses.replace(
        PROFILE, tiers=dataclasses.replace(PROFILE.tiers, a_pct=15, d_max_tax_per_mu=8.0)
    )
    lines = briefing.method_legend(changed, "规上")
    assert "前 15%" in lines[0] and "8.0 万元/亩" in lines[2]
    assert "可能超过 100 分" in lines[-1]
    assert any("亩均税收得分 = 30 分" in s for s in briefing.score_steps(PROFILE, "规上"))


def test_tier_changes_put_the_biggest_falls_first() -> None:
    before = scored(
        [("1", "B", 90), ("2", "C", 80), ("3", "C", 70), ("4", "A", 99), ("5", "A", 95)]
    )
    now = scored([("1", "D", 50), ("2", "D", 60), ("3", "B", 75), ("4", "A", 98), ("5", "C", 70)])
    changes = briefing.tier_changes(now, before)
    assert changes["change"].tolist() == ["B→D", "C→D", "A→C", "C→B"]
    assert changes["total_change"].iloc[0] == -40
    table = briefing.with_previous_year(now, before)
    assert table["tier_before"].tolist() == ["B", "C", "C", "A", "A"]
    assert briefing.tier_changes(now, None).empty


def test_briefing_pdf_is_one_a4_page_titled_with_the_filters() -> None:
    now = scored([("1", "D", 50), ("2", "A", 99)])
    kpis = queries.Kpis(
        {"规上": 2, "规下": 0}, 2, 30.0, 12.0, 50.0, {"A": 1, "B": 0, "C": 0, "D": 1}
    )
    built = briefing.build(
        year=2024,
        scale="规上",
        scope={"industry": ("门业",), "tier": ("D",), "town": ()},
        profile=PROFILE,
        kpis=kpis,
        previous=kpis,
        trend=pd.DataFrame(
            {
                "year": [2024],
                "firms": [2],
                "land_mu": [30.0],
                "tax_per_mu": [12.0],
                "va_per_mu": [50.0],
            }
        ),
        changes=briefing.tier_changes(now, scored([("1", "B", 80), ("2", "A", 98)])),
        generated="2026-11-29",
        land=[("已整治面积（亩）", "6,377.0")],
    )
    assert "门业" in built.scope and "D" in built.scope and "全部镇街" in built.scope
    assert built.kpis[1][2] == "持平"  # no change reads 持平, never "+0"
    pdf = briefing_pdf.render(built, report.cjk_font_path())
    assert pdf.startswith(b"%PDF") and b"/Count 1" in pdf
