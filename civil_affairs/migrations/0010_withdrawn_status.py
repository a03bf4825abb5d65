# The "withdrawn" status (issue 11): a request the citizen withdrew reads "Withdrawn", no longer
# "Closed". Until now request_withdraw moved it to "closed" with an event whose actor is the
# applicant (and the note "withdrawn by the applicant"); the staff admin has no way to close a
# request, so those events tell the withdrawals apart. Those requests and their closing events
# become "withdrawn"; any other closed request stays closed. Backwards, withdrawn is closed again.

from django.db import migrations, models
from django.db.models import F, Q

WITHDRAWN_NOTE = "withdrawn by the applicant"


def _withdrawal_events(RequestEvent):
    return RequestEvent.objects.filter(to_status="closed", request__status="closed").filter(
        Q(actor_id=F("request__applicant_id")) | Q(note=WITHDRAWN_NOTE)
    )


def forwards(apps, schema_editor):
    ServiceRequest = apps.get_model("civil_affairs", "ServiceRequest")
    RequestEvent = apps.get_model("civil_affairs", "RequestEvent")
    events = _withdrawal_events(RequestEvent)
    request_ids = list(events.values_list("request_id", flat=True).distinct())
    for start in range(0, len(request_ids), 1000):
        batch = request_ids[start:start + 1000]
        RequestEvent.objects.filter(request_id__in=batch, to_status="closed").filter(
            Q(actor_id=F("request__applicant_id")) | Q(note=WITHDRAWN_NOTE)
        ).update(to_status="withdrawn", note="")
        # A withdrawal is not a decision: no decision time, no decision reason.
        ServiceRequest.objects.filter(pk__in=batch, status="closed").update(
            status="withdrawn", decided_at=None, decision_reason=""
        )


def backwards(apps, schema_editor):
    ServiceRequest = apps.get_model("civil_affairs", "ServiceRequest")
    RequestEvent = apps.get_model("civil_affairs", "RequestEvent")
    RequestEvent.objects.filter(to_status="withdrawn").update(to_status="closed", note=WITHDRAWN_NOTE)
    RequestEvent.objects.filter(from_status="withdrawn").update(from_status="closed")
    for request in ServiceRequest.objects.filter(status="withdrawn").only("pk", "updated_at"):
        ServiceRequest.objects.filter(pk=request.pk).update(
            status="closed", decided_at=request.updated_at, decision_reason=WITHDRAWN_NOTE
        )


class Migration(migrations.Migration):

    dependencies = [
        ('civil_affairs', '0009_person_iqama_expiry_index'),
    ]

    operations = [
        migrations.AlterField(
            model_name='requestevent',
            name='from_status',
            field=models.CharField(blank=True, choices=[('submitted', 'Submitted'), ('in_review', 'In review'), ('waiting_citizen', 'Waiting for you'), ('approved', 'Approved'), ('rejected', 'Rejected'), ('closed', 'Closed'), ('withdrawn', 'Withdrawn')], max_length=20),
        ),
        migrations.AlterField(
            model_name='requestevent',
            name='to_status',
            field=models.CharField(choices=[('submitted', 'Submitted'), ('in_review', 'In review'), ('waiting_citizen', 'Waiting for you'), ('approved', 'Approved'), ('rejected', 'Rejected'), ('closed', 'Closed'), ('withdrawn', 'Withdrawn')], max_length=20),
        ),
        migrations.AlterField(
            model_name='servicerequest',
            name='status',
            field=models.CharField(choices=[('submitted', 'Submitted'), ('in_review', 'In review'), ('waiting_citizen', 'Waiting for you'), ('approved', 'Approved'), ('rejected', 'Rejected'), ('closed', 'Closed'), ('withdrawn', 'Withdrawn')], default='submitted', max_length=20, verbose_name='status'),
        ),
        migrations.RunPython(forwards, backwards),
    ]
