import datetime

import factory

from agencies.models import Agency
from cases.models import Person


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
