from django.apps import AppConfig


class SopCatalogConfig(AppConfig):
    name = "sop_catalog"
    verbose_name = "Katalog SOP"

    def ready(self):
        from sop_catalog import signals  # noqa: F401 — connects the receivers
