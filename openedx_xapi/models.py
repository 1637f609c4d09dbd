"""The plugin's tables: consumers, anonymous actor ids, and rejected events."""
import uuid

from django.core.exceptions import ValidationError
from django.db import models
from encrypted_fields.fields import EncryptedCharField

PROTOCOL_CHOICES = [("xapi", "xAPI (Learning Record Store)"), ("caliper", "Caliper 1.2 (Sensor API endpoint)")]
AUTH_CHOICES = [("basic", "HTTP Basic (username and password)"), ("bearer", "Bearer token")]
XAPI_VERSION_CHOICES = [("1.0.3", "1.0.3"), ("2.0.0", "2.0.0")]


class Consumer(models.Model):
    """An external system that receives learner events (OEP-26's "consumer")."""

    name = models.SlugField(max_length=100, unique=True,
                            help_text="A short unique name, used in logs and in the dead-letter store.")
    enabled = models.BooleanField(default=True, help_text="Untick to stop sending without losing the settings.")
    protocol = models.CharField(max_length=10, choices=PROTOCOL_CHOICES, default="xapi")
    url = models.URLField(
        "endpoint URL", max_length=500,
        help_text="xAPI: the LRS's base URL ending in /xAPI/ or similar (statements are POSTed to "
                  "<url>statements). Caliper: the full Sensor API endpoint URL.")
    xapi_version = models.CharField("xAPI version", max_length=10, choices=XAPI_VERSION_CHOICES,
                                    default="1.0.3", help_text="xAPI consumers only.")
    auth_type = models.CharField("authentication", max_length=10, choices=AUTH_CHOICES, default="basic")
    username = models.CharField(max_length=255, blank=True, help_text="Basic authentication only.")
    password = EncryptedCharField(max_length=255, blank=True, null=True,
                                  help_text="Basic authentication only. Stored encrypted.")
    token = EncryptedCharField(max_length=2000, blank=True, null=True,
                               help_text="Bearer authentication only. Stored encrypted.")
    guests = models.BooleanField(
        "send guests' events", default=False,
        help_text="Also send events of visitors who are not signed in, each visit as one anonymous actor.")
    courses = models.TextField(
        blank=True,
        help_text="Course run ids this consumer may receive, one per line. Empty: every course.")
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def course_list(self):
        return [line.strip() for line in self.courses.splitlines() if line.strip()]

    def clean(self):
        errors = {}
        if self.auth_type == "basic" and not self.username:
            errors["username"] = "Basic authentication needs a username."
        if self.auth_type == "bearer" and not self.token:
            errors["token"] = "Bearer authentication needs a token."
        if self.protocol == "caliper" and self.auth_type != "bearer":
            errors["auth_type"] = "The Caliper Sensor API authenticates with a bearer token."
        from openedx_xapi.consumers import declared_names
        if self.name in declared_names():
            errors["name"] = "A consumer of this name is declared in the OPENEDX_XAPI settings."
        if errors:
            raise ValidationError(errors)


class ActorId(models.Model):
    """The anonymous id of a learner for one kind of consumer, outside edx-platform.

    Inside edx-platform the LMS's own ExternalId table is used instead (see platform.py).
    """

    user_id = models.IntegerField()
    kind = models.CharField(max_length=20)
    anonymous_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user_id", "kind"], name="openedx_xapi_actor_unique")]

    def __str__(self):
        return f"{self.kind} id of user {self.user_id}"


class Rejection(models.Model):
    """An event or document that was not delivered, and why. Never sent as it is."""

    MALFORMED = "malformed"
    UNTRANSLATABLE = "untranslatable"
    INVALID = "invalid"
    UNDELIVERABLE = "undeliverable"
    STAGES = [
        (MALFORMED, "malformed event (could not be read)"),
        (UNTRANSLATABLE, "event lacks what its mapping needs"),
        (INVALID, "document failed validation (quarantined)"),
        (UNDELIVERABLE, "consumer refused or was unreachable"),
    ]

    created = models.DateTimeField(auto_now_add=True, db_index=True)
    stage = models.CharField(max_length=20, choices=STAGES, db_index=True)
    consumer = models.CharField(max_length=100, blank=True, db_index=True)
    event_name = models.CharField(max_length=255, blank=True, db_index=True)
    reason = models.TextField()
    document = models.TextField(blank=True, help_text="The event or the document, as JSON.")

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return f"{self.get_stage_display()}: {self.event_name or '?'}"
