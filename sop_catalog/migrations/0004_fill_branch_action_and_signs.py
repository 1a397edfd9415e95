"""Branch targets and the signing step, from what the old code guessed them from.

`Branch.target` ("next", "end", "step:N", "applicant") becomes `action` + `step_no`; an
"applicant" exit labelled *layak* or taken at a superior desk was a reject. The signing step is
the one the old `cases.workflow.signing_step` chose: for an SOP with a letter template, the last
Kadis case step (the Sekdin's without one); else the first Kadis (else Sekdin) step whose activity
says it signs or approves. The rules are copied here, as they were, so later code changes do not
change what this migration does.
"""

import re

from django.db import migrations

SIGNING = re.compile(r"tanda\s*tangan|menandatangani|ditandatangani|mengesahkan|pengesahan", re.IGNORECASE)
SUPERIOR_DESKS = ("kasi", "kabid", "sekdin", "kadis")
BERITA_ACARA = ("ba_serah_terima", "ba_jenazah", "ba_pemulangan")


def desks_of(step):
    if step.desk:
        return [step.desk]
    actor_desks = [role.desk for role in sorted(step.actors.all(), key=lambda role: (role.order, role.id))]
    superiors = sorted({d for d in actor_desks if d in SUPERIOR_DESKS}, key=SUPERIOR_DESKS.index)
    if len(superiors) > 1:
        return superiors
    return [next((d for d in actor_desks if d != "external"), "petugas")]


def signing_step(parts, has_letters):
    for desk in ("kadis", "sekdin"):
        at_desk = [step for step, part_desk in parts if part_desk == desk]
        if has_letters and at_desk:
            return at_desk[-1]
        if not has_letters:
            matching = [step for step in at_desk if SIGNING.search(step.activity)]
            if matching:
                return matching[0]
    return None


def forwards(apps, schema_editor):
    Branch = apps.get_model("sop_catalog", "Branch")
    Flow = apps.get_model("sop_catalog", "Flow")
    LetterTemplate = apps.get_model("cases", "LetterTemplate")
    with_letters = set(
        LetterTemplate.objects.filter(active=True)
        .exclude(kind__in=BERITA_ACARA)
        .exclude(sop_slug="")
        .values_list("agency_id", "sop_slug")
    )
    for flow in Flow.objects.select_related("sop").prefetch_related("steps__actors", "steps__branches"):
        steps = sorted(flow.steps.all(), key=lambda step: step.no)
        parts = [(step, desk) for step in steps for desk in desks_of(step)]
        signer = signing_step(parts, (flow.sop.agency_id, flow.sop.slug) in with_letters)
        if signer is not None:
            signer.signs = True
            signer.save(update_fields=["signs"])
        for step in steps:
            deciding_desk = desks_of(step)[-1]
            for branch in step.branches.all():
                target = branch.target
                if target.startswith("step:"):
                    branch.action, branch.step_no = "step", int(target[5:])
                elif target == "applicant":
                    not_eligible = "layak" in branch.label.lower() or deciding_desk != "petugas"
                    branch.action = "reject" if not_eligible else "applicant"
                else:
                    branch.action = target
                branch.save(update_fields=["action", "step_no"])


def backwards(apps, schema_editor):
    Branch = apps.get_model("sop_catalog", "Branch")
    Step = apps.get_model("sop_catalog", "Step")
    for branch in Branch.objects.all():
        if branch.action == "step":
            branch.target = f"step:{branch.step_no}"
        elif branch.action == "reject":
            branch.target = "applicant"
        else:
            branch.target = branch.action
        branch.save(update_fields=["target"])
    Step.objects.update(signs=False)


class Migration(migrations.Migration):
    dependencies = [
        ("sop_catalog", "0003_branch_action_step_signs"),
        ("cases", "0009_person_name_trigram"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
