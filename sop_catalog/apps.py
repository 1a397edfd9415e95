from django.apps import AppConfig


class SopCatalogConfig(AppConfig):
    name = "sop_catalog"
    verbose_name = "Katalog SOP"
