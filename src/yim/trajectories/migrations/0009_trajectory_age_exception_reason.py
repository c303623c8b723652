# The reason recorded for a youth outside 12–23 on the referral date (issue 12, item 4).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("trajectories", "0008_meeting_agenda_and_revisions"),
    ]

    operations = [
        migrations.AddField(
            model_name="trajectory",
            name="age_exception_reason",
            field=models.TextField(
                blank=True,
                default="",
                help_text="Only when the youth was younger than 12 or older than 23 on the "
                "referral date.",
                verbose_name="reason for an age outside 12–23",
            ),
        ),
    ]
