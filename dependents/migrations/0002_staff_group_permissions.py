"""Civil affairs staff and auditors see the guardian links in the admin (read only)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("dependents")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    view = Permission.objects.filter(codename="view_guardianlink", content_type__app_label="dependents")
    for group in Group.objects.filter(name__in=["Civil affairs officers", "Civil affairs supervisors", "Auditors"]):
        group.permissions.add(*view)


class Migration(migrations.Migration):
    dependencies = [
        ("dependents", "0001_initial"),
        ("civil_affairs", "0003_request_types_and_groups"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
