"""Stand-in for edx-platform's external user ids: the same two tables, queried the same way.

ERB asks ``ExternalId.add_new_user_id(user, type)`` for the actor of every statement
(behind a 128-entry ``lru_cache``), and edx-platform answers with a get_or_create on
these tables, so the stand-in does too (on SQLite here, a MySQL server in an LMS).
"""
import uuid

from django.conf import settings
from django.db import models


class ExternalIdType(models.Model):
    LTI = "lti"
    XAPI = "xapi"
    CALIPER = "caliper"

    name = models.CharField(max_length=32, unique=True)


class ExternalId(models.Model):
    external_user_id = models.UUIDField(default=uuid.uuid4, unique=True)
    external_id_type = models.ForeignKey(ExternalIdType, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)

    class Meta:
        unique_together = (("user", "external_id_type"),)

    @classmethod
    def add_new_user_id(cls, user, type_name):
        """``(external id, created)``, or ``(None, False)`` for an unknown type (as edx-platform does)."""
        try:
            id_type = ExternalIdType.objects.get(name=type_name)
        except ExternalIdType.DoesNotExist:
            return None, False
        return cls.objects.get_or_create(user=user, external_id_type=id_type)
