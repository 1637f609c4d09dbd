"""The admin pages that are not a model's list or form: the delivery dashboard, a consumer's
connection test, the learner <-> anonymous id lookup for support, and a dead letter's own
retry and discard buttons.

Each view takes the ``ModelAdmin`` that serves it and is wired in by that admin's
``get_urls`` (see admin.py), wrapped in ``admin_site.admin_view``. So the pages live under
whichever admin site registers the plugin's models (edx-platform's own admin included), with
its sign-in, its permissions and its look.
"""
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import wraps
from types import SimpleNamespace
from urllib.parse import urlsplit, urlunsplit

from django.contrib import messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from openedx_xapi import conf, consumers, identity, platform
from openedx_xapi.models import ActorId, Consumer, ConsumerStatus, DeadLetter, ParkedBatch, Rejection
from openedx_xapi.translator import TranslationContext
from openedx_xapi.translator.caliper import caliper_time
from openedx_xapi.translator.vocabulary import CALIPER_CONTEXT

# --- how a status reads -----------------------------------------------------------------


def describe_lag(seconds):
    """A lag for people: "0.4 s", "12 s", "3 min", "2.5 h"."""
    if seconds is None:
        return "-"
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def describe_circuit(found):
    """The circuit state, with what an operator needs to know about an open one."""
    if found is None:
        return "closed"
    if found.paused:
        return "paused (credentials refused)"
    if found.circuit == "open":
        text = f"OPEN after {found.failure_streak} failure(s) in a row; {found.probes} probe(s)"
        if found.next_probe_at:
            text += f", next at {found.next_probe_at:%H:%M:%S} UTC"
        return text
    if found.circuit == "draining":
        return "draining (sending what was parked)"
    if found.failure_streak:
        return f"closed ({found.failure_streak} failure(s) in a row)"
    return "closed"


def health(found):
    """One word for the row's state: ok, failing, open, draining, paused or idle."""
    if found is None:
        return "idle"
    if found.paused:
        return "paused"
    if found.circuit in ("open", "draining"):
        return found.circuit
    if found.failure_streak or (found.last_error_at and (not found.last_success_at
                                                         or found.last_error_at > found.last_success_at)):
        return "failing"
    return "ok"


@dataclass
class StatusRow:
    """One consumer on the dashboard: where it is declared, and how delivery to it goes."""

    name: str
    source: str  # "admin", "settings", or "removed" (a status left by a consumer that is gone)
    protocol: str
    url: str
    enabled: bool
    status: ConsumerStatus | None
    dead_letters: int
    waiting_batches: int
    consumer_pk: int | None = None

    @property
    def health(self):
        return health(self.status)

    @property
    def circuit(self):
        return describe_circuit(self.status)

    @property
    def lag(self):
        return describe_lag(self.status.lag_seconds if self.status else None)


def status_rows():
    """Every consumer known, from settings and from the admin, and every status left behind."""
    statuses = {found.consumer: found for found in ConsumerStatus.objects.all()}
    letters = dict(DeadLetter.objects.values_list("consumer").annotate(n=Count("id")).values_list("consumer", "n"))
    waiting = dict(ParkedBatch.objects.values_list("consumer").annotate(n=Count("id")).values_list("consumer", "n"))
    rows = {}
    for declaration in conf.get("CONSUMERS") or ():
        if isinstance(declaration, dict) and declaration.get("name"):
            name = declaration["name"]
            rows[name] = StatusRow(name, "settings", declaration.get("protocol", "xapi"), declaration.get("url", ""),
                                   bool(declaration.get("enabled", True)), statuses.get(name),
                                   letters.get(name, 0), waiting.get(name, 0))
    for consumer in Consumer.objects.all():
        if consumer.name not in rows:
            rows[consumer.name] = StatusRow(consumer.name, "admin", consumer.protocol, consumer.url, consumer.enabled,
                                            statuses.get(consumer.name), letters.get(consumer.name, 0),
                                            waiting.get(consumer.name, 0), consumer.pk)
    for name in set(statuses) | set(letters) | set(waiting):
        if name not in rows:
            rows[name] = StatusRow(name, "removed", "", "", False, statuses.get(name), letters.get(name, 0),
                                   waiting.get(name, 0))
    return sorted(rows.values(), key=lambda row: row.name)


