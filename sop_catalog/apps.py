from django.apps import AppConfig


class SopCatalogConfig(AppConfig):
    name = "sop_catalog"
    verbose_name = "Katalog SOP"

    def ready(self):
        # Receivers import the models, which exist only once the app registry is ready.
        from sop_catalog import signals  # noqa: F401,PLC0415 — connects the receivers
