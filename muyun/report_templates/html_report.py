"""The report as one self-contained HTML page: inline CSS, inline SVG charts, no script, no links.

Why hand-built HTML with `html.escape` on every value: enterprise names are untrusted input and
the page is opened offline by officials and firms; a template engine would add a dependency for
a page this small, and escaping in one helper (`_e`) is easy to audit.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from muyun import labels
from muyun.report_templates.charts import (
    RADAR_MIN_AXES,
    SvgCanvas,
    draw_radar,
    draw_trend,
    leading_span,
)

if TYPE_CHECKING:
    from muyun.report import ReportData, Table

T = labels.REPORT_TEXT
CHART_W, CHART_H = 90.0, 72.0

CSS = """
body{font-family:"Noto Sans SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;
color:#222;margin:0;background:#f3f4f6}
main{max-width:860px;margin:0 auto;background:#fff;padding:28px 36px 40px}
h1{font-size:24px;margin:0 0 4px;color:#12355b}
.sub{color:#555;margin:0 0 14px}
h2{font-size:17px;color:#12355b;border-left:4px solid #12355b;padding-left:8px;margin:26px 0 10px}
.demo{background:#fff4e5;border:1px solid #f0a030;color:#8a4b00;padding:8px 12px;margin:10px 0}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border:1px solid #cfd6de;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#e8eef5;color:#12355b;font-weight:600}
td.num{text-align:right;white-space:nowrap}
tr.em td{background:#f5f7fa;font-weight:600}
tr.flag td{background:#fdecea;color:#a11}
table.kv th{width:9em}
.tier{display:inline-block;color:#fff;padding:1px 8px;border-radius:3px;font-weight:600}
.note{font-size:12px;color:#666;margin:6px 0}
.charts{display:flex;flex-wrap:wrap;gap:12px}
.charts figure{flex:1 1 360px;margin:0;border:1px solid #e1e5ea;padding:6px}
.charts figcaption{font-size:13px;color:#12355b;margin-bottom:4px}
svg.chart{width:100%;height:auto;display:block}
ul{margin:6px 0;padding-left:22px}
li{margin:4px 0}
footer{margin-top:28px;font-size:12px;color:#888;border-top:1px solid #ddd;padding-top:8px}
@media print{body{background:#fff}main{padding:0}}
@page{size:A4;margin:15mm}
"""


def _e(value: object) -> str:
    """Escape any text for element content and quoted attributes."""
    return html.escape(str(value), quote=True)


def _table(table: Table, numeric_from: int = 1, css: str = "") -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in table.header)
    body = []
    for i, row in enumerate(table.rows):
        cls = "em" if i in table.emphasis else "flag" if i in table.flagged else ""
        span = leading_span(row)
        colspan = f' colspan="{span}"' if span > 1 else ""
        first = f"<td{colspan}>{_e(row[0])}</td>"
        cells = first + "".join(
            f'<td class="num">{_e(c)}</td>'
            if numeric_from <= j and _numeric(c)
            else f"<td>{_e(c)}</td>"
            for j, c in enumerate(row[span:], start=span)
        )
        body.append(f'<tr class="{cls}">{cells}</tr>' if cls else f"<tr>{cells}</tr>")
    cls_attr = f' class="{css}"' if css else ""
    return f"<table{cls_attr}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _numeric(text: str) -> bool:
    stripped = text.replace(",", "").replace("%", "").replace("—", "").lstrip("+-")
    return bool(stripped) and stripped.replace(".", "", 1).isdigit()


def _kv(pairs: tuple[tuple[str, str], ...]) -> str:
    rows = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in pairs)
    return f'<table class="kv"><tbody>{rows}</tbody></table>'


def _list(items: tuple[str, ...]) -> str:
    return "<ul>" + "".join(f"<li>{_e(item)}</li>" for item in items) + "</ul>"


def render(data: ReportData) -> str:
    """The complete HTML document for one firm's report."""
    title = f"{data.name} · {T['title']}（{data.year}）"
    numbers = iter(T["section_numerals"])

    def heading(key: str) -> str:
        text = T["section_number"].format(number=next(numbers), title=T[f"section_{key}"])
        return f"<h2>{_e(text)}</h2>"

    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body><main>",
        f"<h1>{_e(data.name)} · {_e(T['title'])}</h1>",
        f'<p class="sub">{_e(T["subtitle"].format(year=data.year, profile=data.profile_name))}'
        f" · {_e(T['issuer'])}</p>",
    ]
    if data.demo:
        parts.append(f'<div class="demo">{_e(labels.DEMO_NOTICE)}</div>')
    parts += [heading("firm"), _kv(data.firm)]
    parts.append(heading("result"))
    if data.tier:
        colour = labels.TIER_COLOURS[data.tier]
        parts.append(
            f'<p><span class="tier" style="background:{colour}">'
            f"{_e(T['tier_value'].format(tier=data.tier, name=data.tier_class))}</span></p>"
        )
    parts.append(_kv(data.result))
    if data.computation is not None:
        parts += [
            heading("table"),
            _table(data.computation),
            f'<p class="note">{_e(data.computation_note)}</p>',
        ]
    if data.comparison is not None:
        parts += [heading("compare"), _table(data.comparison, numeric_from=2)]
        parts += [f'<p class="note">{_e(note)}</p>' for note in data.comparison_notes]
    parts.append(heading("charts" if len(data.radar) >= RADAR_MIN_AXES else "charts_bars"))
    parts.append(_charts(data))
    if data.gap.lines:
        parts += [heading("gap"), _list(data.gap.lines)]
    if data.policies:
        parts.append(heading("policy"))
        parts += [
            f"<p>{_e(T['policy_line'].format(title=title, text=text))}</p>"
            for title, text in data.policies
        ]
        if data.policy_note:
            parts.append(f'<p class="note">{_e(data.policy_note)}</p>')
    if data.money:  # the tier's policy money (methodology §9)
        parts.append(_list(data.money))
    if data.suggestions:
        parts += [heading("advice"), _list(data.suggestions)]
    parts.append(heading("leases"))
    parts.append(
        _table(data.leases, numeric_from=3) if data.leases else f"<p>{_e(data.lease_note)}</p>"
    )
    footer = T["footer"].format(profile=data.profile_name, date=data.generated)
    parts.append(f"<footer>{_e(footer)}</footer></main></body></html>")
    return "\n".join(parts)


def _charts(data: ReportData) -> str:
    figures = []
    if data.radar:
        title = T["radar_title"] if len(data.radar) >= RADAR_MIN_AXES else T["bars_title"]
        radar = SvgCanvas(CHART_W, CHART_H, title)
        draw_radar(
            radar,
            CHART_W,
            CHART_H,
            data.radar,
            data.radar_cap,
            (T["legend_firm"], T["legend_average"], T["legend_benchmark"]),
        )
        figures.append(f"<figure><figcaption>{_e(title)}</figcaption>{radar.svg()}</figure>")
    trend = SvgCanvas(CHART_W, CHART_H, T["trend_title"])
    draw_trend(trend, CHART_W, CHART_H, data.trend, T["trend_missing"], T["trend_axis"])
    figures.append(f"<figure><figcaption>{_e(T['trend_title'])}</figcaption>{trend.svg()}</figure>")
    return f'<div class="charts">{"".join(figures)}</div>'
