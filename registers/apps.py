from django.apps import AppConfig


class RegistersConfig(AppConfig):
    name = "registers"
    verbose_name = "Data padanan (DTKS/DTSEN, PBI)"

    def ready(self):
        from registers import signals  # noqa: F401, PLC0415 — connects the receivers once the apps are loaded
