# The dashboard reads a citizen's latest notices of every service (absher.dashboard.latest_notices).
# Built CONCURRENTLY on PostgreSQL, so notices go on being written meanwhile: hence not atomic.

from django.db import migrations, models

from absher.migration_ops import AddIndexOnline


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('absher', '0005_audit_indexes'),
    ]

    operations = [
        AddIndexOnline(
            model_name='notice',
            index=models.Index(fields=['user', '-at', '-id'], name='notice_user_at'),
        ),
    ]
