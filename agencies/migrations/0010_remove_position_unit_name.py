from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("agencies", "0009_units_and_holdings")]

    operations = [migrations.RemoveField(model_name="position", name="unit_name")]
