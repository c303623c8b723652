"""The youth's network map drawn from the records: labels, people, ties, candidates and JIM.

Reads the records of one youth and hands plain values to the pure drawing code in
:mod:`yim.trajectories.network_map`. Used by the network pages and by the youth page.
Candidates and the JIM are taken from the youth's current (or latest) trajectory.
"""

from __future__ import annotations

from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from yim.trajectories import network_map
from yim.trajectories.models import NetworkPerson, NetworkTie, Youth


def map_labels(youth: Youth) -> network_map.MapLabels:
    return network_map.MapLabels(
        title=_("Network map of %(name)s") % {"name": youth.display_name},
        description=_(
            "The youth in the centre; people closer to the centre are closer to the youth "
            "(trust and contact). Colour shows the relation; the JIM is marked with a star, "
            "candidates with a dashed circle."
        ),
        jim=_("JIM"),
        candidate=_("candidate"),
        conflict=_("conflictual tie"),
        legend=_("Legend"),
    )


def relation_labels() -> dict[str, str]:
    """Each relation's label in the active language, as ``get_relation_display()`` gives
    it. A map looks them up here once: ``get_relation_display()`` rebuilds the table of
    every relation (each label translated again) for each person it names."""
    relation = NetworkPerson._meta.get_field("relation")
    return {key: str(label) for key, label in relation.flatchoices}


def build_drawing(youth: Youth) -> network_map.MapDrawing:
    """The youth's map: two queries for people and ties, one for the current candidates
    (``.all()``: the people and candidates a page prefetched, if it did)."""
    people = list(youth.network.all())
    ties = NetworkTie.objects.filter(youth=youth).values_list(
        "person_a_id", "person_b_id", "conflict"
    )
    trajectory = youth.current_trajectory()
    candidate_ids: set[int] = set()
    jim_ids: set[int] = set()
    if trajectory is not None:
        for candidate in trajectory.candidates.all():
            candidate_ids.add(candidate.person_id)
            if candidate.is_active_jim:
                jim_ids.add(candidate.person_id)
    labels = relation_labels()
    return network_map.layout(
        youth.display_name,
        [
            network_map.MapPerson(
                key=p.pk,
                name=p.display_name,
                relation=p.relation,
                relation_label=str(labels.get(p.relation, p.relation)),
                ring=network_map.closeness_ring(p.trust, p.contact_frequency),
                is_candidate=p.pk in candidate_ids,
                is_jim=p.pk in jim_ids,
            )
            for p in people
        ],
        [network_map.MapTie(a, b, conflict) for a, b, conflict in ties],
        map_labels(youth),
    )


def inline_svg(youth: Youth) -> str:
    """The map for embedding in a page (every label in it is escaped by the renderer)."""
    return mark_safe(network_map.render_svg(build_drawing(youth)))  # noqa: S308
