"""The Lumajang SPM in viewflow: start, five human tasks, each assigned by a desk permission, end.

The desks are the application's own (the `agencies.desk_*` permissions of its desk groups), so the
same users act in both systems. Each task is completed as viewflow's views complete it: assign
(AssignTaskView) and then execute (UpdateProcessView: the process saved, activation.execute()),
under the flow's lock — SelectForUpdateLock, a row lock on the process.
"""

import secrets

from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.flow.views import UpdateProcessView

from bench.peer.models import SPMCaseProcess, SPMProcess

# The SPM's five desks in order: the front desk receives and checks, the Kasi verifies (paraf),
# the Kabid verifies (paraf), the Kadis signs, the front desk hands the letter over.
FIELDS = ["note"]


def _task(permission):
    """A human task for the holders of a desk permission, completed with the process form."""
    return flow.View(UpdateProcessView.as_view(fields=FIELDS)).Permission(permission)


class SPMNodes:
    """The nodes, shared by both flows (each Flow copies and wires them for itself)."""

    lock_impl = lock.SelectForUpdateLock(nowait=False)

    start = flow.StartHandle(this.start_case).Next(this.receive)
    receive = _task("agencies.desk_petugas").Next(this.verify_kasi)
    verify_kasi = _task("agencies.desk_kasi").Next(this.verify_kabid)
    verify_kabid = _task("agencies.desk_kabid").Next(this.sign)
    sign = _task("agencies.desk_kadis").Next(this.hand_over)
    hand_over = _task("agencies.desk_petugas").Next(this.end)
    end = flow.End()

    def start_case(self, activation, **fields):
        process = activation.process
        process.number = f"BENCH/{secrets.token_hex(4)}"
        process.applicant_name = process.beneficiary_name = "Warga"
        process.purpose = "bench"
        return process


class SPMFlow(SPMNodes, flow.Flow):
    """SPM (proxy process)"""

    process_class = SPMProcess


class SPMCaseFlow(SPMNodes, flow.Flow):
    """SPM (multi-table process)"""

    process_class = SPMCaseProcess
