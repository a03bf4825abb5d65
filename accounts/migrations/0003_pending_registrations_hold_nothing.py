"""A registration waiting for its SMS code holds nothing (QUALITY 26).

Username and mobile are unique among accounts past `pending_phone` only (partial unique
indexes, on PostgreSQL and SQLite alike); the ID typed at registration waits in
`pending_person` and becomes `person` when the mobile is confirmed. The data step runs last, so
that no table is altered after rows were changed in the same transaction (PostgreSQL refuses
that while deferred foreign-key checks are pending).
"""

import django.db.models.deletion
import django.db.models.functions.text
from django.db import migrations, models

PENDING = "pending_phone"


def hold_pending_ids_apart(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    for user in User.objects.filter(state=PENDING, person__isnull=False).only("pk", "person_id"):
        User.objects.filter(pk=user.pk).update(pending_person_id=user.person_id, person=None)


def give_pending_ids_back(apps, schema_editor):
    # Back to full uniqueness: of the pending registrations that collide (on the ID, the mobile or
    # the username) with a confirmed account or a newer registration, only the first is kept.
    User = apps.get_model("accounts", "User")
    confirmed = User.objects.exclude(state=PENDING)
    people = set(confirmed.exclude(person=None).values_list("person_id", flat=True))
    mobiles = set(confirmed.exclude(mobile=None).values_list("mobile", flat=True))
    usernames = {name.lower() for name in confirmed.values_list("username", flat=True)}
    for user in User.objects.filter(state=PENDING).order_by("-date_joined", "-pk"):
        person_id = user.pending_person_id or user.person_id
        if person_id in people or user.mobile in mobiles or user.username.lower() in usernames:
            user.delete()
            continue
        if person_id:
            people.add(person_id)
        if user.mobile:
            mobiles.add(user.mobile)
        usernames.add(user.username.lower())
        User.objects.filter(pk=user.pk).update(person_id=person_id, pending_person=None)
    if schema_editor.connection.vendor == "postgresql":
        # The tables are altered next, in this transaction: run the deferred checks now.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_otp_purposes_kiosk"),
        ("civil_affairs", "0006_open_queue_indexes"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="user",
            name="user_username_ci_unique",
        ),
        migrations.AddField(
            model_name="user",
            name="pending_person",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                to="civil_affairs.person", verbose_name="person named at registration",
            ),
        ),
        migrations.AlterField(
            model_name="user",
            name="mobile",
            field=models.CharField(blank=True, db_index=True, max_length=16, null=True, verbose_name="mobile number"),
        ),
        migrations.AlterField(
            model_name="user",
            name="username",
            field=models.CharField(max_length=150, verbose_name="username"),
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("username"),
                condition=models.Q(("state", PENDING), _negated=True),
                name="user_username_ci_unique_confirmed",
            ),
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                condition=models.Q(("state", PENDING), _negated=True),
                fields=("mobile",),
                name="user_mobile_unique_confirmed",
            ),
        ),
        migrations.RunPython(hold_pending_ids_apart, give_pending_ids_back),
    ]
