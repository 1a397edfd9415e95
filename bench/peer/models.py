"""The SPM case as viewflow keeps it: a proxy process (fields in its JSON data) and a multi-table one.

Tables from bench/peer/migrations, applied by bench/peer/run.py.
"""

from django.db import models
from viewflow import jsonstore
from viewflow.workflow.models import Process


class SPMProcess(Process):
    """viewflow's recommended shape: the case fields live in Process.data (jsonstore), one table."""

    number = jsonstore.CharField(max_length=40, blank=True)
    applicant_name = jsonstore.CharField(max_length=200, blank=True)
    beneficiary_name = jsonstore.CharField(max_length=200, blank=True)
    purpose = jsonstore.TextField(blank=True)
    destination = jsonstore.CharField(max_length=300, blank=True)
    note = jsonstore.TextField(blank=True)

    class Meta:
        proxy = True


class SPMCaseProcess(Process):
    """The same fields as columns of a table of their own (multi-table inheritance)."""

    number = models.CharField(max_length=40, blank=True)
    applicant_name = models.CharField(max_length=200, blank=True)
    beneficiary_name = models.CharField(max_length=200, blank=True)
    purpose = models.TextField(blank=True)
    destination = models.CharField(max_length=300, blank=True)
    note = models.TextField(blank=True)


class Counter(models.Model):
    """The floor's row: locked and updated once per completion."""

    value = models.IntegerField(default=0)

    def __str__(self):
        return f"{self.pk}: {self.value}"
