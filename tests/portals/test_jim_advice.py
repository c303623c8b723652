"""The JIM gives her advice on a placement from her portal (issue 12, item 2).

The advice is kept as the JIM's input beside the decision (``JimAdvice``), only while she is
the youth's current JIM with consent complete, once per sending, and audited. It does not
open the placement gate: the professional records the consultation and weighs it.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from tests.conftest import signed_in
from tests.monitoring.conftest import set_age
from yim.audit.models import AuditEvent
from yim.trajectories.errors import GateClosed
from yim.trajectories.models import (
    AgeBand,
    ConsentDecision,
    ConsentParty,
    JimAdvice,
    JimEndReason,
    NetworkPerson,
    PlacementDecision,
    PlacementType,
    Relation,
)
from yim.trajectories.models.retention import ErasureBasis, erase_youth

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _draft(file, kind: str = PlacementType.RESIDENTIAL) -> PlacementDecision:  # type: ignore[no-untyped-def]
    return PlacementDecision.objects.create(
        trajectory=file.trajectory,
        placement_type=kind,
        decided_on=timezone.localdate(),
        rationale="Residential care is considered.",
        youth_view="I do not want to go.",
    )


def _url(file, decision) -> str:  # type: ignore[no-untyped-def]
    return f"/portal/{file.youth.pk}/placements/{decision.pk}/advice/"


def _token(page) -> str:  # type: ignore[no-untyped-def]
    found = re.search(r'name="submission" value="([0-9a-f]{32})"', page.content.decode())
    assert found, "the form carries no one-time token"
    return found.group(1)


def test_the_jim_is_asked_and_her_advice_is_kept_as_her_input(portal):
    decision = _draft(portal.a)
    jim = signed_in(portal.world.jim)
    home = jim.get(f"/portal/{portal.a.youth.pk}/", **EN).content.decode()
    assert "Your advice is asked" in home
    assert _url(portal.a, decision) in home
    page = jim.get(_url(portal.a, decision), **EN)
    assert page.status_code == 200
    assert "Residential care" in page.content.decode()
    sent = jim.post(
        _url(portal.a, decision),
        {"advice": "Let her stay with me for now.", "submission": _token(page)},
    )
    assert sent.status_code == 302
    advice = JimAdvice.objects.get(decision=decision)
    assert (advice.jim, advice.given_by, advice.advice) == (
        portal.a.jim,
        portal.world.jim,
        "Let her stay with me for now.",
    )
    assert AuditEvent.objects.filter(
        actor_id=portal.world.jim.pk,
        youth_id=portal.a.youth.pk,
        detail="JIM advice on a placement decision",
    ).exists()
    # Her input does not open the gate: weighing it is the professional's part.
    with pytest.raises(GateClosed):
        decision.finalise(by=portal.world.professional)


def test_the_professional_sees_her_advice_and_starts_the_consultation_from_it(portal):
    decision = _draft(portal.a)
    jim = signed_in(portal.world.jim)
    page = jim.get(_url(portal.a, decision))
    jim.post(
        _url(portal.a, decision), {"advice": "Let her stay with me.", "submission": _token(page)}
    )
    professional = signed_in(portal.world.professional)
    html = professional.get(reverse("trajectories:placement", args=[decision.pk]), **EN)
    assert html.status_code == 200
    text = html.content.decode()
    assert "Advice the JIM gave in her portal" in text and "Let her stay with me." in text
    consultation = html.context["forms"]["consultation"]
    assert consultation.initial["advice"] == "Let her stay with me."


def test_advice_sent_twice_is_kept_once(portal):
    decision = _draft(portal.a)
    jim = signed_in(portal.world.jim)
    data = {"advice": "Not residential.", "submission": _token(jim.get(_url(portal.a, decision)))}
    assert jim.post(_url(portal.a, decision), data).status_code == 302
    again = jim.post(_url(portal.a, decision), data, **EN)
    assert again.status_code == 400
    assert "This form was sent twice" in again.content.decode()
    assert JimAdvice.objects.filter(decision=decision).count() == 1


def test_empty_advice_is_refused_on_the_field(portal):
    decision = _draft(portal.a)
    jim = signed_in(portal.world.jim)
    refused = jim.post(_url(portal.a, decision), {"advice": "  "}, **EN)
    assert refused.status_code == 400
    assert not JimAdvice.objects.exists()


def test_once_the_consultation_is_recorded_her_advice_is_no_longer_asked(portal):
    decision = _draft(portal.a)
    decision.record_consultation(
        consulted_on=timezone.localdate(), advice="Stay with the aunt.", weighing="Followed."
    )
    jim = signed_in(portal.world.jim)
    assert (
        "Your advice is asked"
        not in jim.get(f"/portal/{portal.a.youth.pk}/", **EN).content.decode()
    )
    assert jim.get(_url(portal.a, decision)).status_code == 404


def test_after_an_emergency_placement_her_advice_is_asked_until_the_consultation(portal):
    decision = PlacementDecision.objects.create(
        trajectory=portal.a.trajectory,
        placement_type=PlacementType.FOSTER_CARE,
        decided_on=timezone.localdate() - dt.timedelta(days=1),
        rationale="Unsafe tonight.",
        youth_view="-",
        is_emergency=True,
    )
    decision.finalise(by=portal.world.professional)
    jim = signed_in(portal.world.jim)
    page = jim.get(_url(portal.a, decision))
    assert page.status_code == 200
    data = {"advice": "Foster care with me.", "submission": _token(page)}
    assert jim.post(_url(portal.a, decision), data).status_code == 302
    assert decision.consultation_pending  # the professional still records the consultation


def test_no_advice_for_a_decision_to_stay_home(portal):
    decision = _draft(portal.a, kind=PlacementType.NONE)
    assert signed_in(portal.world.jim).get(_url(portal.a, decision)).status_code == 404


@pytest.mark.parametrize("persona", ["youth_user", "parent"])
def test_only_the_jim_gives_advice(portal, persona):
    decision = _draft(portal.a)
    client = signed_in(portal.world.persona(persona))
    assert client.get(_url(portal.a, decision)).status_code == 404
    assert client.post(_url(portal.a, decision), {"advice": "x"}).status_code == 404
    assert not JimAdvice.objects.exists()


def test_a_jim_cannot_advise_on_another_youths_placement(portal):
    other = _draft(portal.b)
    jim = signed_in(portal.world.jim)
    # Neither through her own youth's URL nor through the other youth's.
    assert jim.get(f"/portal/{portal.a.youth.pk}/placements/{other.pk}/advice/").status_code == 404
    assert jim.post(_url(portal.b, other), {"advice": "x"}).status_code == 404
    assert not JimAdvice.objects.exists()


def test_a_jim_with_refused_consent_cannot_advise(portal):
    decision = _draft(portal.a)
    portal.a.jim.record_consent(
        party=ConsentParty.YOUTH, decision=ConsentDecision.REFUSED, given_at=timezone.now()
    )
    jim = signed_in(portal.world.jim)
    assert (
        "Your advice is asked"
        not in jim.get(f"/portal/{portal.a.youth.pk}/", **EN).content.decode()
    )
    assert jim.post(_url(portal.a, decision), {"advice": "x"}).status_code == 404
    assert not JimAdvice.objects.exists()


def test_a_jim_whose_consent_is_not_complete_cannot_advise_yet(portal):
    set_age(portal.a.youth, 14)  # the parents consent too
    # A holder of parental authority is recorded who has not decided yet.
    NetworkPerson.objects.create(
        youth=portal.a.youth, display_name="Mother", relation=Relation.PARENT,
        age_band=AgeBand.AGE_40_64, has_parental_authority=True,
    )  # fmt: skip
    assert not portal.a.jim.consent_status().complete
    decision = _draft(portal.a)
    assert signed_in(portal.world.jim).get(_url(portal.a, decision)).status_code == 404


def test_a_jim_who_stopped_cannot_advise(portal):
    decision = _draft(portal.a)
    portal.a.jim.end_jim(on=timezone.localdate(), reason=JimEndReason.OTHER)
    assert signed_in(portal.world.jim).get(_url(portal.a, decision)).status_code == 404
    assert not JimAdvice.objects.exists()


def test_the_model_refuses_advice_from_someone_who_is_not_the_current_jim(portal):
    decision = _draft(portal.a)
    with pytest.raises(ValidationError, match="current JIM"):
        JimAdvice.objects.create(
            decision=decision, jim=portal.b.jim, advice="x", given_by=portal.jim_b
        )
    portal.a.jim.end_jim(on=timezone.localdate(), reason=JimEndReason.OTHER)
    with pytest.raises(ValidationError, match="current JIM"):
        JimAdvice.objects.create(
            decision=decision, jim=portal.a.jim, advice="x", given_by=portal.world.jim
        )


def test_a_file_with_the_jims_advice_can_still_be_erased(portal):
    decision = _draft(portal.a)
    JimAdvice.objects.create(
        decision=decision, jim=portal.a.jim, advice="Stay home.", given_by=portal.world.jim
    )
    erase_youth(portal.a.youth, by=portal.world.admin, basis=ErasureBasis.REQUEST)
    assert not JimAdvice.objects.exists()
    assert not PlacementDecision.objects.filter(pk=decision.pk).exists()
