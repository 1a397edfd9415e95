from cases.states import CaseState, LetterStatus, StepStatus


def states(request):
    """The state and status names, so that templates compare `case.state == CaseState.RETURNED`."""
    return {"CaseState": CaseState, "StepStatus": StepStatus, "LetterStatus": LetterStatus}
