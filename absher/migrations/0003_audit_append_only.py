"""On PostgreSQL the audit trail is append-only: a trigger refuses UPDATE and DELETE.

TRUNCATE is left to the database owner (the test runner's flush uses it); the application's
database role in production should not hold the TRUNCATE privilege.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION absher_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER absher_audit_append_only
    BEFORE UPDATE OR DELETE ON absher_auditevent
    FOR EACH ROW EXECUTE FUNCTION absher_audit_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS absher_audit_append_only ON absher_auditevent;
DROP FUNCTION IF EXISTS absher_audit_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("absher", "0002_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
