# The daily iqama reminder scan's index (civil_affairs.models.Person.Meta), built CONCURRENTLY on
# PostgreSQL so the registry takes writes meanwhile: hence not atomic (absher/migration_ops.py).

from django.db import migrations, models

from absher.migration_ops import AddIndexOnline


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('civil_affairs', '0008_delete_notice'),
    ]

    operations = [
        AddIndexOnline(
            model_name='person',
            index=models.Index(condition=models.Q(('national_id__startswith', '2'), ('status', 'living')), fields=['iqama_expiry'], name='person_living_iqama_expiry'),
        ),
    ]
