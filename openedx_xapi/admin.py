"""Django admin: consumers and how delivery to each goes, what could not be delivered, and
the support lookup of anonymous ids. The pages beyond model lists and forms are in admin_views.py."""
import json
from functools import partial

import django
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_permission_codename
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from openedx_xapi import admin_views, consumers
from openedx_xapi.consumers import PII_FIELDS
from openedx_xapi.models import ActorId, Consumer, ConsumerStatus, DeadLetter, Rejection

_SECRET_FIELDS = ("password", "token", "identity_secret")


PII_LABELS = {
    "username": "username", "email": "email address", "ip": "IP address", "user_agent": "browser (user agent)",
    "referer": "referring page (referer)", "session": "session id",
}


def url_field_https(db_field, **kwargs):
    """Form fields as Django makes them, but a URL typed without a scheme is taken as https
    (Django 5 asks to choose; 6 will assume it). Consumers are https unless on this machine."""
    if isinstance(db_field, models.URLField) and django.VERSION >= (5, 0):
        kwargs.setdefault("assume_scheme", "https")
    return db_field.formfield(**kwargs)


class ConsumerForm(forms.ModelForm):
    """Secrets are write-only: the page never shows them, and a blank field keeps the stored one.
    Personal data is ticked in a list rather than typed as JSON."""

    pii = forms.MultipleChoiceField(
        label="Personal data allowed", required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(name, PII_LABELS.get(name, name)) for name in PII_FIELDS],
        help_text="What this consumer may receive besides the anonymous actor; none by default. The 'mbox' "
                  "identity needs the email address, the 'username' identity the username.")

    class Meta:
        model = Consumer
        fields = "__all__"
        formfield_callback = url_field_https
        widgets = {name: forms.PasswordInput(render_value=False) for name in _SECRET_FIELDS}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in _SECRET_FIELDS:
            stored = bool(self.instance.pk and getattr(self.instance, name))
            field = self.fields[name]
            field.required = False
            # A blank secret keeps the stored one: only a value typed in is a change (and the
            # admin's log then says "Changed password", never the value).
            field.has_changed = lambda initial, data: bool(data)
            if stored:
                field.help_text = f"{field.help_text} A value is stored; leave blank to keep it."

    def _clean_secret(self, name):
        value = self.cleaned_data.get(name)
        if not value and self.instance.pk:
            return getattr(Consumer.objects.get(pk=self.instance.pk), name) or ""
        return value

    def clean_password(self):
        return self._clean_secret("password")

    def clean_token(self):
        return self._clean_secret("token")

    def clean_pii(self):
        return list(self.cleaned_data.get("pii") or [])

    def clean_identity_secret(self):
        return self._clean_secret("identity_secret")

    def clean(self):
        """Keep only what the chosen authentication and identity use: a password left behind after
        switching to a token would be a secret that nobody sees and nothing needs."""
        cleaned = super().clean()
        if cleaned.get("auth_type") == "bearer":
            cleaned["username"], cleaned["password"] = "", ""
        elif cleaned.get("auth_type") == "basic":
            cleaned["token"] = ""
        if "identity" in cleaned and cleaned["identity"] != "hmac":
            cleaned["identity_secret"] = ""
        return cleaned


_STATUS_FIELDS = ("delivered", "retried", "parked", "dead_lettered", "last_success_at", "last_error_at",
                  "last_error", "lag_seconds", "circuit", "paused", "failure_streak", "next_probe_at", "probes")


def _status(consumer, field):
    """A status field annotated on the consumer by ``ConsumerAdmin.get_queryset`` (None: nothing sent yet)."""
    return getattr(consumer, f"status_{field}", None)


