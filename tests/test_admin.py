"""The Django admin of the plugin, through the real admin site and Django's test client:
consumers (secrets are write-only and stored encrypted), rejections and actor ids (read-only)."""
import base64
import json
import re

import pytest
from django.db import connection
from django.urls import reverse

from openedx_xapi.models import ActorId, Consumer, Rejection

pytestmark = [pytest.mark.django_db]

ADD_URL = "/admin/openedx_xapi/consumer/add/"
PASSWORD = "s3cret-Pa55word-for-the-LRS"
TOKEN = "bearer-token-0123456789abcdef"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The admin user's password is hashed once per test; MD5 keeps that quick (test-only)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def change_url(consumer):
    return f"/admin/openedx_xapi/consumer/{consumer.pk}/change/"


def form_data(**overrides):
    data = {
        "name": "lrs",
        "enabled": "on",
        "protocol": "xapi",
        "url": "https://lrs.example.com/xAPI/",
        "xapi_version": "1.0.3",
        "auth_type": "basic",
        "username": "openedx",
        "password": PASSWORD,
        "token": "",
        "restrictions": "{}",
        "identity": "anonymous",
        "identity_secret": "",
        "pii": "[]",
        "_save": "Save",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def raw_column(consumer, column):
    """The value as stored in the database, bypassing the model field's decryption."""
    table = connection.ops.quote_name(Consumer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {connection.ops.quote_name(column)} FROM {table} WHERE id = %s", [consumer.pk])
        return cursor.fetchone()[0]


def input_tag(html, name):
    tags = re.findall(rf'<input[^>]*\bname="{name}"[^>]*>', html)
    assert len(tags) == 1, tags
    return tags[0]


def add_consumer(admin_client, **overrides):
    response = admin_client.post(ADD_URL, form_data(**overrides))
    assert response.status_code == 302, response.content.decode()[:3000]
    return Consumer.objects.get(name=overrides.get("name", "lrs"))


def test_the_add_form_renders_with_masked_secret_inputs(admin_client):
    response = admin_client.get(ADD_URL)
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("name", "url", "username"):
        assert 'type="password"' not in input_tag(html, name)
    assert 'type="password"' in input_tag(html, "password")
    assert 'type="password"' in input_tag(html, "token")
    assert '<select name="protocol"' in html and '<select name="auth_type"' in html
    assert "Authentication" in html and "Restrictions" in html


def test_adding_a_basic_auth_consumer_stores_the_password_encrypted(admin_client):
    consumer = add_consumer(admin_client)

    assert consumer.protocol == "xapi" and consumer.auth_type == "basic"
    assert consumer.username == "openedx"
    assert consumer.url == "https://lrs.example.com/xAPI/"
    assert consumer.password == PASSWORD  # the model field decrypts it
    stored = raw_column(consumer, "password")
    assert stored and stored != PASSWORD
    assert PASSWORD not in stored
    assert stored.startswith("gAAAAA")  # a Fernet token


def test_the_change_page_never_shows_the_password(admin_client):
    consumer = add_consumer(admin_client)
    stored = raw_column(consumer, "password")

    response = admin_client.get(change_url(consumer))
    assert response.status_code == 200
    html = response.content.decode()
    assert PASSWORD not in html
    assert stored not in html
    tag = input_tag(html, "password")
    assert 'type="password"' in tag
    assert "value=" not in tag
    assert "A value is stored; leave blank to keep it." in html


def test_a_blank_password_on_the_change_form_keeps_the_stored_one(admin_client):
    consumer = add_consumer(admin_client)
    stored = raw_column(consumer, "password")

    response = admin_client.post(change_url(consumer), form_data(password="", url="https://lrs2.example.com/xAPI/"))
    assert response.status_code == 302, response.content.decode()[:3000]

    consumer.refresh_from_db()
    assert consumer.url == "https://lrs2.example.com/xAPI/"  # the other change was saved
    assert consumer.password == PASSWORD
    # Fernet re-encrypts with a fresh IV on every save, so the ciphertext may change; the
    # stored value must still be encrypted, never the plain (or blank) text.
    assert raw_column(consumer, "password") not in ("", None, PASSWORD)
    assert raw_column(consumer, "password").startswith("gAAAAA") and stored.startswith("gAAAAA")


def test_a_new_password_on_the_change_form_replaces_the_stored_one(admin_client):
    consumer = add_consumer(admin_client)
    old_stored = raw_column(consumer, "password")

    response = admin_client.post(change_url(consumer), form_data(password="a-brand-new-password"))
    assert response.status_code == 302, response.content.decode()[:3000]

    consumer.refresh_from_db()
    assert consumer.password == "a-brand-new-password"
    new_stored = raw_column(consumer, "password")
    assert new_stored != old_stored
    assert "a-brand-new-password" not in new_stored
    html = admin_client.get(change_url(consumer)).content.decode()
    assert "a-brand-new-password" not in html and PASSWORD not in html


def test_a_bearer_token_is_stored_encrypted_and_never_shown(admin_client):
    consumer = add_consumer(admin_client, name="caliper", protocol="caliper", url="https://caliper.example.com/sensor",
                            auth_type="bearer", username="", password="", token=TOKEN)
    assert consumer.token == TOKEN
    stored = raw_column(consumer, "token")
    assert stored and TOKEN not in stored

    html = admin_client.get(change_url(consumer)).content.decode()
    assert TOKEN not in html and stored not in html
    assert "value=" not in input_tag(html, "token")

    response = admin_client.post(change_url(consumer), form_data(
        name="caliper", protocol="caliper", url="https://caliper.example.com/sensor",
        auth_type="bearer", username="", password="", token=""))
    assert response.status_code == 302, response.content.decode()[:3000]
    consumer.refresh_from_db()
    assert consumer.token == TOKEN


@pytest.mark.parametrize("overrides, field, message", [
    ({"username": ""}, "username", "Basic authentication needs a username."),
    ({"protocol": "caliper"}, "auth_type", "The Caliper Sensor API authenticates with a bearer token."),
    ({"auth_type": "bearer", "token": ""}, "token", "Bearer authentication needs a token."),
], ids=["basic-without-username", "caliper-with-basic", "bearer-without-token"])
def test_invalid_consumers_are_refused_with_a_message(admin_client, overrides, field, message):
    response = admin_client.post(ADD_URL, form_data(**overrides))

    assert response.status_code == 200  # the form again, with its errors
    assert not Consumer.objects.exists()
    form = response.context["adminform"].form
    assert message in form.errors.get(field, []), form.errors
    html = response.content.decode()
    assert "errornote" in html
    assert message in html
    assert PASSWORD not in html  # the submitted secret is not echoed back either


def test_a_name_declared_in_settings_is_refused(admin_client, use_consumers):
    use_consumers({"name": "lrs", "url": "https://other.example.com/xAPI/",
                   "auth": {"username": "u", "password": "p"}})
    response = admin_client.post(ADD_URL, form_data())
    assert response.status_code == 200
    assert not Consumer.objects.exists()
    assert "A consumer of this name is declared in the OPENEDX_XAPI settings." in response.content.decode()


# --- rejections and actor ids -------------------------------------------------------------

def make_rejections():
    Rejection.objects.create(stage=Rejection.UNTRANSLATABLE, consumer="lrs",
                             event_name="edx.course.enrollment.activated",
                             reason="missing course_id", document="{}")
    Rejection.objects.create(stage=Rejection.INVALID, consumer="caliper", event_name="problem_check",
                             reason="data[0].actor: missing", document="{}")


def test_the_rejection_changelist_renders_with_its_filters(admin_client):
    make_rejections()
    response = admin_client.get("/admin/openedx_xapi/rejection/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="changelist-filter"' in html
    for query in ("stage__exact=untranslatable", "stage__exact=invalid", "consumer=lrs", "consumer=caliper",
                  "event_name=problem_check"):
        assert query in html, query
    assert "missing course_id" in html and "data[0].actor: missing" in html

    filtered = admin_client.get("/admin/openedx_xapi/rejection/", {"stage__exact": "invalid"})
    assert filtered.status_code == 200
    assert list(filtered.context["cl"].result_list) == list(Rejection.objects.filter(stage="invalid"))
    assert "missing course_id" not in filtered.content.decode()


def test_rejections_cannot_be_added_or_changed(admin_client):
    make_rejections()
    rejection = Rejection.objects.get(stage="untranslatable")
    changelist = admin_client.get("/admin/openedx_xapi/rejection/").content.decode()
    assert "/admin/openedx_xapi/rejection/add/" not in changelist

    assert admin_client.get("/admin/openedx_xapi/rejection/add/").status_code == 403
    assert admin_client.post("/admin/openedx_xapi/rejection/add/", {
        "stage": "invalid", "reason": "forged", "document": "{}"}).status_code == 403

    url = f"/admin/openedx_xapi/rejection/{rejection.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200  # viewable
    assert 'name="_save"' not in page.content.decode()
    assert admin_client.post(url, {"stage": "invalid", "reason": "edited"}).status_code == 403
    rejection.refresh_from_db()
    assert rejection.reason == "missing course_id" and rejection.stage == "untranslatable"
    assert Rejection.objects.count() == 2


def test_the_actor_id_admin_is_read_only(admin_client):
    actor = ActorId.objects.create(user_id=42, kind="xapi")
    changelist = admin_client.get("/admin/openedx_xapi/actorid/")
    assert changelist.status_code == 200
    html = changelist.content.decode()
    assert str(actor.anonymous_id) in html
    assert "/admin/openedx_xapi/actorid/add/" not in html

    assert admin_client.get("/admin/openedx_xapi/actorid/add/").status_code == 403
    assert admin_client.post("/admin/openedx_xapi/actorid/add/", {"user_id": 7, "kind": "xapi"}).status_code == 403

    url = f"/admin/openedx_xapi/actorid/{actor.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200
    page_html = page.content.decode()
    assert 'name="_save"' not in page_html
    assert 'name="user_id"' not in page_html and 'name="kind"' not in page_html
    assert admin_client.post(url, {"user_id": 43, "kind": "caliper"}).status_code == 403
    actor.refresh_from_db()
    assert (actor.user_id, actor.kind) == (42, "xapi")
    assert ActorId.objects.count() == 1


@pytest.mark.django_db
def test_restrictions_identity_and_pii_are_edited_in_the_admin(admin_client):
    url = reverse("admin:openedx_xapi_consumer_add")
    response = admin_client.post(url, form_data(restrictions='{"orgs": ["edX"], "exclude_events": ["edx.video.*"]}',
                                                identity="hmac", identity_secret="s" * 20, pii='["session"]'))
    assert response.status_code == 302, response.content.decode()[:2000]
    consumer = Consumer.objects.get(name="lrs")
    assert consumer.restrictions == {"orgs": ["edX"], "exclude_events": ["edx.video.*"]}
    assert (consumer.identity, consumer.pii) == ("hmac", ["session"])
    assert raw_column(consumer, "identity_secret") != "s" * 20
    listing = admin_client.get(reverse("admin:openedx_xapi_consumer_changelist")).content.decode()
    assert "only 1 orgs" in listing and "exclude events: 1" in listing
    change = admin_client.get(reverse("admin:openedx_xapi_consumer_change", args=[consumer.pk])).content.decode()
    assert "s" * 20 not in change
    assert "an empty list lets NOTHING through" in change


@pytest.mark.django_db
@pytest.mark.parametrize("overrides, message", [
    ({"restrictions": '{"galaxies": []}'}, "unknown restriction"),
    ({"restrictions": '{"users": ["bob"]}'}, "user ids"),
    ({"identity": "mbox"}, "list &#x27;email&#x27; in &#x27;pii&#x27;"),
    ({"url": "http://lrs.example.com/xAPI/"}, "must use https"),
])
def test_bad_restrictions_and_identities_are_explained(admin_client, overrides, message):
    response = admin_client.post(reverse("admin:openedx_xapi_consumer_add"), form_data(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Consumer.objects.exists()


# --- dead letters -------------------------------------------------------------------------

def make_dead_letters():
    from django.utils import timezone

    from openedx_xapi.models import DeadLetter
    now = timezone.now()
    statement = {"id": "6f1c0a33-8c5a-4b1f-9a53-0a7c4f3b2d10", "verb": {"id": "http://adlnet.gov/expapi/verbs/registered"}}
    first = DeadLetter.objects.create(consumer="lrs", documents=[statement], reason="HTTP 400: bad statement",
                                      status_code=400, event_name=statement["verb"]["id"], first_error_at=now,
                                      last_error_at=now)
    second = DeadLetter.objects.create(consumer="caliper", documents=[{"action": "Activated"}], status_code=503,
                                       reason="HTTP 503: down (after 9 attempt(s))", attempts=9,
                                       first_error_at=now, last_error_at=now)
    return first, second


def test_dead_letters_are_listed_with_filters_and_shown_in_full(admin_client):
    first, _second = make_dead_letters()
    html = admin_client.get("/admin/openedx_xapi/deadletter/").content.decode()
    for query in ("consumer=lrs", "consumer=caliper", "status_code=400", "status_code=503"):
        assert query in html, query
    assert "HTTP 400: bad statement" in html and "HTTP 503: down" in html
    assert "/admin/openedx_xapi/deadletter/add/" not in html
    detail = admin_client.get(f"/admin/openedx_xapi/deadletter/{first.pk}/change/").content.decode()
    assert "6f1c0a33-8c5a-4b1f-9a53-0a7c4f3b2d10" in detail and "HTTP 400: bad statement" in detail


def test_dead_letters_are_retried_or_discarded_by_admin_actions(admin_client, flush_redis):
    from openedx_xapi.models import DeadLetter
    first, second = make_dead_letters()
    changelist = "/admin/openedx_xapi/deadletter/"
    response = admin_client.post(changelist, {"action": "retry_selected", "_selected_action": [first.pk]},
                                 follow=True)
    assert "1 dead letter(s) queued for delivery again." in response.content.decode()
    [message] = [json.loads(raw) for raw in flush_redis.lrange("celery", 0, -1)]
    assert message["headers"]["task"] == "openedx_xapi.deliver"
    args = json.loads(base64.b64decode(message["body"]))[0]
    assert args == ["lrs", first.documents]
    assert list(DeadLetter.objects.all()) == [second]

    response = admin_client.post(changelist, {"action": "discard_selected", "_selected_action": [second.pk]},
                                 follow=True)
    assert "1 dead letter(s) discarded." in response.content.decode()
    assert not DeadLetter.objects.exists()


def test_the_consumer_list_shows_delivery_and_resumes_a_paused_consumer(admin_client):
    from openedx_xapi.models import ConsumerStatus
    consumer = Consumer.objects.create(name="lrs", protocol="xapi", url="https://lrs.example.com/xAPI/",
                                       username="u", password="p")
    html = admin_client.get("/admin/openedx_xapi/consumer/").content.decode()
    assert "nothing sent yet" in html
    ConsumerStatus.objects.create(consumer="lrs", paused=True, delivered=7, dead_lettered=2,
                                  last_error="HTTP 401: bad credentials")
    html = admin_client.get("/admin/openedx_xapi/consumer/").content.decode()
    assert "PAUSED (credentials refused); 7 delivered, 0 retried, 2 dead-lettered" in html
    response = admin_client.post("/admin/openedx_xapi/consumer/",
                                 {"action": "resume_delivery", "_selected_action": [consumer.pk]}, follow=True)
    assert "1 consumer(s) resumed" in response.content.decode()
    assert not ConsumerStatus.objects.get(consumer="lrs").paused
