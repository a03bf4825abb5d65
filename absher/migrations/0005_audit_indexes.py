# The audit trail keeps only the indexes its reader uses (absher.models.AuditEvent.Meta says which
# and why). Built and dropped CONCURRENTLY on PostgreSQL, so inserts go on meanwhile: hence not
# atomic (absher/migration_ops.py). The new index comes first, so the action filter never goes without.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from absher.migration_ops import AddIndexOnline, DropFieldIndexOnline, RemoveIndexOnline


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('absher', '0004_notifications'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexOnline(
            model_name='auditevent',
            index=models.Index(fields=['action', 'at'], name='audit_action_at'),
        ),
        DropFieldIndexOnline(
            model_name='auditevent',
            name='action',
            field=models.CharField(max_length=64, verbose_name='action'),
        ),
        RemoveIndexOnline(
            model_name='auditevent',
            name='absher_audi_subject_f4cb16_idx',
        ),
        DropFieldIndexOnline(
            model_name='auditevent',
            name='actor',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='actor'),
        ),
        DropFieldIndexOnline(
            model_name='auditevent',
            name='subject',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='account'),
        ),
    ]
