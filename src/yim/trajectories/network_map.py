"""The youth's network map as a drawing: a deterministic layout, rendered as SVG and PNG.

Pure Python (no Django): the view passes plain records and translated labels in, and gets
an SVG string or PNG bytes back. The youth is in the centre; each person sits on one of
four rings by closeness (trust and contact frequency), in a sector of the circle for their
kind of relation (family, parents, friends and neighbours, school and work, other), so the
same network always gives the same picture. People are coloured by relation, with a
legend; candidates and the JIM are marked by shape *and* by text, never by colour alone.

The SVG scales with its ``viewBox`` (it fills a phone's width) and escapes every label.
The PNG is drawn from the same layout with matplotlib's Agg backend — no browser needed.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

WIDTH = 800
MAP_HEIGHT = 800
CENTRE = (WIDTH / 2, MAP_HEIGHT / 2)
RING_RADII = (110.0, 185.0, 260.0, 335.0)
NODE_RADIUS = 15.0
YOUTH_RADIUS = 30.0
LEGEND_ROW = 26.0
LEGEND_COLUMNS = 2
LABEL_MAX = 22

#: Relation codes by sector, in drawing order (clockwise from the top).
RELATION_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("family", ("grandparent", "aunt_uncle", "sibling", "cousin", "other_family")),
    ("community", ("neighbour", "family_friend", "friend", "religious_leader")),
    ("school_work", ("teacher", "coach", "youth_worker", "employer")),
    ("other", ("other",)),
    ("parents", ("parent", "step_parent", "legal_guardian")),
)

#: One colour per relation; hues grouped by sector (blues family, greens community,
#: purples/oranges school and work, reds parents). All have ≥ 3:1 contrast on white.
RELATION_COLOURS: dict[str, str] = {
    "grandparent": "#08306b",
    "aunt_uncle": "#2166ac",
    "sibling": "#4393c3",
    "cousin": "#1f78b4",
    "other_family": "#5e81ac",
    "neighbour": "#1b7837",
    "family_friend": "#238b45",
    "friend": "#4d9221",
    "religious_leader": "#006d2c",
    "teacher": "#6a3d9a",
    "coach": "#8e44ad",
    "youth_worker": "#b35806",
    "employer": "#8c510a",
    "other": "#636363",
    "parent": "#b2182b",
    "step_parent": "#d6604d",
    "legal_guardian": "#8b0000",
}
FALLBACK_COLOUR = "#636363"
YOUTH_COLOUR = "#1b1f24"
JIM_COLOUR = "#c98a00"

CONTACT_SCORE = {"daily": 4, "weekly": 3, "monthly": 2, "yearly": 1, "none": 0}
NEUTRAL_TRUST = 3

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def closeness_ring(trust: int | None, contact_frequency: str) -> int:
    """The ring (0 closest … 3 farthest) for a person's trust (1–5) and contact frequency.

    Score = trust (unknown counts as 3) + contact (daily 4 … none 0), so 1–9; rings cut at
    8, 6 and 4: daily contact with high trust is in the inner ring, rare contact with low
    trust on the outside.
    """
    score = (trust if trust is not None else NEUTRAL_TRUST) + CONTACT_SCORE.get(
        contact_frequency, 2
    )
    if score >= 8:
        return 0
    if score >= 6:
        return 1
    if score >= 4:
        return 2
    return 3


def relation_group(relation: str) -> str:
    for group, relations in RELATION_GROUPS:
        if relation in relations:
            return group
    return "other"


@dataclass(frozen=True)
class MapPerson:
    key: int
    name: str
    relation: str
    relation_label: str
    ring: int
    is_candidate: bool = False
    is_jim: bool = False


@dataclass(frozen=True)
class MapTie:
    a: int
    b: int
    conflict: bool = False


@dataclass(frozen=True)
class MapLabels:
    """Translated words the drawing needs (the caller translates; this module does not)."""

    title: str
    description: str
    jim: str
    candidate: str
    conflict: str
    legend: str


@dataclass(frozen=True)
class PlacedPerson:
    person: MapPerson
    x: float
    y: float
    colour: str


@dataclass(frozen=True)
class MapDrawing:
    youth_name: str
    people: tuple[PlacedPerson, ...]
    ties: tuple[tuple[PlacedPerson, PlacedPerson, bool], ...]
    legend: tuple[tuple[str, str], ...]  # (colour, relation label)
    labels: MapLabels
    height: float = field(default=MAP_HEIGHT)


def clean_text(text: str, limit: int = LABEL_MAX) -> str:
    """A label safe for any renderer: no control characters, at most ``limit`` characters."""
    text = _CONTROL.sub("", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def layout(
    youth_name: str,
    people: Sequence[MapPerson],
    ties: Iterable[MapTie],
    labels: MapLabels,
) -> MapDrawing:
    """Place everyone: a sector per relation group (sized by its head count), evenly
    spread inside it, sorted by ring and name, so the layout never depends on input order."""
    grouped: dict[str, list[MapPerson]] = {}
    for person in sorted(people, key=lambda p: (p.ring, p.name.casefold(), p.key)):
        grouped.setdefault(relation_group(person.relation), []).append(person)
    order = [g for g, _ in RELATION_GROUPS if g in grouped]
    total = sum(len(grouped[g]) for g in order)
    placed: list[PlacedPerson] = []
    start = -math.pi / 2  # twelve o'clock, clockwise (screen y grows downwards)
    for group in order:
        members = grouped[group]
        width = 2 * math.pi * len(members) / total
        for index, person in enumerate(members):
            angle = start + width * (index + 0.5) / len(members)
            radius = RING_RADII[min(max(person.ring, 0), len(RING_RADII) - 1)]
            placed.append(
                PlacedPerson(
                    person=person,
                    x=round(CENTRE[0] + radius * math.cos(angle), 2),
                    y=round(CENTRE[1] + radius * math.sin(angle), 2),
                    colour=RELATION_COLOURS.get(person.relation, FALLBACK_COLOUR),
                )
            )
        start += width
    by_key = {p.person.key: p for p in placed}
    drawn_ties = tuple(
        (by_key[t.a], by_key[t.b], t.conflict)
        for t in sorted(ties, key=lambda t: (t.a, t.b))
        if t.a in by_key and t.b in by_key
    )
    legend: dict[str, str] = {}
    for p in sorted(placed, key=lambda p: _relation_rank(p.person.relation)):
        legend.setdefault(p.person.relation_label, p.colour)
    legend_rows = math.ceil(len(legend) / LEGEND_COLUMNS) + 2  # + the JIM/candidate keys
    return MapDrawing(
        youth_name=youth_name,
        people=tuple(placed),
        ties=drawn_ties,
        legend=tuple((colour, label) for label, colour in legend.items()),
        labels=labels,
        height=MAP_HEIGHT + 40 + legend_rows * LEGEND_ROW,
    )


def _relation_rank(relation: str) -> int:
    flat = [r for _, relations in RELATION_GROUPS for r in relations]
    return flat.index(relation) if relation in flat else len(flat)


# --- SVG -------------------------------------------------------------------------------------


def _x(text: str) -> str:
    return escape(_CONTROL.sub("", text), {'"': "&quot;", "'": "&#x27;"})


def _star(cx: float, cy: float, outer: float, inner: float) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in _star_points(cx, cy, outer, inner))


def render_svg(drawing: MapDrawing) -> str:
    """The map as a standalone SVG document (also fit for inlining in a page)."""
    labels = drawing.labels
    h = drawing.height
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {h:.0f}" '
        f'width="100%" preserveAspectRatio="xMidYMin meet" role="img" '
        f'aria-labelledby="map-title map-desc" class="network-map" '
        f'font-family="DejaVu Sans, Arial, sans-serif" font-size="13">',
        f'<title id="map-title">{_x(labels.title)}</title>',
        f'<desc id="map-desc">{_x(labels.description)}</desc>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{h:.0f}" fill="#ffffff"/>',
    ]
    cx, cy = CENTRE
    for radius in RING_RADII:
        out.append(
            f'<circle cx="{cx}" cy="{cy}" r="{radius}" fill="none" stroke="#d0d4da" '
            f'stroke-dasharray="4 6"/>'
        )
    for p in drawing.people:
        out.append(
            f'<line x1="{cx}" y1="{cy}" x2="{p.x}" y2="{p.y}" stroke="#c9ced6" stroke-width="1"/>'
        )
    for a, b, conflict in drawing.ties:
        dash = ' stroke-dasharray="6 4"' if conflict else ""
        colour = "#a4161a" if conflict else "#767f8c"
        out.append(
            f'<line x1="{a.x}" y1="{a.y}" x2="{b.x}" y2="{b.y}" stroke="{colour}" '
            f'stroke-width="2"{dash}><title>{_x(labels.conflict) if conflict else ""}</title>'
            "</line>"
        )
    out.append(f'<circle cx="{cx}" cy="{cy}" r="{YOUTH_RADIUS}" fill="{YOUTH_COLOUR}"/>')
    out.append(
        f'<text x="{cx}" y="{cy + YOUTH_RADIUS + 18}" text-anchor="middle" font-weight="bold" '
        f'font-size="15">{_x(clean_text(drawing.youth_name))}</text>'
    )
    for p in drawing.people:
        person = p.person
        classes = (
            ["person"]
            + (["jim"] if person.is_jim else [])
            + (["candidate"] if person.is_candidate and not person.is_jim else [])
        )
        out.append(f'<g class="{" ".join(classes)}" data-person="{person.key}">')
        out.append(f"<title>{_x(person.name)} — {_x(person.relation_label)}</title>")
        if person.is_jim:
            out.append(
                f'<polygon points="{_star(p.x, p.y, NODE_RADIUS + 13, NODE_RADIUS + 4)}" '
                f'fill="{JIM_COLOUR}" stroke="#5c4100" stroke-width="1.5"/>'
            )
        elif person.is_candidate:
            out.append(
                f'<circle cx="{p.x}" cy="{p.y}" r="{NODE_RADIUS + 6}" fill="none" '
                f'stroke="{YOUTH_COLOUR}" stroke-width="2" stroke-dasharray="4 3"/>'
            )
        out.append(
            f'<circle cx="{p.x}" cy="{p.y}" r="{NODE_RADIUS}" fill="{p.colour}" '
            f'stroke="#ffffff" stroke-width="2"/>'
        )
        out.append(
            f'<text x="{p.x}" y="{p.y + NODE_RADIUS + 16}" text-anchor="middle">'
            f"{_x(clean_text(person.name))}</text>"
        )
        marker = _marker(person, labels)
        if marker:
            out.append(
                f'<text x="{p.x}" y="{p.y + NODE_RADIUS + 31}" text-anchor="middle" '
                f'font-weight="bold" font-size="12">{_x(marker)}</text>'
            )
        out.append("</g>")
    out.extend(_svg_legend(drawing))
    out.append("</svg>")
    return "\n".join(out)


def _marker(person: MapPerson, labels: MapLabels) -> str:
    if person.is_jim:
        return f"★ {labels.jim}"
    if person.is_candidate:
        return f"({labels.candidate})"
    return ""


def _legend_cells(drawing: MapDrawing) -> list[tuple[float, float]]:
    top = MAP_HEIGHT + 40
    cells = []
    for index in range(len(drawing.legend)):
        row, column = divmod(index, LEGEND_COLUMNS)
        cells.append((20 + column * (WIDTH / LEGEND_COLUMNS), top + row * LEGEND_ROW))
    return cells


def _svg_legend(drawing: MapDrawing) -> list[str]:
    labels = drawing.labels
    out = [
        f'<g class="legend"><text x="20" y="{MAP_HEIGHT + 20}" font-weight="bold">'
        f"{_x(labels.legend)}</text>"
    ]
    cells = _legend_cells(drawing)
    for (colour, label), (x, y) in zip(drawing.legend, cells, strict=True):
        out.append(f'<circle cx="{x + 8}" cy="{y}" r="8" fill="{colour}"/>')
        out.append(f'<text x="{x + 24}" y="{y + 5}">{_x(clean_text(label, 40))}</text>')
    rows = math.ceil(len(drawing.legend) / LEGEND_COLUMNS)
    y = MAP_HEIGHT + 40 + rows * LEGEND_ROW
    out.append(f'<polygon points="{_star(28, y, 11, 5)}" fill="{JIM_COLOUR}" stroke="#5c4100"/>')
    out.append(f'<text x="44" y="{y + 5}">★ {_x(labels.jim)}</text>')
    x = 20 + WIDTH / LEGEND_COLUMNS
    out.append(
        f'<circle cx="{x + 8}" cy="{y}" r="10" fill="none" stroke="{YOUTH_COLOUR}" '
        f'stroke-width="2" stroke-dasharray="4 3"/>'
    )
    out.append(f'<text x="{x + 24}" y="{y + 5}">({_x(labels.candidate)})</text>')
    y += LEGEND_ROW
    out.append(
        f'<line x1="14" y1="{y}" x2="42" y2="{y}" stroke="#a4161a" stroke-width="2" '
        f'stroke-dasharray="6 4"/>'
    )
    out.append(f'<text x="52" y="{y + 5}">{_x(labels.conflict)}</text>')
    out.append("</g>")
    return out


# --- PNG -------------------------------------------------------------------------------------


def render_png(drawing: MapDrawing, dpi: int = 100) -> bytes:
    """The same drawing as a PNG, with matplotlib's Agg backend (no display, no browser)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Circle, Polygon

    h = drawing.height
    fig = Figure(figsize=(WIDTH / 100, h / 100), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, WIDTH)
    ax.set_ylim(h, 0)  # SVG coordinates: y grows downwards
    ax.set_aspect("equal")
    ax.axis("off")
    labels = drawing.labels
    text: dict[str, Any] = {"parse_math": False, "ha": "center", "fontsize": 9, "zorder": 7}
    cx, cy = CENTRE
    for radius in RING_RADII:
        ax.add_patch(Circle((cx, cy), radius, fill=False, ec="#d0d4da", ls=(0, (4, 6)), zorder=1))
    for p in drawing.people:
        ax.add_line(Line2D([cx, p.x], [cy, p.y], color="#c9ced6", lw=0.8, zorder=2))
    for a, b, conflict in drawing.ties:
        ax.add_line(
            Line2D(
                [a.x, b.x],
                [a.y, b.y],
                color="#a4161a" if conflict else "#767f8c",
                lw=1.5,
                ls=(0, (6, 4)) if conflict else "-",
                zorder=3,
            )
        )
    ax.add_patch(Circle((cx, cy), YOUTH_RADIUS, color=YOUTH_COLOUR, zorder=4))
    ax.text(cx, cy + YOUTH_RADIUS + 18, clean_text(drawing.youth_name), weight="bold", **text)
    for p in drawing.people:
        person = p.person
        if person.is_jim:
            ax.add_patch(
                Polygon(_star_points(p.x, p.y), closed=True, fc=JIM_COLOUR, ec="#5c4100", zorder=5)
            )
        elif person.is_candidate:
            ax.add_patch(
                Circle(
                    (p.x, p.y),
                    NODE_RADIUS + 6,
                    fill=False,
                    ec=YOUTH_COLOUR,
                    ls=(0, (4, 3)),
                    zorder=5,
                )
            )
        ax.add_patch(Circle((p.x, p.y), NODE_RADIUS, fc=p.colour, ec="#ffffff", lw=1.5, zorder=6))
        ax.text(p.x, p.y + NODE_RADIUS + 14, clean_text(person.name), **text)
        marker = _marker(person, labels)
        if marker:
            ax.text(p.x, p.y + NODE_RADIUS + 28, marker, weight="bold", **text)
    left: dict[str, Any] = {"parse_math": False, "fontsize": 9, "va": "center"}
    ax.text(20, MAP_HEIGHT + 20, labels.legend, weight="bold", **left)
    for (colour, label), (x, y) in zip(drawing.legend, _legend_cells(drawing), strict=True):
        ax.add_patch(Circle((x + 8, y), 8, color=colour))
        ax.text(x + 24, y, clean_text(label, 40), **left)
    rows = math.ceil(len(drawing.legend) / LEGEND_COLUMNS)
    y = MAP_HEIGHT + 40 + rows * LEGEND_ROW
    ax.add_patch(Polygon(_star_points(28, y, 11, 5), closed=True, fc=JIM_COLOUR, ec="#5c4100"))
    ax.text(44, y, f"★ {labels.jim}", **left)
    x = 20 + WIDTH / LEGEND_COLUMNS
    ax.add_patch(Circle((x + 8, y), 10, fill=False, ec=YOUTH_COLOUR, ls=(0, (4, 3))))
    ax.text(x + 24, y, f"({labels.candidate})", **left)
    y += LEGEND_ROW
    ax.add_line(Line2D([14, 42], [y, y], color="#a4161a", lw=1.5, ls=(0, (6, 4))))
    ax.text(52, y, labels.conflict, **left)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="#ffffff")
    return buffer.getvalue()


def _star_points(
    cx: float, cy: float, outer: float = NODE_RADIUS + 13, inner: float = NODE_RADIUS + 4
) -> list[tuple[float, float]]:
    return [
        (
            cx + (outer if i % 2 == 0 else inner) * math.cos(-math.pi / 2 + i * math.pi / 5),
            cy + (outer if i % 2 == 0 else inner) * math.sin(-math.pi / 2 + i * math.pi / 5),
        )
        for i in range(10)
    ]