def dashboard_view(model_admin, request):
    """Delivery to every consumer on one page."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    rows = status_rows()
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Delivery dashboard",
        "opts": model_admin.model._meta,
        "rows": rows,
        "rejections": Rejection.objects.count(),
        "problems": sum(1 for row in rows if row.health not in ("ok", "idle")),
        "now": datetime.now(timezone.utc),
    }
    return TemplateResponse(request, "openedx_xapi/admin/dashboard.html", context)


# --- testing a consumer's connection ----------------------------------------------------

TEST_ACTOR_NAME = "openedx-xapi-connection-test"


def test_document(config):
    """One statement (xAPI) or event (Caliper) that says only "the LMS tested this connection".

    Its actor is a fixed test account, never a learner, and its id is new on each test."""
    now = datetime.now(timezone.utc)
    root = conf.lms_root_url()
    activity = f"{root}/openedx-xapi/connection-test"
    if config.protocol == "caliper":
        return {
            "@context": CALIPER_CONTEXT,
            "id": f"urn:uuid:{uuid.uuid4()}",
            "type": "Event",
            "actor": {"id": f"{root}/user/{TEST_ACTOR_NAME}", "type": "SoftwareApplication"},
            "action": "Used",
            "object": {"id": activity, "type": "SoftwareApplication", "name": "openedx-xapi connection test"},
            "eventTime": caliper_time(now),
        }
    statement = {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "account": {"homePage": root, "name": TEST_ACTOR_NAME}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced", "display": {"en-US": "experienced"}},
        "object": {"objectType": "Activity", "id": activity,
                   "definition": {"name": {"en-US": "openedx-xapi connection test"}}},
        "timestamp": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }
    if config.xapi_version == "2.0.0":
        statement["version"] = "2.0.0"
    return statement


@dataclass
class ConnectionTest:
    """What a connection test found, in the words shown on the page."""

    up: bool
    probe_url: str
    probe_answer: str
    explanation: str
    sent: bool = False
    delivered: bool | None = None
    send_answer: str = ""
    document_id: str = ""

    @property
    def ok(self):
        return self.up and (not self.sent or bool(self.delivered))

    def summary(self):
        text = f"{'reachable' if self.up else 'NOT reachable'} ({self.probe_answer})"
        if self.sent:
            text += f"; test statement {'accepted' if self.delivered else 'NOT accepted'} ({self.send_answer})"
        return text


def explain_probe(config, result):
    if not result.up:
        return ("The endpoint did not answer, or answered that it is unavailable. Check the URL, that the "
                "service runs, and that this server may reach it.")
    if config.protocol == "xapi" and result.status == 404:
        return ("The LRS answered (it has no xAPI About resource, as Ralph does not; that is fine). Whether it "
                "accepts our credentials and statements shows when you also send a test statement.")
    if result.status in (401, 403):
        return "The endpoint answered but refused our credentials: check them."
    if config.protocol == "caliper" and result.status in (404, 405):
        return ("The endpoint answered (it does not take GET, which is usual for a Caliper endpoint). Send a "
                "test event to see whether it accepts our token and events.")
    return "The endpoint answered."


def hide_secrets(text, config):
    """``text`` with the consumer's secrets blotted out: an endpoint may quote our credentials
    back in its answer (some echo the request's headers), and the page must never show them."""
    for secret in (config.password, config.token, config.identity_secret):
        if secret:
            text = text.replace(secret, "[hidden]")
    return text


def run_connection_test(config, send_test_document=False):
    """Probe the consumer (a :class:`~openedx_xapi.consumers.ConsumerConfig`), and with
    ``send_test_document`` POST one test statement to it."""
    from openedx_xapi.router import client
    found = client.probe(config)
    result = ConnectionTest(found.up, found.url, hide_secrets(found.reason, config), explain_probe(config, found))
    if send_test_document:
        document = test_document(config)
        outcome = client.send(config, [document])
        result.sent, result.delivered, result.document_id = True, outcome.delivered, document["id"]
        if outcome.delivered:
            result.send_answer = f"HTTP {outcome.status}" + (f", {outcome.reason}" if outcome.reason else "")
        else:
            result.send_answer = outcome.reason or "refused"
        result.send_answer = hide_secrets(result.send_answer, config)
    return result


def shown_url(url):
    """The URL as the page may show it: without a ``user:password@`` part (which the consumer's
    check refuses, but a declaration in settings may still hold)."""
    parts = urlsplit(url or "")
    if parts.username is None and parts.password is None:
        return url or ""
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


@dataclass
class TestedConsumer:
    """What the connection test page shows of a consumer, wherever it is declared."""

    name: str
    protocol: str
    url: str
    source: str  # "admin" or "settings"
    page_url: str | None  # its page in the admin, if it has one

    @property
    def document_kind(self):
        return "event" if self.protocol == "caliper" else "statement"


def connection_test_page(model_admin, request, tested, config_of, log_on=None):
    """The form (GET), or the test and what it found (POST), for one consumer.

    ``config_of()`` makes its :class:`~openedx_xapi.consumers.ConsumerConfig` (or raises
    ``ConsumerConfigError``, shown as such); ``log_on``, when given, is the object whose admin
    log records the test."""
    result = error = None
    send_test = False
    if request.method == "POST":
        send_test = request.POST.get("send_test_statement") == "on"
        try:
            result = run_connection_test(config_of(), send_test)
        except consumers.ConsumerConfigError as problem:
            error = str(problem)
        else:
            if log_on is not None:
                model_admin.log_change(request, log_on, f"Tested the connection: {result.summary()}")
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Test the connection to {tested.name}",
        "opts": model_admin.model._meta,
        "tested": tested,
        "result": result,
        "error": error,
        "send_test": send_test,
        "document_kind": tested.document_kind,
    }
    return TemplateResponse(request, "openedx_xapi/admin/test_connection.html", context)


