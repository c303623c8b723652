# A changed definition, no schema change: JIM positioned now counts consent by every holder
# of parental authority on the youth's file, as the consent page does. Applying this migration
# makes yim.trajectories.facts.refresh_all (a post_migrate handler) recompute every row.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("trajectories", "0015_facts_dues"),
    ]

    operations = []
