"""The passports notices move to the one notice model of absher.notifications (issue 9).

Each PassportNotice becomes an `absher.Notice` of source "passports" with the same kind, params,
time and read mark, about its receipt or else its bill (the subject). The old table is dropped by
the next migration (a migration of its own, so that no table is altered in the transaction that
moved the rows). Backwards, the rows move back.
"""

from django.db import migrations

SOURCE = "passports"
BATCH = 1000


def _types(apps):
    ContentType = apps.get_model("contenttypes", "ContentType")
    receipt = ContentType.objects.get_or_create(app_label="passports", model="receipt")[0]
    bill = ContentType.objects.get_or_create(app_label="passports", model="bill")[0]
    return receipt, bill


def forwards(apps, schema_editor):
    PassportNotice = apps.get_model("passports", "PassportNotice")
    Notice = apps.get_model("absher", "Notice")
    receipt_type, bill_type = _types(apps)
    batch = []
    for old in PassportNotice.objects.order_by("id").iterator(chunk_size=BATCH):
        if old.receipt_id:
            subject_type, subject_id = receipt_type, old.receipt_id
        elif old.bill_id:
            subject_type, subject_id = bill_type, old.bill_id
        else:
            subject_type, subject_id = None, None
        batch.append(Notice(
            user_id=old.user_id, source=SOURCE, kind=old.kind, params=old.params or {},
            subject_type=subject_type, subject_id=subject_id, at=old.at, read_at=old.read_at,
        ))
        if len(batch) >= BATCH:
            Notice.objects.bulk_create(batch)
            batch = []
    Notice.objects.bulk_create(batch)


def backwards(apps, schema_editor):
    PassportNotice = apps.get_model("passports", "PassportNotice")
    PassportNotice._meta.get_field("at").auto_now_add = False  # keep each notice's own time (this state's class only)
    Notice = apps.get_model("absher", "Notice")
    receipt_type, bill_type = _types(apps)
    batch = []
    for notice in Notice.objects.filter(source=SOURCE).order_by("id").iterator(chunk_size=BATCH):
        batch.append(PassportNotice(
            user_id=notice.user_id, kind=notice.kind, params=notice.params or {}, at=notice.at, read_at=notice.read_at,
            receipt_id=notice.subject_id if notice.subject_type_id == receipt_type.pk else None,
            bill_id=notice.subject_id if notice.subject_type_id == bill_type.pk else None,
        ))
        if len(batch) >= BATCH:
            PassportNotice.objects.bulk_create(batch)
            batch = []
    PassportNotice.objects.bulk_create(batch)
    Notice.objects.filter(source=SOURCE).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("passports", "0002_bill_refund_steps_and_payment_notifications"),
        ("absher", "0004_notifications"),
        # After the accounts' latest: going back past it first brings the old table and its rows back.
        ("accounts", "0003_pending_registrations_hold_nothing"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
