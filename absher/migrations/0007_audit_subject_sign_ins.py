# A citizen's own sign-in history (devices.selectors.sign_ins_of, accounts.export): the audit rows of
# signing in, by account, newest first. Partial (the sign-in actions only) and built CONCURRENTLY on
# PostgreSQL, so the audit trail goes on being written meanwhile: hence not atomic.

from django.conf import settings
from django.db import migrations, models

from absher.migration_ops import AddIndexOnline


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('absher', '0006_notice_user_at'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexOnline(
            model_name='auditevent',
            index=models.Index(
                condition=models.Q(('action__in', (
                    'login_password_ok', 'login_succeeded', 'login_failed', 'login_refused_locked',
                    'login_refused_suspended', 'account_locked', 'device_signed_in', 'device_ended',
                    'api_refresh_token_reused', 'account_not_me', 'passkey_used', 'passkey_clone_suspected',
                ))),
                fields=['subject', '-at', '-id'],
                name='audit_subject_sign_ins',
            ),
        ),
    ]
