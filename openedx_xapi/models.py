"""The plugin's tables: consumers, anonymous actor ids, and rejected events."""
import uuid

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from encrypted_fields.fields import EncryptedCharField

PROTOCOL_CHOICES = [("xapi", "xAPI (Learning Record Store)"), ("caliper", "Caliper 1.2 (Sensor API endpoint)")]
AUTH_CHOICES = [("basic", "HTTP Basic (username and password)"), ("bearer", "Bearer token")]
XAPI_VERSION_CHOICES = [("1.0.3", "1.0.3"), ("2.0.0", "2.0.0")]
IDENTITY_CHOICES = [
    ("anonymous", "anonymous: a UUID per learner (edx-platform's ExternalId, or the plugin's own)"),
    ("hmac", "hmac: keyed HMAC-SHA256 of the user id (needs a secret)"),
    ("mbox_sha1sum", "mbox_sha1sum: SHA-1 of the learner's email address"),
    ("mbox", "mbox: the learner's email address (needs 'email' in PII)"),
    ("username", "username: an account named after the username (needs 'username' in PII)"),
]
RESTRICTIONS_HELP = (
    'A JSON object; each key is optional: "courses", "orgs", "sites" (LMS host names), "users" (user ids), '
    '"events" (names or patterns such as "edx.video.*"), "families" (as in the event-mapping docs), and the '
    'same with "exclude_" in front. A key that is ABSENT does not restrict. A key that is PRESENT lets through '
    'only what it lists, so an empty list lets NOTHING through. Excludes always win. '
    'Example: {"orgs": ["edX"], "exclude_events": ["edx.video.*"]}. Leave {} to send everything.')


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
    restrictions = models.JSONField(default=dict, blank=True, help_text=RESTRICTIONS_HELP)
    identity = models.CharField(max_length=20, choices=IDENTITY_CHOICES, default="anonymous",
                                help_text="How the learner appears in what this consumer receives.")
    identity_secret = EncryptedCharField(
        "HMAC secret", max_length=255, blank=True, null=True,
        help_text="The 'hmac' identity only: 16 characters or more. Stored encrypted.")
    pii = models.JSONField(
        "personal data allowed", default=list, blank=True,
        help_text='A JSON list of what this consumer may receive besides the anonymous actor: any of '
                  '"username", "email", "ip", "user_agent", "referer", "session". Default [] (none).')
    allow_http = models.BooleanField(
        "allow plain http", default=False,
        help_text="Only https endpoints are accepted, except on this machine (127.0.0.1, localhost, ::1). "
                  "Tick to allow plain http to another host: events then cross the network unencrypted.")
    batch_size = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text="At most this many statements per request (1-1000). Empty: the BATCH_SIZE setting (100).")
    batch_seconds = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0.0), MaxValueValidator(60.0)],
        help_text="A batch that is not full leaves this long after its first event (seconds). Empty: the "
                  "BATCH_SECONDS setting (0.2). The shortest among the consumers sets the pace of all.")
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.auth_type == "basic" and not self.username:
            errors["username"] = "Basic authentication needs a username."
        if self.auth_type == "bearer" and not self.token:
            errors["token"] = "Bearer authentication needs a token."
        if self.protocol == "caliper" and self.auth_type != "bearer":
            errors["auth_type"] = "The Caliper Sensor API authenticates with a bearer token."
        from openedx_xapi.consumers import ConsumerConfigError, declared_names, from_model
        if self.name in declared_names():
            errors["name"] = "A consumer of this name is declared in the OPENEDX_XAPI settings."
        if errors:
            raise ValidationError(errors)
        try:
            from_model(self)
        except ConsumerConfigError as error:
            raise ValidationError(str(error).split(": ", 1)[-1]) from None


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
    """An event that could not be read or translated, or a document that failed validation,
    and why. Never sent as it is (what a consumer refused is a :class:`DeadLetter`)."""

    MALFORMED = "malformed"
    UNTRANSLATABLE = "untranslatable"
    INVALID = "invalid"
    STAGES = [
        (MALFORMED, "malformed event (could not be read)"),
        (UNTRANSLATABLE, "event lacks what its mapping needs"),
        (INVALID, "document failed validation (quarantined)"),
    ]

    created = models.DateTimeField(auto_now_add=True, db_index=True)
    user_id = models.IntegerField(null=True, blank=True, db_index=True,
                                  help_text="The learner the event is about, when known (for retirement).")
    stage = models.CharField(max_length=20, choices=STAGES, db_index=True)
    consumer = models.CharField(max_length=100, blank=True, db_index=True)
    event_name = models.CharField(max_length=255, blank=True, db_index=True)
    reason = models.TextField()
    document = models.TextField(blank=True, help_text="The event or the document, as JSON.")

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return f"{self.get_stage_display()}: {self.event_name or '?'}"


