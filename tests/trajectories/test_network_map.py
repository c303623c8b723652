"""The network map drawing: deterministic layout, escaping, markers, SVG and PNG output."""

from __future__ import annotations

import io
import math
import random

import pytest
from lxml import etree

from tests.trajectories.web_fixtures import records  # noqa: F401
from yim.audit.models import AuditEvent
from yim.trajectories import network_map as nm

LABELS = nm.MapLabels(
    title="Network map of Sam",
    description="desc",
    jim="JIM",
    candidate="candidate",
    conflict="conflictual tie",
    legend="Legend",
)
SVG = "{http://www.w3.org/2000/svg}"


def person(key: int, name: str, relation: str, ring: int = 1, **flags: bool) -> nm.MapPerson:
    return nm.MapPerson(key, name, relation, relation.replace("_", " ").title(), ring, **flags)


PEOPLE = [
    person(1, "Tante Ria", "aunt_uncle", 0, is_jim=True, is_candidate=True),
    person(2, "Coach Bram", "coach", 1, is_candidate=True),
    person(3, "Moeder", "parent", 0),
    person(4, "Buurvrouw Els", "neighbour", 2),
    person(5, "Opa Henk", "grandparent", 3),
]


def parse(svg: str) -> etree._Element:
    return etree.fromstring(svg.encode(), parser=etree.XMLParser(resolve_entities=False))


@pytest.mark.parametrize(
    ("trust", "contact", "ring"),
    [
        (5, "daily", 0),
        (4, "daily", 0),
        (None, "weekly", 1),
        (3, "weekly", 1),
        (2, "monthly", 2),
        (1, "yearly", 3),
        (1, "none", 3),
        (5, "none", 2),
    ],
)
def test_closeness_puts_trusted_daily_contacts_in_the_inner_ring(trust, contact, ring):
    assert nm.closeness_ring(trust, contact) == ring


def test_the_layout_does_not_depend_on_the_order_people_are_given_in():
    expected = nm.layout("Sam", PEOPLE, [nm.MapTie(1, 2)], LABELS)
    shuffled = PEOPLE[:]
    for seed in range(5):
        random.Random(seed).shuffle(shuffled)
        assert nm.layout("Sam", shuffled, [nm.MapTie(1, 2)], LABELS) == expected


def test_people_sit_on_their_ring_and_each_relation_group_in_its_own_sector():
    drawing = nm.layout("Sam", PEOPLE, [], LABELS)
    cx, cy = nm.CENTRE
    angles = {}
    for placed in drawing.people:
        distance = math.hypot(placed.x - cx, placed.y - cy)
        assert distance == pytest.approx(nm.RING_RADII[placed.person.ring], abs=0.01)
        angles[placed.person.key] = (math.atan2(placed.y - cy, placed.x - cx) + math.pi / 2) % (
            2 * math.pi
        )
    # clockwise from twelve o'clock: family (grandparent, aunt), community, school, parents
    order = sorted(angles, key=angles.get)
    assert order == [1, 5, 4, 2, 3]


def test_the_svg_is_well_formed_scales_with_its_viewbox_and_marks_jim_and_candidates():
    svg = nm.render_svg(nm.layout("Sam", PEOPLE, [nm.MapTie(1, 2, conflict=True)], LABELS))
    root = parse(svg)
    assert root.get("viewBox").startswith("0 0 800 ")
    assert root.get("width") == "100%"
    assert root.find(f"{SVG}title").text == "Network map of Sam"
    groups = {g.get("data-person"): g for g in root.iter(f"{SVG}g") if g.get("data-person")}
    jim = groups["1"]
    assert "jim" in jim.get("class").split()
    assert jim.find(f"{SVG}polygon") is not None  # the star: a shape, not only a colour
    assert "★ JIM" in [t.text for t in jim.iter(f"{SVG}text")]
    candidate = groups["2"]
    assert "candidate" in candidate.get("class").split()
    assert "(candidate)" in [t.text for t in candidate.iter(f"{SVG}text")]
    assert "4 3" in [c.get("stroke-dasharray") for c in candidate.iter(f"{SVG}circle")]
    plain = groups["4"]
    assert [t.text for t in plain.iter(f"{SVG}text")] == ["Buurvrouw Els"]


