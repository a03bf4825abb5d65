from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("civil_affairs", "0007_notices_to_absher")]
    operations = [migrations.DeleteModel(name="Notice")]