@admin.register(Consumer)
class ConsumerAdmin(admin.ModelAdmin):
    """Consumers added here, with how delivery to each goes, a connection test and their change log."""

    form = ConsumerForm
    change_form_template = "openedx_xapi/admin/consumer_change_form.html"
    change_list_template = "openedx_xapi/admin/consumer_change_list.html"
    list_display = ("name", "kind", "enabled", "restricted_to", "delivered", "retried", "parked",
                    "dead_lettered", "last_success", "last_error", "lag", "circuit", "modified")
    actions = ["resume_delivery"]
    list_filter = ("protocol", "enabled")
    search_fields = ("name", "url")
    fieldsets = (
        (None, {"fields": ("name", "enabled", "protocol", "url", "xapi_version")}),
        ("Authentication", {
            "fields": ("auth_type", "username", "password", "token"),
            "description": "xAPI: HTTP Basic (username and password) or a bearer token. Caliper: a bearer token. "
                           "Only the fields of the chosen authentication are used; the others are cleared."}),
        ("What it may receive", {"fields": ("restrictions", "guests")}),
        ("Identity and privacy", {"fields": ("identity", "identity_secret", "pii")}),
        ("Transport", {"fields": ("allow_http",)}),
    )
    status_fieldset = ("Delivery", {"fields": ("delivery_status",)})
    audit_fieldset = ("Changes", {"fields": ("recent_changes",)})
    readonly_fields = ("delivery_status", "recent_changes")

    class Media:
        js = ("openedx_xapi/admin/consumer_form.js",)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.URLField) and django.VERSION >= (5, 0):
            kwargs.setdefault("assume_scheme", "https")
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.fieldsets
        return (*self.fieldsets, self.status_fieldset, self.audit_fieldset)

    def get_queryset(self, request):
        """Each consumer with its delivery status, read in the same query (statuses are kept by name)."""
        statuses = ConsumerStatus.objects.filter(consumer=OuterRef("name"))
        return super().get_queryset(request).annotate(
            **{f"status_{field}": Subquery(statuses.values(field)[:1]) for field in _STATUS_FIELDS})

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("dashboard/", wrap(partial(admin_views.dashboard_view, self)), name="openedx_xapi_consumer_dashboard"),
            path("<path:object_id>/test-connection/", wrap(partial(admin_views.test_connection_view, self)),
                 name="openedx_xapi_consumer_test_connection"),
            *super().get_urls(),
        ]

    @admin.display(description="protocol", ordering="protocol")
    def kind(self, consumer):
        return "Caliper" if consumer.protocol == "caliper" else f"xAPI {consumer.xapi_version}"

    # -- the delivery status columns --
    @admin.display(description="delivered", ordering="status_delivered")
    def delivered(self, consumer):
        return _status(consumer, "delivered") or 0

    @admin.display(description="retried", ordering="status_retried")
    def retried(self, consumer):
        return _status(consumer, "retried") or 0

    @admin.display(description="parked", ordering="status_parked")
    def parked(self, consumer):
        return _status(consumer, "parked") or 0

    @admin.display(description="dead-lettered", ordering="status_dead_lettered")
    def dead_lettered(self, consumer):
        count = _status(consumer, "dead_lettered") or 0
        if not count:
            return 0
        url = reverse(f"{self.admin_site.name}:openedx_xapi_deadletter_changelist")
        return format_html('<a href="{}?consumer={}">{}</a>', url, consumer.name, count)

    @admin.display(description="last success", ordering="status_last_success_at")
    def last_success(self, consumer):
        when = _status(consumer, "last_success_at")
        return f"{when:%Y-%m-%d %H:%M:%S}" if when else "-"

    @admin.display(description="last error")
    def last_error(self, consumer):
        when = _status(consumer, "last_error_at")
        if when is None:
            return "-"
        error = _status(consumer, "last_error") or ""
        return format_html('<span title="{}">{}: {}</span>', error, f"{when:%Y-%m-%d %H:%M:%S}",
                           Truncator(error).chars(80))

    @admin.display(description="lag", ordering="status_lag_seconds")
    def lag(self, consumer):
        return admin_views.describe_lag(_status(consumer, "lag_seconds"))

    @admin.display(description="circuit", ordering="status_circuit")
    def circuit(self, consumer):
        if _status(consumer, "circuit") is None:
            return "closed"
        found = ConsumerStatus(**{field: _status(consumer, field) for field in _STATUS_FIELDS})
        return admin_views.describe_circuit(found)

    # -- the change page --
    @admin.display(description="delivery status")
    def delivery_status(self, consumer):
        found = ConsumerStatus.objects.filter(consumer=consumer.name).first()
        dashboard = reverse(f"{self.admin_site.name}:openedx_xapi_consumer_dashboard")
        return format_html('<p>{}</p><p><a href="{}">Dashboard</a></p>', describe_status(found), dashboard)

    @admin.display(description="recent changes")
    def recent_changes(self, consumer):
        """The admin's log for this consumer: who changed what, and when (the last ten)."""
        entries = LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Consumer), object_id=str(consumer.pk),
        ).select_related("user").order_by("-action_time")[:10]
        if not entries:
            return "No change recorded."
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((f"{entry.action_time:%Y-%m-%d %H:%M:%S}", entry.user.get_username() if entry.user else "?",
              entry.get_change_message() or entry.get_action_flag_display()) for entry in entries))
        history = reverse(f"{self.admin_site.name}:openedx_xapi_consumer_history", args=[consumer.pk])
        return format_html(
            '<table class="openedx-xapi-changes"><caption>The last changes, newest first</caption>'
            '<thead><tr><th scope="col">when (UTC)</th><th scope="col">who</th><th scope="col">what</th></tr>'
            '</thead><tbody>{}</tbody></table><p><a href="{}">Full history</a></p>', rows, history)

    @admin.action(description="Resume delivery to the selected consumers (after fixing their credentials)",
                  permissions=["change"])
    def resume_delivery(self, request, queryset):
        from openedx_xapi.router import status
        resumed = status.resume([consumer.name for consumer in queryset])
        for consumer in queryset:
            self.log_change(request, consumer, "Resumed delivery")
        self.message_user(request, f"{resumed} consumer(s) resumed; replay their dead letters to send what "
                                   "came meanwhile.", messages.SUCCESS)

    @admin.display(description="receives")
    def restricted_to(self, consumer):
        from openedx_xapi.filter.restrictions import RestrictionError, Restrictions
        try:
            return Restrictions.from_mapping(consumer.restrictions).describe()
        except RestrictionError as error:
            return f"invalid: {error}"


