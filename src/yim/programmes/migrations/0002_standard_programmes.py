"""Create the three standard programme models (universal, selective, indicated prevention).

Values are frozen here on purpose: a data migration must not import the live model code.
Organisations adapt them by creating their own programme models, not by editing these.
"""

from django.db import migrations

ALL_PHASES = [
    "referral",
    "network_exploration",
    "candidates",
    "consent",
    "positioning",
    "collaboration",
    "closure",
    "follow_up",
]

STANDARD = [
    {
        "code": "indicated",
        "name": "Indicated prevention (JIM-aanpak)",
        "prevention_level": "indicated",
        "description": (
            "Youth with complex problems facing out-of-home placement: the full JIM approach "
            "with positioning, two-monthly evaluations, the placement gate and follow-up."
        ),
        "phases": ALL_PHASES,
        "evaluation_interval_months": 2,
        "instruments": ["risk_domains", "relationship_quality", "stakeholder_feedback"],
    },
    {
        "code": "selective",
        "name": "Selective prevention",
        "prevention_level": "selective",
        "description": (
            "Groups at higher risk (e.g. first-time offenders): nomination, consent and "
            "collaboration without a separate positioning meeting."
        ),
        "phases": [p for p in ALL_PHASES if p != "positioning"],
        "evaluation_interval_months": 2,
        "instruments": ["relationship_quality", "stakeholder_feedback"],
    },
    {
        "code": "universal",
        "name": "Universal prevention",
        "prevention_level": "universal",
        "description": (
            "All youth learn to find and ask a mentor from their own network; light-touch "
            "follow-up, evaluated every three months."
        ),
        "phases": ["referral", "network_exploration", "candidates", "consent", "closure"],
        "evaluation_interval_months": 3,
        "instruments": ["stakeholder_feedback"],
    },
]


def create(apps, schema_editor):
    ProgrammeModel = apps.get_model("programmes", "ProgrammeModel")
    for values in STANDARD:
        ProgrammeModel.objects.update_or_create(
            organisation=None, code=values["code"], defaults=values
        )


def remove(apps, schema_editor):
    ProgrammeModel = apps.get_model("programmes", "ProgrammeModel")
    ProgrammeModel.objects.filter(
        organisation=None, code__in=[v["code"] for v in STANDARD], trajectories__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("programmes", "0001_initial")]

    operations = [migrations.RunPython(create, remove)]