def test_the_legend_names_each_relation_on_the_map_once_with_its_colour():
    drawing = nm.layout("Sam", [*PEOPLE, person(6, "Tante Mo", "aunt_uncle")], [], LABELS)
    labels = [label for _colour, label in drawing.legend]
    assert sorted(labels) == sorted({p.relation_label for p in PEOPLE})
    colours = dict((label, colour) for colour, label in drawing.legend)
    assert colours["Parent"] == nm.RELATION_COLOURS["parent"]
    assert colours["Parent"] != colours["Aunt Uncle"]


def test_every_label_is_escaped_so_a_name_cannot_inject_markup():
    hostile = person(9, '<script>alert("x")</script>&', "friend")
    svg = nm.render_svg(nm.layout('Sam"><svg onload=alert(1)>', [hostile], [], LABELS))
    root = parse(svg)
    assert not list(root.iter(f"{SVG}script"))
    assert "onload" not in {a for el in root.iter() for a in el.attrib}
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "<script>" in texts or "<script>alert" in texts.replace("…", "")


def test_control_characters_are_removed_and_long_names_shortened():
    assert nm.clean_text("Tante\x00 Ria\x1b") == "Tante Ria"
    assert nm.clean_text("x" * 40).endswith("…") and len(nm.clean_text("x" * 40)) == nm.LABEL_MAX


def test_the_png_is_drawn_from_the_same_layout_without_a_browser():
    drawing = nm.layout("Sam $x$", [*PEOPLE, person(7, "50% $cost$", "friend")], [], LABELS)
    png = nm.render_png(drawing)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    from matplotlib.image import imread

    image = imread(io.BytesIO(png))
    assert image.shape[1] == nm.WIDTH
    assert image.shape[0] == pytest.approx(drawing.height, abs=1)
    # Something is drawn in the centre (the youth), the corner stays white.
    assert image[int(nm.CENTRE[1]), int(nm.CENTRE[0])][:3].max() < 0.3
    assert image[2, 2][:3].min() > 0.99


def test_an_empty_network_still_draws_the_youth_and_the_legend():
    drawing = nm.layout("Sam", [], [], LABELS)
    root = parse(nm.render_svg(drawing))
    assert [c for c in root.iter(f"{SVG}circle") if c.get("r") == str(nm.YOUTH_RADIUS)]
    assert nm.render_png(drawing)[:4] == b"\x89PNG"


# --- the pages ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_map_downloads_as_svg_and_png_and_each_export_is_audited(records, client_for):  # noqa: F811
    client = client_for("professional")
    youth = records.youth
    svg = client.get(f"/trajectories/youth/{youth.pk}/network/map.svg")
    assert svg.status_code == 200 and svg["Content-Type"].startswith("image/svg+xml")
    assert svg["Content-Disposition"].startswith("attachment;")
    root = parse(svg.content.decode().split("\n", 1)[1])
    marked = {
        g.get("data-person"): g.get("class") for g in root.iter(f"{SVG}g") if g.get("data-person")
    }
    assert marked[str(records.aunt.pk)] == "person jim"
    assert marked[str(records.neighbour.pk)] == "person"
    png = client.get(f"/trajectories/youth/{youth.pk}/network/map.png")
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"
    exports = AuditEvent.objects.filter(youth_id=youth.pk, action="export")
    assert sorted(e.detail for e in exports) == ["network map PNG", "network map SVG"]


@pytest.mark.django_db
def test_the_network_page_says_the_map_comes_before_the_care_plan(records, client_for):  # noqa: F811
    page = client_for("professional").get(
        f"/trajectories/youth/{records.youth.pk}/network/", HTTP_ACCEPT_LANGUAGE="en"
    )
    text = page.content.decode()
    assert "The network map is built before the care plan" in text
    assert text.count('class="person') == 2
