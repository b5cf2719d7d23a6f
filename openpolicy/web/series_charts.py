"""Charts over time, server-rendered as SVG: the trend of a search's words month by month,
and a member's participation and dissent year by year.

Accessible the way the division chart is: `role="img"` with a title and a description that
state what the chart shows and its extremes; every chart comes with a table of its numbers
(the text equivalent) laid out by the template. Presentation attributes only, no `style`
(the site's Content-Security-Policy forbids inline styles).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

WIDTH = 720
FONT = 13
INK = "#1a1a1a"
MUTED = "#595959"
GRID = "#d9d9d9"
BAR = "#1f5f8b"
SECOND = "#b3541e"


@dataclass(frozen=True)
class ChartText:
    """A chart's accessible name and description, translated by the caller."""

    id: str
    title: str
    description: str


def _open(text: ChartText, height: int) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-series" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{text.id}-title {text.id}-desc" '
        f'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" fill="{INK}">',
        f'<title id="{text.id}-title">{escape(text.title)}</title>',
        f'<desc id="{text.id}-desc">{escape(text.description)}</desc>',
    ]


def _label(x: float, y: float, content: str, anchor: str = "start", fill: str = MUTED) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{FONT}" text-anchor="{anchor}" '
        f'fill="{fill}">{escape(content)}</text>'
    )


def monthly_bars(months: Sequence[tuple[dt.date, int]], text: ChartText, top_label: str) -> Markup:
    """Bars of a count per month (first days of consecutive months), years marked below."""
    height, left, bottom, top = 200, 44, 26, 12
    plot_w, plot_h = WIDTH - left - 4, height - top - bottom
    largest = max((count for _month, count in months), default=0) or 1
    step = plot_w / max(len(months), 1)
    parts = _open(text, height)
    parts.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{WIDTH - 4}" y2="{top + plot_h}" '
        f'stroke="{GRID}"/>'
    )
    parts.append(
        f'<line x1="{left}" y1="{top}" x2="{WIDTH - 4}" y2="{top}" stroke="{GRID}" '
        f'stroke-dasharray="3 3"/>'
    )
    parts.append(_label(left - 6, top + 4, top_label, anchor="end"))
    parts.append(_label(left - 6, top + plot_h, "0", anchor="end"))
    years = sorted({month.year for month, _count in months})
    every = max(1, round(len(years) / 8))  # at most about eight year labels
    for index, (month, count) in enumerate(months):
        x = left + index * step
        if count:
            bar_h = max(1.0, plot_h * count / largest)
            parts.append(
                f'<rect x="{x + step * 0.1:.2f}" y="{top + plot_h - bar_h:.2f}" '
                f'width="{max(step * 0.8, 0.8):.2f}" height="{bar_h:.2f}" fill="{BAR}"/>'
            )
        if (month.month == 1 or index == 0) and (month.year - years[0]) % every == 0:
            parts.append(
                f'<line x1="{x:.1f}" y1="{top + plot_h}" x2="{x:.1f}" '
                f'y2="{top + plot_h + 4}" stroke="{MUTED}"/>'
            )
            parts.append(_label(x, height - 6, str(month.year)))
    parts.append("</svg>")
    return Markup("".join(parts))


def yearly_rates(
    years: Sequence[tuple[int, float | None, float | None]],
    text: ChartText,
    first_name: str,
    second_name: str,
    percent: Callable[[float], str],
) -> Markup:
    """Two rates (0–1) per year as paired bars: the first solid, the second hatched, with a
    legend naming both (so the chart reads in greyscale)."""
    height, left, bottom, top = 210, 60, 26, 34
    plot_w, plot_h = WIDTH - left - 4, height - top - bottom
    step = plot_w / max(len(years), 1)
    bar_w = min(step * 0.38, 28)
    parts = _open(text, height)
    parts.append(
        f'<defs><pattern id="{text.id}-hatch" width="6" height="6" '
        f'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        f'<rect width="6" height="6" fill="#ffffff"/><rect width="3" height="6" '
        f'fill="{SECOND}"/></pattern></defs>'
    )
    parts.append(f'<rect x="{left}" y="6" width="14" height="14" fill="{BAR}"/>')
    parts.append(_label(left + 20, 18, first_name, fill=INK))
    second_x = left + 40 + len(first_name) * 7.5
    parts.append(
        f'<rect x="{second_x:.0f}" y="6" width="14" height="14" '
        f'fill="url(#{text.id}-hatch)" stroke="{SECOND}"/>'
    )
    parts.append(_label(second_x + 20, 18, second_name, fill=INK))
    for fraction in (0.0, 0.5, 1.0):
        y = top + plot_h * (1 - fraction)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - 4}" y2="{y:.1f}" stroke="{GRID}"/>'
        )
        parts.append(_label(left - 6, y + 4, percent(fraction), anchor="end"))
    for index, (year, first, second) in enumerate(years):
        x = left + index * step + step / 2
        for offset, value, fill in (
            (-bar_w - 1, first, f'fill="{BAR}"'),
            (1, second, f'fill="url(#{text.id}-hatch)" stroke="{SECOND}"'),
        ):
            if value is None:
                continue
            bar_h = max(1.0 if value > 0 else 0.0, plot_h * value)
            if bar_h:
                parts.append(
                    f'<rect x="{x + offset:.1f}" y="{top + plot_h - bar_h:.1f}" '
                    f'width="{bar_w:.1f}" height="{bar_h:.1f}" {fill}/>'
                )
        parts.append(_label(x, height - 6, str(year), anchor="middle"))
    parts.append("</svg>")
    return Markup("".join(parts))
