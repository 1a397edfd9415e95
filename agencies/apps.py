from django.apps import AppConfig


class AgenciesConfig(AppConfig):
    name = "agencies"
    verbose_name = "Instansi dan pegawai"

    def ready(self):
        from django.db.models.signals import post_migrate

        from agencies.desks import ensure_desk_groups

        # After every app: the admin desk needs the permissions of apps migrated after this one.
        post_migrate.connect(ensure_desk_groups, dispatch_uid="agencies.ensure_desk_groups")