class DeadLetter(models.Model):
    """Documents a consumer refused for good, or that stayed undeliverable after every retry.

    Never retried by itself: an operator retries or discards them in the admin, or replays
    them with ``manage.py lms openedx_xapi_replay_dead_letters``, once the cause is fixed.
    """

    created = models.DateTimeField(auto_now_add=True, db_index=True)
    consumer = models.CharField(max_length=100, db_index=True)
    event_name = models.CharField(max_length=255, blank=True, db_index=True)
    user_id = models.IntegerField(null=True, blank=True, db_index=True,
                                  help_text="The learner the documents are about, when known (for retirement).")
    documents = models.JSONField(help_text="The statements or Caliper events, exactly as they were sent.")
    reason = models.TextField(help_text="The consumer's answer, or what went wrong.")
    status_code = models.IntegerField(null=True, blank=True, help_text="The HTTP status of the last answer.")
    attempts = models.PositiveIntegerField(default=1)
    first_error_at = models.DateTimeField()
    last_error_at = models.DateTimeField()

    class Meta:
        ordering = ["-created"]
        verbose_name = "dead letter"

    def __str__(self):
        return f"{len(self.documents)} document(s) for {self.consumer}: {self.reason[:60]}"


CIRCUIT_CLOSED, CIRCUIT_OPEN, CIRCUIT_DRAINING = "closed", "open", "draining"
CIRCUIT_STATES = [(CIRCUIT_CLOSED, "closed"), (CIRCUIT_OPEN, "open"), (CIRCUIT_DRAINING, "draining")]


class ConsumerStatus(models.Model):
    """How delivery to one consumer goes (settings-declared consumers included, by name)."""

    consumer = models.CharField(max_length=100, unique=True)
    delivered = models.PositiveBigIntegerField(default=0, help_text="Documents the consumer accepted.")
    retried = models.PositiveBigIntegerField(default=0, help_text="Deliveries retried after a transient failure.")
    dead_lettered = models.PositiveBigIntegerField(default=0, help_text="Documents kept as dead letters.")
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    paused = models.BooleanField(
        default=False,
        help_text="Set when the consumer refused our credentials (401/403): nothing is sent to it, and what "
                  "comes meanwhile is dead-lettered, until an operator fixes the credentials and resumes it.")
    parked = models.PositiveBigIntegerField(default=0, help_text="Documents parked so far while the circuit was open.")
    circuit = models.CharField(
        max_length=10, choices=CIRCUIT_STATES, default=CIRCUIT_CLOSED,
        help_text="closed: deliveries go out. open: the consumer failed repeatedly; what comes is parked in the "
                  "database and the consumer is probed with backoff. draining: it answered a probe; the parked "
                  "documents are being sent, oldest first.")
    circuit_changed_at = models.DateTimeField(null=True, blank=True)
    failure_streak = models.PositiveIntegerField(
        default=0, help_text="Failed deliveries in a row (5xx, timeouts, connection errors); reset by a success.")
    next_probe_at = models.DateTimeField(null=True, blank=True)
    probes = models.PositiveIntegerField(default=0, help_text="Probes sent since the circuit opened.")
    lag_seconds = models.FloatField(
        null=True, blank=True,
        help_text="Seconds from the moment the LMS emitted the oldest event of the last delivered batch "
                  "to its delivery.")

    class Meta:
        verbose_name_plural = "consumer statuses"

    def __str__(self):
        return f"{self.consumer}: {'paused' if self.paused else 'active'}"


class ParkedBatch(models.Model):
    """Documents held for a consumer whose circuit is open; sent oldest first once it recovers."""

    consumer = models.CharField(max_length=100, db_index=True)
    documents = models.JSONField()
    user_ids = models.JSONField(default=list)
    emitted_at = models.DateTimeField(
        null=True, blank=True, help_text="When the LMS emitted the oldest event of the batch (for the lag).")
    parked_at = models.DateTimeField(auto_now_add=True)
    due_at = models.DateTimeField(
        null=True, blank=True, db_index=True,
        help_text="A retry waits until then; empty: it waits for the circuit to close.")
    attempts = models.PositiveIntegerField(default=0, help_text="Deliveries tried so far.")
    first_error_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    claimed_until = models.DateTimeField(
        null=True, blank=True,
        help_text="A process is sending the batch; the row goes once it is sent, re-parked or dead-lettered. "
                  "A claim that expires (its process died) lets another process send it.")

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "parked batches"

    def __str__(self):
        return f"{len(self.documents)} document(s) for {self.consumer}"
