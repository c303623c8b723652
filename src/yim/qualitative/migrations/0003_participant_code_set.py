"""The participant's set is called a set in code too (``triad`` → ``code_set``); data kept."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("qualitative", "0002_project_data_manager"),
    ]

    operations = [
        migrations.RenameField(model_name="participant", old_name="triad", new_name="code_set"),
        migrations.AlterField(
            model_name="participant",
            name="code_set",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="participants",
                to="qualitative.codeset",
                verbose_name="set",
            ),
        ),
    ]