def test_connection_view(model_admin, request, object_id):
    """A consumer added in the admin: needs the permission to change it."""
    consumer = model_admin.get_object(request, unquote(object_id))
    if consumer is None:
        raise Http404("No such consumer.")
    if not model_admin.has_change_permission(request, consumer):
        raise PermissionDenied
    page_url = reverse(f"{model_admin.admin_site.name}:openedx_xapi_consumer_change", args=[consumer.pk])
    tested = TestedConsumer(consumer.name, consumer.protocol, shown_url(consumer.url), "admin", page_url)
    return connection_test_page(model_admin, request, tested, lambda: consumers.from_model(consumer), consumer)


def declaration_of(name):
    """The dict declaring consumer ``name`` in ``OPENEDX_XAPI["CONSUMERS"]``, or None."""
    for declaration in conf.get("CONSUMERS") or ():
        if isinstance(declaration, dict) and declaration.get("name") == name:
            return declaration
    return None


def declared_consumer_names():
    """The names of the consumers declared in settings, in their order there."""
    return [declaration["name"] for declaration in conf.get("CONSUMERS") or ()
            if isinstance(declaration, dict) and declaration.get("name")]


def settings_test_connection_view(model_admin, request, name):
    """A consumer declared in settings (served by the consumer statuses' admin, since such a
    consumer has no row of its own): needs the permission to change consumer statuses.

    The test uses the declaration as it is in this process's settings, and does not need a
    status row (a consumer nothing was sent to yet has none); when there is one, its admin log
    records the test."""
    if not model_admin.has_test_connection_permission(request):
        raise PermissionDenied
    declaration = declaration_of(name)
    if declaration is None:
        raise Http404("No consumer of this name is declared in the OPENEDX_XAPI settings.")
    found = ConsumerStatus.objects.filter(consumer=name).first()
    page_url = None
    if found is not None:
        page_url = reverse(f"{model_admin.admin_site.name}:openedx_xapi_consumerstatus_change", args=[found.pk])
    tested = TestedConsumer(name, declaration.get("protocol", "xapi"), shown_url(str(declaration.get("url", ""))),
                            "settings", page_url)
    return connection_test_page(model_admin, request, tested, lambda: consumers.from_settings(declaration), found)


# --- support: a learner's anonymous ids, and back ---------------------------------------

class _StoredIdsOnly:
    """The learner lookups of ``identity.StoredActorIds``, reading only: a support lookup must
    never create an anonymous id for a learner who has none."""

    def __init__(self, user):
        self.user = user

    def actor_id(self, event, kind):
        return stored_anonymous_id(self.user.pk, kind)

    def user_id_for(self, username):
        return self.user.pk if username == self.user.get_username() else None

    def username(self, user_id):
        return self.user.get_username()

    def email(self, user_id):
        return getattr(self.user, "email", "") or None


def stored_anonymous_id(user_id, kind):
    """The learner's anonymous id of this kind, as the LMS keeps it, or None (never created here)."""
    found = (platform.external_user_ids([user_id], kind) or {}).get(user_id)
    if found:
        return found
    found = ActorId.objects.filter(user_id=user_id, kind=kind).values_list("anonymous_id", flat=True).first()
    return str(found) if found else None


def actor_of(user, config):
    """What ``config``'s consumer receives as this learner's actor (None: it has not been made yet)."""
    ctx = TranslationContext(lms_root_url=conf.lms_root_url(), actor_ids=_StoredIdsOnly(user),
                             pii=config.pii, identity=config.identity, identity_secret=config.identity_secret)
    event = SimpleNamespace(is_guest=False, user_id=user.pk, username=user.get_username(), session=None)
    try:
        _agent, _person, key = identity.learner(event, ctx, config.protocol)
    except identity.UnknownLearner:
        return None
    return key


