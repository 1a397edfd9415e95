"""NIK and KK numbers at rest: encrypted (Fernet), with a keyed hash (blind index) for exact search.

The keys come from DJANGO_FIELD_KEY (encryption) and DJANGO_INDEX_KEY (blind index), both required
in production: keep them as safe as the database backups; changing one makes stored numbers
unreadable (or unsearchable).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import FieldError
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.expressions import Expression
from django.db.models.lookups import Lookup


def _derive(key: str, purpose: str) -> bytes:
    return hmac.new(key.encode(), purpose.encode(), hashlib.sha256).digest()


@functools.lru_cache(maxsize=4)
def _fernet(key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derive(key, "sop-portal field encryption v1")))


def fernet() -> Fernet:
    return _fernet(settings.FIELD_ENCRYPTION_KEY)


def blind_index(value: str | None) -> str | None:
    """HMAC-SHA256 of the number: equal numbers give equal hashes, the hash does not give the number."""
    if not value:
        return None
    key = _derive(settings.FIELD_INDEX_KEY, "sop-portal blind index v1")
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


class EncryptedCharField(models.TextField):
    """Stores the value encrypted; only `isnull` can be looked up — search by its blind index field."""

    def from_db_value(self, value: str | None, expression: Expression, connection: BaseDatabaseWrapper) -> str | None:
        if value is None or value == "":
            return value
        try:
            return fernet().decrypt(value.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("Nomor terenkripsi tidak dapat dibaca: kunci DJANGO_FIELD_KEY berbeda?") from exc

    def get_prep_value(self, value: str | None) -> str | None:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return fernet().encrypt(value.encode()).decode()

    def get_lookup(self, lookup_name: str) -> type[Lookup] | None:
        if lookup_name != "isnull":
            raise FieldError(
                f"{self.name} terenkripsi: cari dengan {self.name}_hash (blind_index), bukan '{lookup_name}'."
            )
        return super().get_lookup(lookup_name)
