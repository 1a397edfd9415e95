"""The state machine of Case as a Mermaid diagram, read from the django-fsm transitions."""

from cases.models import Case
from cases.states import STATE_RANK

UP = {"forward"}
DOWN = {"dispose", "return_for_revision"}


def transitions():
    """(source, target, name) for every transition, sorted.

    A transition with a computed target lists every state it may reach; forward only ever
    goes up the desk hierarchy and dispose or revision only down (cases/workflow.py plan()),
    so those edges are kept in that direction only.
    """
    edges = set()
    for item in Case._meta.get_field("state").get_all_transitions(Case):
        targets = item.target.allowed_states if hasattr(item.target, "allowed_states") else [item.target]
        for target in targets:
            if item.name in UP and not STATE_RANK[target] > STATE_RANK[item.source]:
                continue
            if item.name in DOWN and not STATE_RANK[target] < STATE_RANK[item.source]:
                continue
            edges.add((item.source, target, item.name))
    return sorted(edges)


def mermaid():
    lines = ["stateDiagram-v2"]
    for state, label in Case.STATE_CHOICES:
        lines.append(f"    {state} : {state} ({label})")
    lines.append(f"    [*] --> {Case.DRAFT}")
    for source, target, name in transitions():
        lines.append(f"    {source} --> {target} : {name}")
    for state in Case.CLOSED_STATES:
        lines.append(f"    {state} --> [*]")
    return "\n".join(lines) + "\n"
