"""Django admin: consumers, and what could not be delivered."""
import json

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html

from openedx_xapi.models import ActorId, Consumer, ConsumerStatus, DeadLetter, Rejection

_SECRET_FIELDS = ("password", "token", "identity_secret")


class ConsumerForm(forms.ModelForm):
    """Secrets are write-only: the page never shows them, and a blank field keeps the stored one."""

    class Meta:
        model = Consumer
        fields = "__all__"
        widgets = {name: forms.PasswordInput(render_value=False) for name in _SECRET_FIELDS}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in _SECRET_FIELDS:
            stored = bool(self.instance.pk and getattr(self.instance, name))
            field = self.fields[name]
            field.required = False
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

    def clean_identity_secret(self):
        return self._clean_secret("identity_secret")


@admin.register(Consumer)
class ConsumerAdmin(admin.ModelAdmin):
    form = ConsumerForm
    list_display = ("name", "protocol", "url", "enabled", "restricted_to", "delivery", "modified")
    actions = ["resume_delivery"]
    list_filter = ("protocol", "enabled")
    search_fields = ("name", "url")
    fieldsets = (
        (None, {"fields": ("name", "enabled", "protocol", "url", "xapi_version")}),
        ("Authentication", {"fields": ("auth_type", "username", "password", "token")}),
        ("What it may receive", {"fields": ("restrictions", "guests")}),
        ("Identity and privacy", {"fields": ("identity", "identity_secret", "pii")}),
        ("Transport", {"fields": ("allow_http",)}),
    )

    @admin.display(description="delivery")
    def delivery(self, consumer):
        found = ConsumerStatus.objects.filter(consumer=consumer.name).first()
        return describe_status(found)

    @admin.action(description="Resume delivery to the selected consumers (after fixing their credentials)",
                  permissions=["change"])
    def resume_delivery(self, request, queryset):
        from openedx_xapi.router import status
        resumed = status.resume([consumer.name for consumer in queryset])
        self.message_user(request, f"{resumed} consumer(s) resumed; replay their dead letters to send what "
                                   "came meanwhile.", messages.SUCCESS)

    @admin.display(description="receives")
    def restricted_to(self, consumer):
        from openedx_xapi.filter.restrictions import RestrictionError, Restrictions
        try:
            return Restrictions.from_mapping(consumer.restrictions).describe()
        except RestrictionError as error:
            return f"invalid: {error}"


def describe_status(found):
    if found is None:
        return "nothing sent yet"
    state = "PAUSED (credentials refused)" if found.paused else "active"
    return f"{state}; {found.delivered} delivered, {found.retried} retried, {found.dead_lettered} dead-lettered"


@admin.register(ConsumerStatus)
class ConsumerStatusAdmin(admin.ModelAdmin):
    """Delivery status of every consumer, declared in settings or in the admin."""

    list_display = ("consumer", "paused", "delivered", "retried", "dead_lettered", "last_success_at",
                    "last_error_at", "short_error")
    list_filter = ("paused",)
    readonly_fields = [field.name for field in ConsumerStatus._meta.fields]
    actions = ["resume"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="last error")
    def short_error(self, found):
        return found.last_error[:120]

    @admin.action(description="Resume delivery (after fixing the credentials)", permissions=["delete"])
    def resume(self, request, queryset):
        resumed = queryset.update(paused=False)
        self.message_user(request, f"{resumed} consumer(s) resumed.", messages.SUCCESS)


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

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DeadLetter)
class DeadLetterAdmin(admin.ModelAdmin):
    """What a consumer refused or never took. Retried only when an operator says so."""

    list_display = ("last_error_at", "consumer", "event_name", "document_count", "attempts", "status_code",
                    "short_reason")
    list_filter = ("consumer", "status_code", "event_name", "created")
    search_fields = ("reason", "event_name")
    date_hierarchy = "created"
    readonly_fields = ("created", "consumer", "event_name", "user_id", "reason", "status_code", "attempts",
                       "first_error_at", "last_error_at", "pretty_documents")
    exclude = ("documents",)
    actions = ["retry_selected", "discard_selected"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="documents")
    def document_count(self, letter):
        return len(letter.documents)

    @admin.display(description="reason")
    def short_reason(self, letter):
        return letter.reason[:120]

    @admin.display(description="documents, as sent")
    def pretty_documents(self, letter):
        return format_html("<pre>{}</pre>", json.dumps(letter.documents, indent=2))

    @admin.action(description="Retry the selected dead letters (queue them for delivery again)",
                  permissions=["delete"])
    def retry_selected(self, request, queryset):
        from openedx_xapi.router.tasks import replay_dead_letters
        queued = replay_dead_letters(queryset)
        self.message_user(request, f"{queued} dead letter(s) queued for delivery again.", messages.SUCCESS)

    @admin.action(description="Discard the selected dead letters", permissions=["delete"])
    def discard_selected(self, request, queryset):
        discarded = queryset.delete()[0]
        self.message_user(request, f"{discarded} dead letter(s) discarded.", messages.SUCCESS)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # "discard" says the same, in the operator's words
        return actions
