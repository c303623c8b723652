import pytest

from yim.monitoring import instruments
from yim.programmes.models import ProgrammeModel

pytestmark = pytest.mark.django_db


def test_every_shipped_instrument_is_offered_by_a_standard_programme():
    offered = set()
    for programme in ProgrammeModel.objects.filter(organisation=None):
        offered.update(programme.instruments)
    assert set(instruments.registry()) <= offered


def test_standard_programmes_name_only_instruments_that_exist():
    shipped = set(instruments.registry())
    for programme in ProgrammeModel.objects.filter(organisation=None):
        assert set(programme.instruments) <= shipped, programme.code
