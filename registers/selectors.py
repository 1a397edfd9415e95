"""Reads of the reference registers: the lookup a case step shows, in one query."""

from django.db.models import Q

from registers.models import Check, Entry, Match, Period, Register

APPLICANT = "Pemohon"
BENEFICIARY = "Penerima manfaat"
HOUSEHOLD = "Keluarga (KK sama)"


def checks_of(sop_step):
    return list(Check.objects.filter(step=sop_step).order_by("order", "id"))


def current_periods(*, agency, codes):
    """The current period of each register code of this agency: {code: Period} (missing codes left out)."""
    periods = Period.objects.filter(register__agency=agency, register__code__in=codes, is_current=True).select_related(
        "register"
    )
    return {period.register.code: period for period in periods}


def registers_of(agency, codes):
    return {register.code: register for register in Register.objects.filter(agency=agency, code__in=codes)}


def entries_for(*, periods, nik_hashes, kk_hashes):
    """The rows of these periods whose NIK or KK matches; one query on the blind indexes."""
    nik_hashes, kk_hashes = [h for h in nik_hashes if h], [h for h in kk_hashes if h]
    if not periods or not (nik_hashes or kk_hashes):
        return []
    return list(
        Entry.objects.filter(period__in=periods)
        .filter(Q(nik_hash__in=nik_hashes) | Q(kk_hash__in=kk_hashes))
        .order_by("period_id", "name", "id")
    )


def _judge(expectation, beneficiary_found, household_found):
    # DTKS is kept per household: the household's KK is enough. "Tidak boleh dobel" is about the
    # termohon himself: a relative with PBI does not make the beneficiary a duplicate.
    if expectation == Check.FORBIDDEN:
        return not beneficiary_found
    return beneficiary_found or household_found


def _subject(role, person, rows, by):
    key = person.nik_hash if by == "nik" else person.kk_hash
    found = [row for row in rows if key and getattr(row, f"{by}_hash") == key]
    return {
        "role": role,
        "name": person.name,
        "found": bool(found),
        "desil": next((row.desil for row in found if row.desil), None),
        "rows": found,
    }


def padanan(case, sop_step):
    """What the registers say for this step of the case: per check, the current period and who is found.

    Returns None when the step consults no register.
    """
    checks = checks_of(sop_step)
    if not checks:
        return None
    codes = [check.register_code for check in checks]
    periods = current_periods(agency=case.agency, codes=codes)
    registers = {code: period.register for code, period in periods.items()}
    if len(registers) < len(set(codes)):  # a register without a current period: still show its name
        registers.update(registers_of(case.agency, set(codes) - set(registers)))
    people = [case.applicant] if case.applicant_id == case.beneficiary_id else [case.applicant, case.beneficiary]
    rows = entries_for(
        periods=list(periods.values()),
        nik_hashes=[p.nik_hash for p in people],
        kk_hashes=[p.kk_hash for p in people],
    )
    results = []
    for check in checks:
        period = periods.get(check.register_code)
        register = registers.get(check.register_code)
        mine = [row for row in rows if period and row.period_id == period.pk]
        subjects = [_subject(APPLICANT, case.applicant, mine, "nik")]
        if case.beneficiary_id != case.applicant_id:
            subjects.append(_subject(BENEFICIARY, case.beneficiary, mine, "nik"))
        household_keys = {p.kk_hash for p in people if p.kk_hash}
        members = [row for row in mine if row.kk_hash in household_keys]
        subjects.append(
            {
                "role": HOUSEHOLD,
                "name": case.beneficiary.kk_masked or "tanpa nomor KK",
                "found": bool(members),
                "desil": next((row.desil for row in members if row.desil), None),
                "rows": members,
            }
        )
        beneficiary_found = subjects[-2]["found"]
        results.append(
            {
                "code": check.register_code,
                "register": register,
                "name": register.name if register else check.register_code.upper(),
                "period": period,
                "expectation": check.expectation,
                "expectation_label": check.get_expectation_display(),
                "subjects": subjects,
                "found": beneficiary_found or bool(members),
                "beneficiary_found": beneficiary_found,
                "ok": period is not None and _judge(check.expectation, beneficiary_found, bool(members)),
            }
        )
    return {"results": results, "ok": all(result["ok"] for result in results), "sentence": sentence(results)}


def _phrase(result):
    if result["period"] is None:
        return f"{result['name']} (belum ada periode berlaku)"
    if result["found"]:
        desil = next((s["desil"] for s in result["subjects"] if s["desil"]), None)
        state = f"terdaftar, desil {desil}" if desil else "terdaftar"
    else:
        state = "tidak terdaftar"
    return f"{result['name']} periode {result['period'].label} ({state})"


def sentence(results):
    """'telah dipadankan dengan data DTKS periode … (terdaftar, desil 2) dan PBI-JK Pusat periode …'."""
    phrases = [_phrase(result) for result in results]
    if not phrases:
        return ""
    joined = phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " dan " + phrases[-1]
    return f"telah dipadankan dengan data {joined}"


def last_match(case, case_step=None):
    matches = Match.objects.filter(case=case)
    if case_step is not None:
        matches = matches.filter(case_step=case_step)
    return matches.select_related("user", "case_step").order_by("-at", "-id").first()


def step_matches(case, case_step):
    """The padanan recorded at this step of the case, newest first (all of them are in the audit trail)."""
    matches = Match.objects.filter(case=case, case_step=case_step).select_related("user", "case_step")
    return list(matches.order_by("-at", "-id"))
