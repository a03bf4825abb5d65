"""The index of pending registrations by lower(username), built without locking the account table
(a million rows and more: a plain CREATE INDEX would stop every sign-in while it runs); a plain
index on a newcomer's SQLite (absher/migration_ops.py)."""

import django.db.models.functions.text
from django.db import migrations, models

from absher.migration_ops import AddIndexOnline


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("accounts", "0004_code_message_in_outbox"),
    ]

    operations = [
        AddIndexOnline(
            model_name="user",
            index=models.Index(
                django.db.models.functions.text.Lower("username"),
                condition=models.Q(("state", "pending_phone")),
                name="user_username_ci_pending",
            ),
        ),
    ]