def find_learner(text):
    """The user named by a user id, a username or an email address, or None."""
    users = get_user_model().objects
    text = text.strip()
    if text.isdigit():
        found = users.filter(pk=int(text)).first()
        if found:
            return found
    return users.filter(username=text).first() or (users.filter(email__iexact=text).first() if "@" in text else None)


def learner_of_anonymous_id(text):
    """``(user id, kind, where)`` for an anonymous id the LMS keeps, or None."""
    try:
        value = uuid.UUID(text.strip().removeprefix("urn:uuid:"))
    except ValueError:
        return None
    found = platform.learner_of_external_id(value)
    if found:
        return found[0], found[1], "edx-platform's external ids"
    found = ActorId.objects.filter(anonymous_id=value).values_list("user_id", "kind").first()
    if found:
        return found[0], found[1], "the plugin's anonymous ids"
    return None


def learner_report(user):
    """The learner's anonymous ids by kind, what each consumer receives, and what is kept about them."""
    kinds = [(kind, stored_anonymous_id(user.pk, kind)) for kind in identity.KINDS]
    receives = []
    for config in consumers.get_consumers():
        receives.append((config.name, config.protocol, config.identity, actor_of(user, config)))
    kept = {
        "dead_letters": DeadLetter.objects.filter(user_id=user.pk).count(),
        "rejections": Rejection.objects.filter(user_id=user.pk).count(),
    }
    return {"user": user, "kinds": kinds, "receives": receives, "kept": kept}


def learner_lookup_view(model_admin, request):
    """Support: from a learner to their anonymous ids (for a data-subject request), and back.

    Needs the permission to view anonymous ids (``openedx_xapi.view_actorid``)."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    learner_query = request.GET.get("learner", "").strip()
    anonymous_query = request.GET.get("anonymous_id", "").strip()
    report = reverse_found = None
    not_found = ""
    if learner_query:
        user = find_learner(learner_query)
        if user is None:
            not_found = f"No learner has the id, username or email address {learner_query!r}."
        else:
            report = learner_report(user)
    elif anonymous_query:
        found = learner_of_anonymous_id(anonymous_query)
        if found is None:
            not_found = (f"{anonymous_query!r} is none of the anonymous ids the LMS keeps. (Ids of the 'hmac', "
                         "'mbox_sha1sum' and 'username' identities are not kept: look the learner up instead.)")
        else:
            user_id, kind, where = found
            user = get_user_model().objects.filter(pk=user_id).first()
            reverse_found = {"user_id": user_id, "kind": kind, "where": where, "user": user}
            if user is not None:
                report = learner_report(user)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Find a learner's anonymous ids",
        "opts": model_admin.model._meta,
        "learner_query": learner_query,
        "anonymous_query": anonymous_query,
        "report": report,
        "reverse_found": reverse_found,
        "not_found": not_found,
    }
    return TemplateResponse(request, "openedx_xapi/admin/learner_lookup.html", context)


# --- one dead letter ------------------------------------------------------------------------

def post_only(view):
    """Answer 405 to anything but a POST (``require_POST`` cannot wrap a view whose first
    argument is the model admin)."""
    @wraps(view)
    def wrapper(model_admin, request, *args, **kwargs):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return view(model_admin, request, *args, **kwargs)
    return wrapper


def log_retries(request, letters):
    """Record in the admin's log who retried which dead letters (retrying deletes them)."""
    LogEntry.objects.log_actions(request.user.pk, list(letters), CHANGE,
                                 change_message="Retried: queued for delivery again")


def _dead_letter_for_action(model_admin, request, object_id):
    """The dead letter a POST asks to retry or discard, if the user may delete it."""
    letter = model_admin.get_object(request, unquote(object_id))
    if letter is None:
        raise Http404("No such dead letter.")
    if not model_admin.has_delete_permission(request, letter):
        raise PermissionDenied
    return letter


@post_only
def retry_dead_letter_view(model_admin, request, object_id):
    from openedx_xapi.router.tasks import replay_dead_letters
    letter = _dead_letter_for_action(model_admin, request, object_id)
    description = str(letter)
    log_retries(request, [letter])
    replay_dead_letters([letter])
    model_admin.message_user(request, f"Queued for delivery again: {description}", messages.SUCCESS)
    return HttpResponseRedirect(reverse(f"{model_admin.admin_site.name}:openedx_xapi_deadletter_changelist"))


@post_only
def discard_dead_letter_view(model_admin, request, object_id):
    letter = _dead_letter_for_action(model_admin, request, object_id)
    description = str(letter)
    model_admin.log_deletions(request, [letter])
    letter.delete()
    model_admin.message_user(request, f"Discarded: {description}", messages.SUCCESS)
    return HttpResponseRedirect(reverse(f"{model_admin.admin_site.name}:openedx_xapi_deadletter_changelist"))
