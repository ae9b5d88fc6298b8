"""The report's two charts, drawn once for both formats on a tiny canvas interface.

Why not plotly or matplotlib: the HTML report must work offline with no script and the PDF must
be drawn without a browser; the same drawing code on an SVG canvas and an fpdf2 canvas keeps the
two formats identical and adds no dependency. Coordinates are millimetres, y pointing down.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from fpdf import FPDF

from muyun import formatting, labels

PT_TO_MM = 25.4 / 72

GRID_COLOUR = "#d9d9d9"
TEXT_COLOUR = "#333333"
RADAR_MIN_AXES = 3  # fewer indicators make no polygon: paired bars instead


@dataclass(frozen=True)
class RadarAxis:
    """One indicator of the radar: item score per point of weight, firm and industry average."""

    label: str
    firm: float
    average: float


@dataclass(frozen=True)
class TrendPoint:
    """One year of the five-year trend; `total` is None when the firm was not ranked that year."""

    year: int
    total: float | None
    rank: int | None
    pool_size: int | None
    tier: str | None


class Canvas(Protocol):
    """The few primitives the charts need; implemented for SVG and for fpdf2."""

    def line(
        self, x1: float, y1: float, x2: float, y2: float, colour: str, width: float, dash: bool
    ) -> None: ...

    def polygon(
        self,
        points: Sequence[tuple[float, float]],
        stroke: str,
        fill: str | None,
        opacity: float,
        width: float,
        dash: bool,
    ) -> None: ...

    def polyline(
        self, points: Sequence[tuple[float, float]], colour: str, width: float
    ) -> None: ...

    def circle(self, x: float, y: float, r: float, fill: str) -> None: ...

    def rect(self, x: float, y: float, w: float, h: float, fill: str) -> None: ...

    def text(
        self, x: float, y: float, text: str, size_pt: float, colour: str, anchor: str
    ) -> None: ...


class SvgCanvas:
    """Collects SVG elements; `svg()` returns one inline `<svg>` (no xmlns needed inside HTML)."""

    def __init__(self, width: float, height: float, title: str) -> None:
        self.width = width
        self.height = height
        self.title = title
        self.parts: list[str] = []

    def line(
        self, x1: float, y1: float, x2: float, y2: float, colour: str, width: float, dash: bool
    ) -> None:
        extra = ' stroke-dasharray="1.2 0.8"' if dash else ""
        self.parts.append(
            f'<line x1="{x1:.2f}" y1="{y1:.2f}" x2="{x2:.2f}" y2="{y2:.2f}" '
            f'stroke="{colour}" stroke-width="{width:.2f}"{extra}/>'
        )

    def polygon(
        self,
        points: Sequence[tuple[float, float]],
        stroke: str,
        fill: str | None,
        opacity: float,
        width: float,
        dash: bool,
    ) -> None:
        pts = " ".join(f"{x:.2f},{y:.2f}" for x, y in points)
        fill_attr = f'fill="{fill}" fill-opacity="{opacity:.2f}"' if fill else 'fill="none"'
        extra = ' stroke-dasharray="1.2 0.8"' if dash else ""
        self.parts.append(
            f'<polygon points="{pts}" {fill_attr} stroke="{stroke}" '
            f'stroke-width="{width:.2f}"{extra}/>'
        )

    def polyline(self, points: Sequence[tuple[float, float]], colour: str, width: float) -> None:
        pts = " ".join(f"{x:.2f},{y:.2f}" for x, y in points)
        self.parts.append(
            f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="{width:.2f}"/>'
        )

    def circle(self, x: float, y: float, r: float, fill: str) -> None:
        self.parts.append(f'<circle cx="{x:.2f}" cy="{y:.2f}" r="{r:.2f}" fill="{fill}"/>')

    def rect(self, x: float, y: float, w: float, h: float, fill: str) -> None:
        self.parts.append(
            f'<rect x="{x:.2f}" y="{y:.2f}" width="{w:.2f}" height="{h:.2f}" fill="{fill}"/>'
        )

    def text(self, x: float, y: float, text: str, size_pt: float, colour: str, anchor: str) -> None:
        svg_anchor = {"start": "start", "middle": "middle", "end": "end"}[anchor]
        self.parts.append(
            f'<text x="{x:.2f}" y="{y:.2f}" font-size="{size_pt * PT_TO_MM:.2f}" '
            f'fill="{colour}" text-anchor="{svg_anchor}">{html.escape(text)}</text>'
        )

    def svg(self) -> str:
        body = "".join(self.parts)
        return (
            f'<svg class="chart" viewBox="0 0 {self.width:.0f} {self.height:.0f}" role="img" '
            f'aria-label="{html.escape(self.title)}"><title>{html.escape(self.title)}</title>'
            f"{body}</svg>"
        )


def _rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


class PdfCanvas:
    """Draws on an fpdf2 page with the chart's origin at (x0, y0) in page millimetres."""

    def __init__(self, pdf: FPDF, x0: float, y0: float, family: str) -> None:
        self.pdf = pdf
        self.x0 = x0
        self.y0 = y0
        self.family = family

    def _pts(self, points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
        return [(self.x0 + x, self.y0 + y) for x, y in points]

    def line(
        self, x1: float, y1: float, x2: float, y2: float, colour: str, width: float, dash: bool
    ) -> None:
        pdf = self.pdf
        with pdf.local_context():
            pdf.set_draw_color(*_rgb(colour))
            pdf.set_line_width(width)
            if dash:
                pdf.set_dash_pattern(dash=1.2, gap=0.8)
            pdf.line(self.x0 + x1, self.y0 + y1, self.x0 + x2, self.y0 + y2)

    def polygon(
        self,
        points: Sequence[tuple[float, float]],
        stroke: str,
        fill: str | None,
        opacity: float,
        width: float,
        dash: bool,
    ) -> None:
        pdf = self.pdf
        pts = self._pts(points)
        if fill:
            with pdf.local_context(fill_opacity=opacity):
                pdf.set_fill_color(*_rgb(fill))
                pdf.polygon(pts, style="F")
        with pdf.local_context():
            pdf.set_draw_color(*_rgb(stroke))
            pdf.set_line_width(width)
            if dash:
                pdf.set_dash_pattern(dash=1.2, gap=0.8)
            pdf.polygon(pts, style="D")

    def polyline(self, points: Sequence[tuple[float, float]], colour: str, width: float) -> None:
        pdf = self.pdf
        with pdf.local_context():
            pdf.set_draw_color(*_rgb(colour))
            pdf.set_line_width(width)
            pdf.polyline(self._pts(points), style="D")

    def circle(self, x: float, y: float, r: float, fill: str) -> None:
        pdf = self.pdf
        with pdf.local_context():
            pdf.set_fill_color(*_rgb(fill))
            pdf.circle(self.x0 + x, self.y0 + y, r, style="F")

    def rect(self, x: float, y: float, w: float, h: float, fill: str) -> None:
        pdf = self.pdf
        with pdf.local_context():
            pdf.set_fill_color(*_rgb(fill))
            pdf.rect(self.x0 + x, self.y0 + y, w, h, style="F")

    def text(self, x: float, y: float, text: str, size_pt: float, colour: str, anchor: str) -> None:
        pdf = self.pdf
        with pdf.local_context():
            pdf.set_font(self.family, size=size_pt)
            pdf.set_text_color(*_rgb(colour))
            width = pdf.get_string_width(text)
            shift = {"start": 0.0, "middle": width / 2, "end": width}[anchor]
            pdf.text(self.x0 + x - shift, self.y0 + y, text)


def leading_span(cells: Sequence[str]) -> int:
    """How many columns a row's first cell spans: itself plus the empty cells right after it.

    Subtotal and bonus rows of the computation table leave value, unit and benchmark empty;
    both formats merge those cells into the row's label.
    """
    span = 1
    while span < len(cells) - 1 and cells[span] == "":
        span += 1
    return span


def _nice_max(value: float, step: float) -> float:
    return max(step, math.ceil(value / step) * step)


def draw_radar(
    canvas: Canvas,
    width: float,
    height: float,
    axes: Sequence[RadarAxis],
    cap: float | None,
    legend: tuple[str, str, str],
) -> None:
    """Firm vs industry average as multiples of the benchmark (1.0 = benchmark, outer = cap).

    Fewer than three indicators make no polygon, so such scales get paired bars instead.
    """
    if len(axes) < RADAR_MIN_AXES:
        _draw_bars(canvas, width, height, axes, cap, legend)
        return
    outer, step = _radial_scale(axes, cap)
    cx, cy = width / 2, height / 2 + 1.5
    radius = min(width, height) / 2 - 12
    n = len(axes)

    def point(i: int, value: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / n
        r = radius * max(0.0, min(value, outer)) / outer
        return cx + r * math.cos(angle), cy + r * math.sin(angle)

    rings = [step * k for k in range(1, round(outer / step) + 1)]
    for ring in rings:
        is_bench = math.isclose(ring, 1.0)
        canvas.polygon(
            [point(i, ring) for i in range(n)],
            "#999999" if is_bench else GRID_COLOUR,
            None,
            1.0,
            0.35 if is_bench else 0.2,
            False,
        )
    if not any(math.isclose(r, 1.0) for r in rings):
        canvas.polygon([point(i, 1.0) for i in range(n)], "#999999", None, 1.0, 0.35, False)
    for i, axis in enumerate(axes):
        x, y = point(i, outer)
        canvas.line(cx, cy, x, y, GRID_COLOUR, 0.2, False)
        lx, ly = point(i, outer * 1.13)
        anchor = "middle" if abs(lx - cx) < 3 else ("start" if lx > cx else "end")
        canvas.text(lx, ly + 1.0, axis.label, 6.5, TEXT_COLOUR, anchor)
    for ring in rings:
        x, y = point(0, ring)
        canvas.text(x + 1.0, y + 0.8, f"{ring:g}", 5, "#777777", "start")
    canvas.polygon(
        [point(i, a.average) for i, a in enumerate(axes)],
        labels.AVERAGE_COLOUR,
        None,
        1.0,
        0.4,
        True,
    )
    canvas.polygon(
        [point(i, a.firm) for i, a in enumerate(axes)],
        labels.FIRM_COLOUR,
        labels.FIRM_COLOUR,
        0.25,
        0.5,
        False,
    )
    _legend(canvas, width, legend)


def _radial_scale(axes: Sequence[RadarAxis], cap: float | None) -> tuple[float, float]:
    """Outer value and ring step: the cap when there is one, else `radial_scale` of the points."""
    if cap is not None:
        step = 0.5 if cap <= 2.5 else 1.0
        return math.ceil(cap / step) * step, step
    return radial_scale(max([a.firm for a in axes] + [a.average for a in axes] + [1.0]))


def radial_scale(top: float) -> tuple[float, float]:
    """Outer ring and ring step of a radar of score rates whose largest is `top`: a round value
    ≥ every point and the benchmark 1 (at most 4), rings every 0.5 up to 2.5, else every 1.
    The firm page's radar uses it too, so screen and report show the same rings."""
    outer = _nice_max(min(max(top, 1.0), 4.0), 0.5)
    step = 0.5 if outer <= 2.5 else 1.0
    return math.ceil(outer / step) * step, step


def _legend(canvas: Canvas, width: float, legend: tuple[str, str, str]) -> None:
    firm, average, benchmark = legend
    canvas.rect(2, 2, 4, 2.2, labels.FIRM_COLOUR)
    canvas.text(7, 4, firm, 6, TEXT_COLOUR, "start")
    canvas.line(width / 2 - 14, 3.1, width / 2 - 10, 3.1, labels.AVERAGE_COLOUR, 0.4, True)
    canvas.text(width / 2 - 9, 4, average, 6, TEXT_COLOUR, "start")
    canvas.line(width - 30, 3.1, width - 26, 3.1, "#999999", 0.35, False)
    canvas.text(width - 25, 4, benchmark, 6, TEXT_COLOUR, "start")


def _draw_bars(
    canvas: Canvas,
    width: float,
    height: float,
    axes: Sequence[RadarAxis],
    cap: float | None,
    legend: tuple[str, str, str],
) -> None:
    outer, step = _radial_scale(axes, cap)
    left, right, y = 24.0, width - 6.0, 12.0
    span = right - left
    row = (height - y - 8) / max(len(axes), 1)
    for i, axis in enumerate(axes):
        y0 = y + i * row
        canvas.text(left - 1.5, y0 + row / 2 + 1, axis.label, 6.5, TEXT_COLOUR, "end")
        bar = min(row / 3, 6.0)
        firm_w = span * max(0.0, min(axis.firm, outer)) / outer
        avg_w = span * max(0.0, min(axis.average, outer)) / outer
        canvas.rect(left, y0 + row / 2 - bar, firm_w, bar, labels.FIRM_COLOUR)
        canvas.rect(left, y0 + row / 2 + 0.4, avg_w, bar, labels.AVERAGE_COLOUR)
        canvas.text(
            left + firm_w + 1,
            y0 + row / 2 - 1,
            formatting.number(axis.firm, 2),
            5.5,
            TEXT_COLOUR,
            "start",
        )
        canvas.text(
            left + avg_w + 1,
            y0 + row / 2 + bar,
            formatting.number(axis.average, 2),
            5.5,
            TEXT_COLOUR,
            "start",
        )
    bench_x = left + span * min(1.0, outer) / outer
    canvas.line(bench_x, y - 2, bench_x, height - 6, "#999999", 0.35, False)
    ticks = round(outer / step)
    for k in range(ticks + 1):
        canvas.text(left + span * k / ticks, height - 2, f"{step * k:g}", 5, "#777777", "middle")
    _legend(canvas, width, legend)


def draw_trend(
    canvas: Canvas,
    width: float,
    height: float,
    points: Sequence[TrendPoint],
    missing_label: str,
    axis_label: str,
) -> None:
    """Total score per year, each point labelled with tier and rank / pool size."""
    left, right, top, bottom = 12.0, width - 4.0, 9.0, height - 8.0
    totals = [p.total for p in points if p.total is not None]
    y_max = _nice_max(max(totals, default=100.0) * 1.1, 20.0)
    y_min = min(0.0, math.floor(min(totals, default=0.0) / 20.0) * 20.0)

    def ypos(value: float) -> float:
        return bottom - (value - y_min) / (y_max - y_min) * (bottom - top)

    steps = 4
    for k in range(steps + 1):
        value = y_min + (y_max - y_min) * k / steps
        canvas.line(left, ypos(value), right, ypos(value), GRID_COLOUR, 0.2, False)
        canvas.text(left - 1, ypos(value) + 0.9, f"{value:g}", 5.5, "#777777", "end")
    canvas.text(left, top - 3.5, axis_label, 6, TEXT_COLOUR, "start")
    slot = (right - left) / max(len(points), 1)
    xs = [left + slot * (i + 0.5) for i in range(len(points))]
    segment: list[tuple[float, float]] = []
    for x, p in zip(xs, points, strict=True):
        canvas.text(x, bottom + 4.5, str(p.year), 6, TEXT_COLOUR, "middle")
        if p.total is None:
            if len(segment) > 1:
                canvas.polyline(segment, labels.FIRM_COLOUR, 0.6)
            segment = []
            canvas.text(x, bottom - 2, missing_label, 5.5, "#999999", "middle")
            continue
        segment.append((x, ypos(p.total)))
    if len(segment) > 1:
        canvas.polyline(segment, labels.FIRM_COLOUR, 0.6)
    for x, p in zip(xs, points, strict=True):
        if p.total is None:
            continue
        y = ypos(p.total)
        canvas.circle(x, y, 1.0, labels.FIRM_COLOUR)
        canvas.text(x, y - 4.2, formatting.number(p.total, 2), 5.5, TEXT_COLOUR, "middle")
        if p.tier:
            detail = f"{p.tier}  {p.rank}/{p.pool_size}"
            canvas.text(x, y - 1.8, detail, 5.5, "#555555", "middle")
