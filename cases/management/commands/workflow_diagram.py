from django.core.management.base import BaseCommand

from cases.diagram import mermaid


class Command(BaseCommand):
    help = "Mencetak diagram mesin status permohonan (Mermaid) dari transisi django-fsm."

    def handle(self, *args, **options):
        self.stdout.write(mermaid())
