"""Server-rendered SVG charts: readable with no JavaScript, in the page's own HTML.

The party-breakdown chart of a division draws one row per party: a solid bar for its yeas
and a hatched bar for its nays (paired in grey), so the chart still reads in greyscale.
Every number is also printed as text, and the page lists the same data as tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from openpolicy.web.palette import party_colour

WIDTH = 480
ROW_HEIGHT = 46
BAR_HEIGHT = 16
LEGEND_HEIGHT = 34
FONT = 15
PAIRED_FILL = "#9a9a9a"


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


def _text(x: float, y: float, content: str, *, anchor: str = "start", bold: bool = False) -> str:
    weight = ' font-weight="600"' if bold else ""
    return (
        f'<text x="{x:.0f}" y="{y:.0f}" font-size="{FONT}" text-anchor="{anchor}"{weight}>'
        f"{escape(content)}</text>"
    )


def party_breakdown_svg(tallies: list[PartyTally], labels: ChartLabels) -> Markup:
    """One SVG element charting yeas/nays/paired per party, largest party first."""
    rows = sorted(tallies, key=lambda tally: (-tally.total, tally.label))
    largest = max((row.total for row in rows), default=0) or 1
    height = LEGEND_HEIGHT + ROW_HEIGHT * len(rows) + 6
    scale = (WIDTH - 2) / largest
    parts: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" '
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
    # Legend: solid = yea, hatched = nay, grey = paired (neutral colours).
    legend_y = 8
    legend = (
        (labels.yea, 'fill="#4a4a4a"'),
        (labels.nay, 'fill="#ffffff" stroke="#4a4a4a" stroke-dasharray="3 2"'),
        (labels.paired, f'fill="{PAIRED_FILL}"'),
    )
    x = 0
    for word, style in legend:
        parts.append(f'<rect x="{x}" y="{legend_y}" width="14" height="14" {style}/>')
        parts.append(_text(x + 20, legend_y + 12, word))
        x += 28 + len(word) * 9
    for index, row in enumerate(rows):
        top = LEGEND_HEIGHT + index * ROW_HEIGHT
        colour = party_colour(row.party).fill
        counts = f"{row.yeas} {labels.yea} · {row.nays} {labels.nay}"
        if row.paired:
            counts += f" · {row.paired} {labels.paired}"
        parts.append(_text(0, top + 16, row.label, bold=True))
        parts.append(_text(WIDTH, top + 16, counts, anchor="end"))
        bar_y = top + 23
        x_pos = 1.0
        for count, fill in (
            (row.yeas, f'fill="{colour}"'),
            (row.nays, f'fill="url(#hatch-{index})" stroke="{colour}" stroke-width="1.5"'),
            (row.paired, f'fill="{PAIRED_FILL}"'),
        ):
            if count:
                width = count * scale
                parts.append(
                    f'<rect x="{x_pos:.1f}" y="{bar_y}" width="{width:.1f}" '
                    f'height="{BAR_HEIGHT}" {fill}/>'
                )
                x_pos += width
    parts.append("</svg>")
    return Markup("".join(parts))