def _when(moment):
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC" if moment else "-"


def describe_status(found):
    if found is None:
        return "nothing sent yet"
    state = "PAUSED (credentials refused)" if found.paused else f"circuit {admin_views.describe_circuit(found)}"
    return (f"{state}; {found.delivered} delivered, {found.retried} retried, {found.parked} parked, "
            f"{found.dead_lettered} dead-lettered; lag {admin_views.describe_lag(found.lag_seconds)}; "
            f"last success {_when(found.last_success_at)}; last error {_when(found.last_error_at)}"
            + (f": {found.last_error[:200]}" if found.last_error else ""))


def may_change_consumers(request):
    """Whether the user may change (and so test) the consumers added in the admin."""
    opts = Consumer._meta
    return request.user.has_perm(f"{opts.app_label}.{get_permission_codename('change', opts)}")


@admin.register(ConsumerStatus)
class ConsumerStatusAdmin(admin.ModelAdmin):
    """Delivery status of every consumer, declared in settings or in the admin.

    Consumers declared in settings have no row of their own anywhere else, so their connection
    test is here: from the list (a link per consumer, and an action probing those selected),
    from a status's page, and for a declared consumer that nothing was sent to yet (no status
    row), from the list of declared consumers above the statuses."""

    change_list_template = "openedx_xapi/admin/consumerstatus_change_list.html"
    change_form_template = "openedx_xapi/admin/consumerstatus_change_form.html"
    list_display = ("consumer", "paused", "circuit", "delivered", "retried", "parked", "dead_lettered",
                    "last_success_at", "last_error_at", "lag", "short_error")
    list_filter = ("paused", "circuit")
    readonly_fields = [field.name for field in ConsumerStatus._meta.fields]
    actions = ["resume", "test_connections"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_test_connection_permission(self, request, obj=None):
        """Testing a consumer declared in settings needs the permission to change consumer statuses
        (as testing one added in the admin needs the permission to change it), although the
        statuses themselves are read-only here."""
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.{get_permission_codename('change', opts)}")

    def get_urls(self):
        return [
            path("declared/<path:name>/test-connection/",
                 self.admin_site.admin_view(partial(admin_views.settings_test_connection_view, self)),
                 name="openedx_xapi_consumerstatus_test_connection"),
            *super().get_urls(),
        ]

    def get_queryset(self, request):
        """Each status with the id of the consumer added in the admin under its name, if any."""
        added = Consumer.objects.filter(name=OuterRef("consumer"))
        return super().get_queryset(request).annotate(admin_consumer_pk=Subquery(added.values("pk")[:1]))

    def test_connection_url(self, request, name, admin_consumer_pk=None):
        """Where the consumer of this name is tested, if it still exists and the user may test it.
        A declaration in settings wins over a consumer of the same name in the admin, as in delivery."""
        site = self.admin_site.name
        if admin_views.declaration_of(name) is not None:
            if self.has_test_connection_permission(request):
                return reverse(f"{site}:openedx_xapi_consumerstatus_test_connection", args=[name])
            return None
        if admin_consumer_pk is not None and may_change_consumers(request):
            return reverse(f"{site}:openedx_xapi_consumer_test_connection", args=[admin_consumer_pk])
        return None

    def get_list_display(self, request):
        """The columns, and last a link to each consumer's connection test (which depends on what
        this user may test: so a column made per request, the admin being shared by all)."""
        @admin.display(description="connection")
        def connection_test(found):
            url = self.test_connection_url(request, found.consumer, found.admin_consumer_pk)
            if url is None:
                return "-"
            return format_html('<a href="{}" aria-label="test connection to {}">test</a>', url, found.consumer)
        return (*super().get_list_display(request), connection_test)

    def changelist_view(self, request, extra_context=None):
        """The consumers declared in settings, each with its connection test, above the statuses."""
        declared = []
        if self.has_test_connection_permission(request):
            site = self.admin_site.name
            declared = [(name, reverse(f"{site}:openedx_xapi_consumerstatus_test_connection", args=[name]))
                        for name in admin_views.declared_consumer_names()]
        return super().changelist_view(request, {**(extra_context or {}), "declared_consumers": declared})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        found = self.get_object(request, unquote(object_id))
        url = None
        if found is not None:
            url = self.test_connection_url(request, found.consumer, getattr(found, "admin_consumer_pk", None))
        return super().change_view(request, object_id, form_url,
                                   {**(extra_context or {}), "test_connection_url": url})

    @admin.display(description="last error")
    def short_error(self, found):
        return found.last_error[:120]

    @admin.display(description="lag", ordering="lag_seconds")
    def lag(self, found):
        return admin_views.describe_lag(found.lag_seconds)

    @admin.action(description="Resume delivery (after fixing the credentials)", permissions=["delete"])
    def resume(self, request, queryset):
        resumed = queryset.update(paused=False)
        self.message_user(request, f"{resumed} consumer(s) resumed.", messages.SUCCESS)

    @admin.action(description="Test the connection to the selected consumers (probe only, nothing sent)",
                  permissions=["test_connection"])
    def test_connections(self, request, queryset):
        """Probe each selected consumer; its page also offers to send a test statement."""
        may_test_added = may_change_consumers(request)
        for found in queryset:
            name = found.consumer
            declaration = admin_views.declaration_of(name)
            added = Consumer.objects.filter(name=name).first() if declaration is None else None
            if declaration is not None:
                config_of = partial(consumers.from_settings, declaration)
            elif added is not None and may_test_added:
                config_of = partial(consumers.from_model, added)
            elif added is not None:
                self.message_user(request, f"{name}: you may not test consumers added in the admin "
                                           "(that needs the permission to change them).", messages.WARNING)
                continue
            else:
                self.message_user(request, f"{name}: no longer configured; nothing to test.", messages.WARNING)
                continue
            try:
                result = admin_views.run_connection_test(config_of())
            except consumers.ConsumerConfigError as problem:
                self.message_user(request, f"{name}: its settings cannot be used: {problem}", messages.ERROR)
                continue
            self.log_change(request, found, f"Tested the connection: {result.summary()}")
            self.message_user(request, f"{name}: {result.summary()}",
                              messages.SUCCESS if result.ok else messages.ERROR)


@admin.register(Rejection)
class RejectionAdmin(admin.ModelAdmin):
    list_display = ("created", "stage", "consumer", "event_name", "short_reason")
    list_filter = ("stage", "consumer", "event_name")
    search_fields = ("reason", "event_name")
    readonly_fields = [field.name for field in Rejection._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="reason")
    def short_reason(self, rejection):
        return rejection.reason[:120]


@admin.register(ActorId)
class ActorIdAdmin(admin.ModelAdmin):
    list_display = ("user_id", "kind", "anonymous_id", "created")
    list_filter = ("kind",)
    search_fields = ("=user_id", "=anonymous_id")
    readonly_fields = ("user_id", "kind", "anonymous_id", "created")
    change_list_template = "openedx_xapi/admin/actorid_change_list.html"

    def get_urls(self):
        return [
            path("lookup/", self.admin_site.admin_view(partial(admin_views.learner_lookup_view, self)),
                 name="openedx_xapi_actorid_lookup"),
            *super().get_urls(),
        ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AnswerFilter(admin.SimpleListFilter):
    """Dead letters by the kind of answer the endpoint gave (the reason, in categories)."""

    title = "reason"
    parameter_name = "answer"
    CHOICES = {
        "refused": ("refused the documents (4xx)", Q(status_code__gte=400, status_code__lt=500)
                    & ~Q(status_code__in=(401, 403))),
        "credentials": ("refused our credentials (401, 403)", Q(status_code__in=(401, 403))
                        | Q(reason__startswith="the consumer is paused")),
        "unavailable": ("unavailable after every retry (5xx)", Q(status_code__gte=500)),
        "no_answer": ("no answer (timeout, connection)", Q(status_code__isnull=True)
                      & (Q(reason__startswith="timed out") | Q(reason__startswith="connection failed"))),
        "not_configured": ("consumer disabled or removed", Q(reason__startswith="the consumer is disabled")),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _query) in self.CHOICES.items()]

    def queryset(self, request, queryset):
        if self.value() in self.CHOICES:
            return queryset.filter(self.CHOICES[self.value()][1])
        return queryset


@admin.register(DeadLetter)
class DeadLetterAdmin(admin.ModelAdmin):
    """What a consumer refused or never took. Retried only when an operator says so."""

    change_form_template = "openedx_xapi/admin/deadletter_change_form.html"
    list_display = ("last_error_at", "consumer", "event_name", "document_count", "attempts", "status_code",
                    "short_reason")
    list_filter = ("consumer", AnswerFilter, "status_code", "event_name", "created")
    search_fields = ("reason", "event_name")
    date_hierarchy = "created"
    fields = ("consumer", "event_name", "user_id", "answer", "attempts", "first_error_at", "last_error_at",
              "created", "pretty_documents")
    readonly_fields = fields
    actions = ["retry_selected", "discard_selected"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/retry/", wrap(partial(admin_views.retry_dead_letter_view, self)),
                 name="openedx_xapi_deadletter_retry"),
            path("<path:object_id>/discard/", wrap(partial(admin_views.discard_dead_letter_view, self)),
                 name="openedx_xapi_deadletter_discard"),
            *super().get_urls(),
        ]

    @admin.display(description="documents")
    def document_count(self, letter):
        return len(letter.documents)

    @admin.display(description="reason")
    def short_reason(self, letter):
        return letter.reason[:120]

    @admin.display(description="the endpoint's answer")
    def answer(self, letter):
        status = f"HTTP {letter.status_code}" if letter.status_code else "no HTTP answer"
        return format_html("<p>{}</p><pre>{}</pre>", status, letter.reason)

    @admin.display(description="documents, as sent")
    def pretty_documents(self, letter):
        return format_html("<pre>{}</pre>", json.dumps(letter.documents, indent=2))

    @admin.action(description="Retry the selected dead letters (queue them for delivery again)",
                  permissions=["delete"])
    def retry_selected(self, request, queryset):
        from openedx_xapi.router.tasks import replay_dead_letters
        letters = list(queryset)
        admin_views.log_retries(request, letters)
        queued = replay_dead_letters(letters)
        self.message_user(request, f"{queued} dead letter(s) queued for delivery again.", messages.SUCCESS)

    @admin.action(description="Discard the selected dead letters", permissions=["delete"])
    def discard_selected(self, request, queryset):
        self.log_deletions(request, queryset)
        discarded = queryset.delete()[0]
        self.message_user(request, f"{discarded} dead letter(s) discarded.", messages.SUCCESS)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # "discard" says the same, in the operator's words
        return actions
