import datetime

import factory

from agencies.models import Agency, User
from cases import services
from cases.models import Case, LetterTemplate, Person
from sop_catalog.models import SOP, Branch, BranchAction, Flow, Step


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    agency = factory.LazyFunction(lambda: Agency.objects.get(slug="lumajang"))
    # Men born on 15 July 1985 in Lumajang (35 08 01), serials 0001, 0002, …
    nik = factory.Sequence(lambda n: f"350801150785{n + 1:04d}")
    name = factory.Sequence(lambda n: f"Warga Uji {n}")
    birth_place = "Lumajang"
    birth_date = datetime.date(1985, 7, 15)
    sex = Person.MALE
    address = "Jl. Kenanga 5"
    village = "Tompokersan"
    district = "Lumajang"
    regency = "Kabupaten Lumajang"


class CaseFactory(factory.Factory):
    """A case opened through the services by the petugas of its SOP's agency; `registered=True` also
    ticks every paper and registers it, laying out its steps."""

    class Meta:
        model = Case

    registered = False  # handed to _create, not a field of Case
    sop = factory.LazyFunction(lambda: SOP.objects.get(slug="lumajang-spm", is_current=True))
    applicant = factory.LazyAttribute(lambda case: PersonFactory(agency=case.sop.agency))
    beneficiary = factory.SelfAttribute("applicant")
    channel = "datang"
    purpose = "Keperluan uji"

    @classmethod
    def _create(cls, model_class, *, registered, **fields):
        petugas = User.objects.get(username=f"{fields['sop'].agency.slug}-petugas")
        case = services.open_case(user=petugas, **fields)
        if not registered:
            return case
        for document in case.documents.all():
            services.receive_document(document=document, user=petugas)
        return services.register_case(case=case, user=petugas)


class LetterTemplateFactory(factory.django.DjangoModelFactory):
    """A letter template of Lumajang; `sop_slug` empty (not tied to an SOP) unless given."""

    class Meta:
        model = LetterTemplate

    agency = factory.LazyFunction(lambda: Agency.objects.get(slug="lumajang"))
    sop_slug = ""
    kind = LetterTemplate.REKOMENDASI
    title = factory.Sequence(lambda n: f"Templat uji {n}")
    classification_code = "400.9"
    body = "Yang bertanda tangan di bawah ini menerangkan bahwa {{ penerima.nama }}."


class SOPFactory(factory.django.DjangoModelFactory):
    """A bare SOP of Lumajang (no lists, no flow): build its flow with FlowFactory and StepFactory."""

    class Meta:
        model = SOP

    agency = factory.LazyFunction(lambda: Agency.objects.get(slug="lumajang"))
    slug = factory.Sequence(lambda n: f"lumajang-uji-{n}")
    name = factory.Sequence(lambda n: f"SOP Uji {n}")
    status = SOP.ACTIVE
    is_current = True


class FlowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Flow

    sop = factory.SubFactory(SOPFactory)
    order = 1
    title = ""


class StepFactory(factory.django.DjangoModelFactory):
    """An SOP step with an explicit desk (no actor columns), numbered after the flow's last step."""

    class Meta:
        model = Step

    flow = factory.SubFactory(FlowFactory)
    no = factory.LazyAttribute(lambda step: Step.objects.filter(flow=step.flow).count() + 1)
    activity = factory.LazyAttribute(lambda step: f"Kegiatan uji {step.no}")
    desk = "petugas"
    time_text = "15 menit"
    time_min = 15
    time_max = 15
    time_unit = "minute"


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Branch

    step = factory.SubFactory(StepFactory)
    order = 1
    label = "Ya"
    action = BranchAction.NEXT
    step_no = None
