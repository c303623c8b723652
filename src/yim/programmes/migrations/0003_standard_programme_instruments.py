"""Offer the resilience and satisfaction questionnaires in the standard programmes.

The instrument files (``yim/monitoring/instruments/*.yaml``) shipped after 0002; programmes
list instrument codes, so the standard models gain the two new codes here. Organisation
programme models are left as their owners configured them.
"""

from django.db import migrations

ADDED = {
    "indicated": ["resilience_support", "satisfaction"],
    "selective": ["resilience_support", "satisfaction"],
    "universal": ["satisfaction"],
}


def add(apps, schema_editor):
    ProgrammeModel = apps.get_model("programmes", "ProgrammeModel")
    for code, extra in ADDED.items():
        for programme in ProgrammeModel.objects.filter(organisation=None, code=code):
            programme.instruments = programme.instruments + [
                i for i in extra if i not in programme.instruments
            ]
            programme.save(update_fields=["instruments"])


def remove(apps, schema_editor):
    ProgrammeModel = apps.get_model("programmes", "ProgrammeModel")
    for code, extra in ADDED.items():
        for programme in ProgrammeModel.objects.filter(organisation=None, code=code):
            programme.instruments = [i for i in programme.instruments if i not in extra]
            programme.save(update_fields=["instruments"])


class Migration(migrations.Migration):
    dependencies = [("programmes", "0002_standard_programmes")]

    operations = [migrations.RunPython(add, remove)]
