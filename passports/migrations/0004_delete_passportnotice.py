from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("passports", "0003_notices_to_absher")]
    operations = [migrations.DeleteModel(name="PassportNotice")]
