from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AgenciesConfig(AppConfig):
    name = "agencies"
    verbose_name = "Instansi dan pegawai"

    def ready(self):
        # Services import the models, which exist only once the app registry is ready.
        from agencies import usercache  # noqa: F401,PLC0415 — connects the receivers
        from agencies.services import ensure_desk_groups  # noqa: PLC0415

        # Sent after every app; the receiver acts at the last, when every permission exists.
        post_migrate.connect(ensure_desk_groups, dispatch_uid="agencies.ensure_desk_groups")
