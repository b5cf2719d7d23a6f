"""Server-rendered SVG charts: readable with no JavaScript, in the page's own HTML.

The party-breakdown chart of a division draws one row per party across the page's width:
a solid bar for its yeas and a hatched bar for its nays (paired in grey), so the chart
still reads in greyscale. Each row prints its numbers after swatches painted exactly like
the bar's parts (the legend is in the party's own colour), and the page lists the same
data as text. Bars are in percent of the chart's width and text keeps its size, so the
chart is as readable at 375 px as at 1280 px.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from openpolicy.web.palette import party_colour

ROW_HEIGHT = 50
BAR_HEIGHT = 16
FONT = 15
PAIRED_FILL = "#9a9a9a"
SWATCH = "\u25a0"  # a filled square: the legend's swatch, in the bar's own fill


@dataclass(frozen=True)
class PartyTally:
    """One party's ballots in one division. `party` picks the colour; `label` is shown."""

    party: str | None
    label: str
    yeas: int
    nays: int
    paired: int

    @property
    def total(self) -> int:
        return self.yeas + self.nays + self.paired


@dataclass(frozen=True)
class ChartLabels:
    """The chart's words, already translated by the caller."""

    title: str
    description: str
    yea: str
    nay: str
    paired: str


def _text(x: str, y: float, content: str, *, anchor: str = "start", bold: bool = False) -> str:
    weight = ' font-weight="600"' if bold else ""
    return (
        f'<text x="{x}" y="{y:.0f}" font-size="{FONT}" text-anchor="{anchor}"{weight}>'
        f"{escape(content)}</text>"
    )


def _counts(row: PartyTally, fills: list[tuple[int, str, str]], labels: ChartLabels) -> str:
    """The row's numbers, each after a swatch painted exactly like its part of the bar (so
    the legend is the bar's own colours: the party's, solid for yeas, hatched for nays)."""
    words = ((row.yeas, labels.yea), (row.nays, labels.nay), (row.paired, labels.paired))
    parts = []
    for (count, word), (_, paint, _) in zip(words, fills, strict=True):
        if word is labels.paired and not count:
            continue
        parts.append(
            f'<tspan class="swatch" {paint}>{SWATCH}</tspan><tspan> {count} {escape(word)}</tspan>'
        )
    return (
        f'<text x="100%" y="{{y}}" font-size="{FONT}" text-anchor="end">'
        + "<tspan> · </tspan>".join(parts)
        + "</text>"
    )


def party_breakdown_svg(tallies: list[PartyTally], labels: ChartLabels) -> Markup:
    """One SVG element charting yeas/nays/paired per party, largest party first, as wide as
    the page (bars in percent of its width, text at its natural size at any width)."""
    rows = sorted(tallies, key=lambda tally: (-tally.total, tally.label))
    largest = max((row.total for row in rows), default=0) or 1
    height = ROW_HEIGHT * len(rows) + 4
    parts: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="100%" height="{height}" '
        f'role="img" aria-labelledby="chart-title chart-desc" '
        f'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" fill="#1a1a1a">',
        f'<title id="chart-title">{escape(labels.title)}</title>',
        f'<desc id="chart-desc">{escape(labels.description)}</desc>',
        "<defs>",
    ]
    for index, row in enumerate(rows):
        colour = party_colour(row.party).fill
        parts.append(
            f'<pattern id="hatch-{index}" width="6" height="6" patternUnits="userSpaceOnUse" '
            f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
            f'<rect width="3" height="6" fill="{colour}"/></pattern>'
        )
    parts.append("</defs>")
    for index, row in enumerate(rows):
        top = index * ROW_HEIGHT
        colour = party_colour(row.party).fill
        fills = [
            (row.yeas, f'fill="{colour}"', "yea"),
            (row.nays, f'fill="url(#hatch-{index})" stroke="{colour}" stroke-width="1.5"', "nay"),
            (row.paired, f'fill="{PAIRED_FILL}"', "paired"),
        ]
        parts.append(f'<g class="chart-row" data-party="{escape(row.label)}">')
        parts.append(_text("0", top + 17, row.label, bold=True))
        parts.append(_counts(row, fills, labels).replace("{y}", str(top + 17)))
        bar_y = top + 25
        x_pos = 0.0
        for count, paint, kind in fills:
            if count:
                width = 100.0 * count / largest
                parts.append(
                    f'<rect class="bar bar-{kind}" x="{x_pos:.2f}%" y="{bar_y}" '
                    f'width="{width:.2f}%" height="{BAR_HEIGHT}" {paint}/>'
                )
                x_pos += width
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))
