"""The request inbox's notices move to the one notice model of absher.notifications (issue 9).

Each civil-affairs notice becomes an `absher.Notice` of source "civil_affairs" about its request
(subject: the ServiceRequest), with the request's reference and the status it announced in its
params, its time and whether it was read. The old table is dropped by the next migration (a
migration of its own, so that no table is altered in the transaction that moved the rows).
Backwards, the rows move back.
"""

from django.db import migrations

SOURCE = "civil_affairs"
BATCH = 1000


def _request_type(apps):
    ContentType = apps.get_model("contenttypes", "ContentType")
    return ContentType.objects.get_or_create(app_label="civil_affairs", model="servicerequest")[0]


def forwards(apps, schema_editor):
    OldNotice = apps.get_model("civil_affairs", "Notice")
    Notice = apps.get_model("absher", "Notice")
    request_type = _request_type(apps)
    batch = []
    for old in OldNotice.objects.select_related("request").order_by("id").iterator(chunk_size=BATCH):
        batch.append(Notice(
            user_id=old.user_id, source=SOURCE, kind=old.kind,
            params={"reference": old.request.reference, "status": old.status},
            subject_type=request_type, subject_id=old.request_id, at=old.at, read_at=old.read_at,
        ))
        if len(batch) >= BATCH:
            Notice.objects.bulk_create(batch)
            batch = []
    Notice.objects.bulk_create(batch)


def backwards(apps, schema_editor):
    OldNotice = apps.get_model("civil_affairs", "Notice")
    OldNotice._meta.get_field("at").auto_now_add = False  # keep each notice's own time (this state's class only)
    Notice = apps.get_model("absher", "Notice")
    moved = Notice.objects.filter(source=SOURCE, subject_id__isnull=False).order_by("id")
    batch = []
    for notice in moved.iterator(chunk_size=BATCH):
        batch.append(OldNotice(
            user_id=notice.user_id, request_id=notice.subject_id, kind=notice.kind,
            status=(notice.params or {}).get("status", ""), at=notice.at, read_at=notice.read_at,
        ))
        if len(batch) >= BATCH:
            OldNotice.objects.bulk_create(batch)
            batch = []
    OldNotice.objects.bulk_create(batch)
    Notice.objects.filter(source=SOURCE).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("civil_affairs", "0006_open_queue_indexes"),
        ("absher", "0004_notifications"),
        # After the accounts' latest: going back past it first brings the old table and its rows back.
        ("accounts", "0003_pending_registrations_hold_nothing"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
