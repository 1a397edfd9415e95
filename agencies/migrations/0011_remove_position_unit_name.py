from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("agencies", "0010_units_and_holdings_data")]

    operations = [migrations.RemoveField(model_name="position", name="unit_name")]
