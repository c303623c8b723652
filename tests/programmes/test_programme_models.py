"""Programme models are configuration: phases, evaluation cadence, instruments."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from yim.programmes.models import ProgrammeModel


@pytest.fixture(autouse=True)
def english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield


def test_the_three_standard_programme_models_exist_after_migrating(db):
    standard = {p.code: p for p in ProgrammeModel.objects.filter(organisation__isnull=True)}
    assert set(standard) == {"universal", "selective", "indicated"}
    assert standard["indicated"].evaluation_interval_months == 2
    assert "positioning" in standard["indicated"].phases
    assert "positioning" not in standard["selective"].phases
    assert standard["indicated"].instruments


def test_phases_are_stored_in_the_canonical_order(world):
    programme = ProgrammeModel.objects.create(
        code="light",
        name="Light",
        organisation=world.org,
        prevention_level="selective",
        phases=["closure", "candidates", "referral"],
    )
    assert programme.phases == ["referral", "candidates", "closure"]
    assert programme.uses_phase("candidates") and not programme.uses_phase("consent")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phases", ["referral", "closure", "dancing"], "Unknown phase"),
        ("phases", ["candidates", "closure"], "needs the phases"),
        ("evaluation_interval_months", 0, "between 1 and 12"),
        ("instruments", "risk", "list of instrument codes"),
    ],
)
def test_a_malformed_programme_is_refused_on_its_field(world, field, value, message):
    with pytest.raises(ValidationError) as refused:
        ProgrammeModel.objects.create(
            code="bad",
            name="Bad",
            organisation=world.org,
            prevention_level="universal",
            **{field: value},
        )
    assert message in " ".join(refused.value.message_dict[field])
    assert not ProgrammeModel.objects.filter(code="bad").exists()


def test_an_organisation_may_reuse_a_standard_code_for_its_own_variant(world):
    own = ProgrammeModel.objects.create(
        code="indicated",
        name="Indicated, our way",
        organisation=world.org,
        prevention_level="indicated",
        evaluation_interval_months=1,
    )
    assert ProgrammeModel.standard("indicated").pk != own.pk


def test_the_self_check_reports_a_programme_that_names_an_unknown_instrument(world):
    from yim.ops import instrument_check

    assert instrument_check().ok, instrument_check().message
    ProgrammeModel.objects.create(
        code="eigen",
        name="Eigen aanpak",
        organisation=world.org,
        prevention_level="selective",
        phases=["referral", "closure"],
        instruments=["risk_domains", "onbekende_lijst"],
    )
    result = instrument_check()
    assert not result.ok
    assert result.message == (
        "programmes name instruments that do not exist: Eigen aanpak: onbekende_lijst"
    )


def test_standard_programmes_are_named_in_the_interface_language_own_ones_as_typed(world):
    indicated = ProgrammeModel.standard("indicated")
    with translation.override("nl"):
        assert str(indicated) == "Geïndiceerde preventie (JIM-aanpak)"
    assert str(indicated) == "Indicated prevention (JIM approach)"
    assert indicated.name == "Indicated prevention (JIM-aanpak)"  # stored, for exports and API
    own = ProgrammeModel.objects.create(
        code="eigen", name="Eigen variant", organisation=world.org, prevention_level="selective"
    )
    with translation.override("nl"):
        assert str(own) == "Eigen variant"
