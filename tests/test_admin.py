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
                                                identity="hmac", identity_secret="s" * 20, pii=["session"]))
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
    response = admin_client.get("/admin/openedx_xapi/consumer/")
    [row] = response.context["cl"].result_list
    assert (row.status_delivered, row.status_circuit) == (None, None)  # nothing sent yet
    ConsumerStatus.objects.create(consumer="lrs", paused=True, delivered=7, dead_lettered=2,
                                  last_error="HTTP 401: bad credentials")
    html = admin_client.get("/admin/openedx_xapi/consumer/").content.decode()
    assert "paused (credentials refused)" in html
    assert '<td class="field-delivered">7</td>' in html
    assert '<a href="/admin/openedx_xapi/deadletter/?consumer=lrs">2</a>' in html
    response = admin_client.post("/admin/openedx_xapi/consumer/",
                                 {"action": "resume_delivery", "_selected_action": [consumer.pk]}, follow=True)
    assert "1 consumer(s) resumed" in response.content.decode()
    assert not ConsumerStatus.objects.get(consumer="lrs").paused
    assert "Resumed delivery" in admin_client.get(change_url(consumer)).content.decode()  # in the audit log


# --- delivery status: the consumer list and the dashboard ----------------------------------

def make_statuses():
    from datetime import timedelta

    from django.utils import timezone

    from openedx_xapi.models import ConsumerStatus, DeadLetter, ParkedBatch
    now = timezone.now()
    Consumer.objects.create(name="lrs", protocol="xapi", url="https://lrs.example.com/xAPI/",
                            username="u", password="p")
    Consumer.objects.create(name="quiet", protocol="xapi", url="https://quiet.example.com/xAPI/",
                            username="u", password="p")
    ConsumerStatus.objects.create(consumer="lrs", delivered=1234, retried=5, parked=40, dead_lettered=3,
                                  last_success_at=now - timedelta(minutes=5), last_error_at=now,
                                  last_error="connection failed: ConnectionError", circuit="open",
                                  failure_streak=4, probes=2, next_probe_at=now + timedelta(seconds=30),
                                  lag_seconds=0.42)
    ConsumerStatus.objects.create(consumer="settings-lrs", delivered=10, last_success_at=now, lag_seconds=150)
    ConsumerStatus.objects.create(consumer="gone", delivered=1)
    ParkedBatch.objects.create(consumer="lrs", documents=[{"id": "a"}, {"id": "b"}])
    DeadLetter.objects.create(consumer="lrs", documents=[{"id": "c"}], reason="HTTP 503: down", status_code=503,
                              first_error_at=now, last_error_at=now)


def test_the_consumer_list_shows_every_delivery_count_lag_and_circuit(admin_client):
    make_statuses()
    response = admin_client.get("/admin/openedx_xapi/consumer/")
    html = response.content.decode()
    for header in ("protocol", "delivered", "retried", "parked", "dead-lettered", "last success", "last error", "lag",
                   "circuit"):
        assert f">{header.capitalize()}</a>" in html or f">{header.capitalize()}</span>" in html, header
    for cell in ('<td class="field-delivered">1234</td>', '<td class="field-retried">5</td>',
                 '<td class="field-parked">40</td>', '<td class="field-lag">0.4 s</td>'):
        assert cell in html, cell
    assert "OPEN after 4 failure(s) in a row; 2 probe(s), next at" in html
    assert "connection failed: ConnectionError" in html
    quiet_row = html[html.index(">quiet</a>"):]
    assert '<td class="field-circuit">closed</td>' in quiet_row and '<td class="field-lag">-</td>' in quiet_row
    ordered = admin_client.get("/admin/openedx_xapi/consumer/", {"o": "-5"})  # by delivered, descending
    assert [c.name for c in ordered.context["cl"].result_list] == ["lrs", "quiet"]


def test_the_dashboard_shows_settings_and_admin_consumers_and_what_is_left(admin_client, use_consumers):
    use_consumers({"name": "settings-lrs", "url": "https://other.example.com/xAPI/",
                   "auth": {"username": "u", "password": "p"}})
    make_statuses()
    response = admin_client.get(reverse("admin:openedx_xapi_consumer_dashboard"))
    assert response.status_code == 200
    rows = {row.name: row for row in response.context["rows"]}
    assert sorted(rows) == ["gone", "lrs", "quiet", "settings-lrs"]
    assert (rows["lrs"].source, rows["settings-lrs"].source, rows["gone"].source) == ("admin", "settings", "removed")
    assert (rows["lrs"].health, rows["quiet"].health, rows["settings-lrs"].health) == ("open", "idle", "ok")
    assert (rows["lrs"].waiting_batches, rows["lrs"].dead_letters) == (1, 1)
    assert rows["settings-lrs"].lag == "2 min"
    html = response.content.decode()
    assert "1 needs attention" in html
    row = html[html.index('id="status-lrs"'):html.index('id="status-quiet"')]
    assert '<td class="number delivered">1234</td>' in row and '<td class="number parked">40</td>' in row
    assert "OPEN after 4 failure(s) in a row" in row and "/admin/openedx_xapi/deadletter/?consumer=lrs" in row
    assert reverse("admin:openedx_xapi_consumer_test_connection", args=[rows["lrs"].consumer_pk]) in row
    settings_row = html[html.index('id="status-settings-lrs"'):]
    assert reverse("admin:openedx_xapi_consumerstatus_test_connection", args=["settings-lrs"]) in settings_row
    gone_row = html[html.index('id="status-gone"'):html.index('id="status-lrs"')]
    assert "test connection" not in gone_row  # nothing left to test


def test_the_dashboard_needs_the_permission_to_view_consumers(client, django_user_model):
    staff = django_user_model.objects.create_user("operator", password="operator-pw", is_staff=True)
    client.force_login(staff)
    assert client.get(reverse("admin:openedx_xapi_consumer_dashboard")).status_code == 403
    client.logout()
    assert client.get(reverse("admin:openedx_xapi_consumer_dashboard")).status_code == 302  # to the sign-in page


# --- the consumer form: fields per protocol and authentication, and its audit log ----------

def test_the_form_loads_its_script_and_says_when_each_field_applies(admin_client):
    html = admin_client.get(ADD_URL).content.decode()
    assert "/static/openedx_xapi/admin/consumer_form.js" in html
    assert "Only the fields of the chosen authentication are used" in html
    assert "Basic authentication only." in html and "Bearer authentication only." in html
    assert "xAPI consumers only." in html and "The 'hmac' identity only" in html
    for value in ("username", "email", "ip", "user_agent", "referer", "session"):  # ticked, not typed as JSON
        assert f'type="checkbox" name="pii" value="{value}"' in html, value


def test_switching_to_a_bearer_token_forgets_the_password(admin_client):
    consumer = add_consumer(admin_client)
    response = admin_client.post(change_url(consumer), form_data(auth_type="bearer", token=TOKEN, password=""))
    assert response.status_code == 302, response.content.decode()[:3000]
    consumer.refresh_from_db()
    assert (consumer.auth_type, consumer.token, consumer.username) == ("bearer", TOKEN, "")
    assert not consumer.password
    response = admin_client.post(change_url(consumer), form_data(identity="hmac", identity_secret="x" * 20,
                                                                  auth_type="bearer", token=""))
    assert response.status_code == 302
    response = admin_client.post(change_url(consumer), form_data(identity="anonymous", auth_type="bearer", token=""))
    assert response.status_code == 302
    consumer.refresh_from_db()
    assert not consumer.identity_secret and consumer.token == TOKEN


def test_the_consumer_page_shows_who_changed_it_and_when(admin_client, admin_user):
    consumer = add_consumer(admin_client)
    # (A browser also posts the initial values of the fields whose default is callable.)
    admin_client.post(change_url(consumer), form_data(password="", url="https://lrs2.example.com/xAPI/",
                                                      **{"initial-restrictions": "{}"}))
    admin_client.post(change_url(consumer), form_data(password="a-brand-new-password", url="https://lrs2.example.com/xAPI/",
                                                      **{"initial-restrictions": "{}"}))
    html = admin_client.get(change_url(consumer)).content.decode()
    changes = html[html.index('class="openedx-xapi-changes"'):]
    changes = changes[:changes.index("</table>")]
    assert changes.count(f"<td>{admin_user.username}</td>") == 3
    assert changes.index("Changed Password.") < changes.index("Changed Endpoint URL.") < changes.index("Added.")
    assert PASSWORD not in html and "a-brand-new-password" not in html
    assert f"/admin/openedx_xapi/consumer/{consumer.pk}/history/" in html
    assert "nothing sent yet" in html  # the delivery status, on the change page too


# --- testing the connection, against a real Ralph LRS -----------------------------------------

@pytest.fixture
def ralph_consumer(ralph):
    return Consumer.objects.create(name="ralph", protocol="xapi", url=ralph.url, username=ralph.username,
                                   password=ralph.password)


def test_the_connection_test_probes_the_lrs(admin_client, ralph, ralph_consumer):
    url = reverse("admin:openedx_xapi_consumer_test_connection", args=[ralph_consumer.pk])
    page = admin_client.get(url)
    assert page.status_code == 200 and "Also send one test statement" in page.content.decode()
    html = admin_client.post(url, {}).content.decode()
    assert 'data-ok="true"' in html and "HTTP 404" in html and "it has no xAPI About resource" in html
    from sandbox.services import fetch_statements
    assert fetch_statements(ralph) == []  # a probe sends nothing

    html = admin_client.post(url, {"send_test_statement": "on"}).content.decode()
    assert '<strong id="send-outcome">accepted</strong>' in html
    [stored] = fetch_statements(ralph)
    assert stored["actor"]["account"]["name"] == "openedx-xapi-connection-test"
    assert stored["id"] in html
    history = admin_client.get(change_url(ralph_consumer)).content.decode()
    assert "Tested the connection: reachable (HTTP 404); test statement accepted" in history


def test_the_connection_test_shows_refused_credentials_and_a_dead_endpoint(admin_client, ralph, ralph_consumer):
    from sandbox.services import free_port
    ralph_consumer.password = "not-the-password"
    ralph_consumer.save()
    url = reverse("admin:openedx_xapi_consumer_test_connection", args=[ralph_consumer.pk])
    html = admin_client.post(url, {"send_test_statement": "on"}).content.decode()
    assert 'data-ok="false"' in html and "NOT accepted" in html and "HTTP 401" in html

    ralph_consumer.url = f"http://127.0.0.1:{free_port()}/xAPI/"
    ralph_consumer.save()
    html = admin_client.post(url, {}).content.decode()
    assert 'data-ok="false"' in html and "NOT reachable" in html and "connection failed" in html


@pytest.mark.parametrize("protocol, version", [("xapi", "1.0.3"), ("xapi", "2.0.0"), ("caliper", "1.0.3")])
def test_the_test_document_is_valid(protocol, version):
    from openedx_xapi.admin_views import test_document
    from openedx_xapi.consumers import ConsumerConfig
    from openedx_xapi.validator import validate
    config = ConsumerConfig(name="t", protocol=protocol, url="https://lrs.example.com/xAPI/", auth_type="bearer",
                            token="tok-123", xapi_version=version)
    document = test_document(config)
    assert validate(document, protocol, version) == []
    assert document["id"] != test_document(config)["id"]


# --- support: a learner's anonymous ids, and back ---------------------------------------------

def test_the_learner_lookup_needs_the_permission_to_view_anonymous_ids(client, django_user_model):
    from django.contrib.auth.models import Permission
    staff = django_user_model.objects.create_user("support", password="support-pw", is_staff=True)
    client.force_login(staff)
    url = reverse("admin:openedx_xapi_actorid_lookup")
    assert client.get(url).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_actorid"))
    assert client.get(url).status_code == 200


def test_the_learner_lookup_goes_from_a_learner_to_their_ids_and_back(admin_client, make_learner, use_consumers):
    learner = make_learner("alice", email="alice@example.org")
    other = make_learner("bob")
    xapi_id = ActorId.objects.create(user_id=learner.pk, kind="xapi").anonymous_id
    ActorId.objects.create(user_id=other.pk, kind="xapi")
    use_consumers({"name": "anon", "url": "https://lrs.example.com/xAPI/", "auth": {"username": "u", "password": "p"}},
                  {"name": "keyed", "url": "https://lrs.example.com/xAPI/", "auth": {"username": "u", "password": "p"},
                   "identity": {"type": "hmac", "secret": "an-hmac-secret-of-some-length"}},
                  {"name": "cal", "protocol": "caliper", "url": "https://c.example.com/",
                   "auth": {"type": "bearer", "token": "tok-123"}})
    url = reverse("admin:openedx_xapi_actorid_lookup")
    before = ActorId.objects.count()
    for query in (str(learner.pk), "alice", "ALICE@example.org"):
        response = admin_client.get(url, {"learner": query})
        report = response.context["report"]
        assert report["user"] == learner, query
        assert report["kinds"] == [("xapi", str(xapi_id)), ("caliper", None)]
        actors = {name: actor for name, _protocol, _identity, actor in report["receives"]}
        assert actors["anon"] == str(xapi_id) and actors["cal"] is None
        assert len(actors["keyed"]) == 36 and actors["keyed"] != str(xapi_id)
    assert ActorId.objects.count() == before  # nothing created by looking
    html = response.content.decode()
    assert str(xapi_id) in html and "none yet" in html
    assert report["kept"] == {"dead_letters": 0, "rejections": 0}
    assert "0 dead letter(s), 0 rejected event(s)" in " ".join(html.split())

    response = admin_client.get(url, {"anonymous_id": f"  {xapi_id} "})
    assert response.context["reverse_found"]["user_id"] == learner.pk
    assert response.context["report"]["user"] == learner
    assert f"is the <strong>xapi</strong> id of user\n      <strong>{learner.pk}</strong>" in response.content.decode()

    missing = admin_client.get(url, {"anonymous_id": "6f1c0a33-8c5a-4b1f-9a53-0a7c4f3b2d10"})
    assert missing.context["report"] is None and "is none of the anonymous ids" in missing.content.decode()
    assert admin_client.get(url, {"learner": "nobody"}).context["report"] is None


# --- one dead letter: its answer, retry and discard -------------------------------------------

def test_a_dead_letter_page_shows_the_answer_and_retries_it(admin_client, flush_redis):
    from django.contrib.admin.models import LogEntry

    from openedx_xapi.models import DeadLetter
    first, second = make_dead_letters()
    page = admin_client.get(f"/admin/openedx_xapi/deadletter/{first.pk}/change/").content.decode()
    assert "The endpoint&#x27;s answer" in page and "HTTP 400" in page and "HTTP 400: bad statement" in page
    retry = reverse("admin:openedx_xapi_deadletter_retry", args=[first.pk])
    discard = reverse("admin:openedx_xapi_deadletter_discard", args=[second.pk])
    assert f'action="{retry}"' in page
    assert admin_client.get(retry).status_code == 405  # only a POST changes anything

    response = admin_client.post(retry, follow=True)
    assert "Queued for delivery again: 1 document(s) for lrs" in response.content.decode()
    [message] = [json.loads(raw) for raw in flush_redis.lrange("celery", 0, -1)]
    assert json.loads(base64.b64decode(message["body"]))[0] == ["lrs", first.documents]
    response = admin_client.post(discard, follow=True)
    assert "Discarded: 1 document(s) for caliper" in response.content.decode()
    assert not DeadLetter.objects.exists()
    logged = LogEntry.objects.filter(content_type__model="deadletter").order_by("action_time")
    assert [(entry.object_id, entry.action_flag) for entry in logged] == [(str(first.pk), 2), (str(second.pk), 3)]


def test_the_dead_letter_actions_need_the_delete_permission(client, django_user_model):
    from django.contrib.auth.models import Permission
    first, _second = make_dead_letters()
    staff = django_user_model.objects.create_user("viewer", password="viewer-pw", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_deadletter"))
    client.force_login(staff)
    page = client.get(f"/admin/openedx_xapi/deadletter/{first.pk}/change/").content.decode()
    assert "Retry delivery" not in page
    assert client.post(reverse("admin:openedx_xapi_deadletter_retry", args=[first.pk])).status_code == 403
    assert client.post(reverse("admin:openedx_xapi_deadletter_discard", args=[first.pk])).status_code == 403
    first.refresh_from_db()


@pytest.mark.parametrize("answer, expected", [("refused", ["lrs"]), ("unavailable", ["caliper"]),
                                              ("credentials", []), ("no_answer", [])])
def test_dead_letters_are_filtered_by_the_kind_of_answer(admin_client, answer, expected):
    make_dead_letters()
    response = admin_client.get("/admin/openedx_xapi/deadletter/", {"answer": answer})
    assert [letter.consumer for letter in response.context["cl"].result_list] == expected
    assert "refused the documents (4xx)" in response.content.decode()


def test_the_connection_test_sends_a_valid_caliper_event(admin_client):
    """Against a real HTTP Caliper endpoint that validates every envelope it receives."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from openedx_xapi.validator import validate_envelope
    received = []

    class Endpoint(BaseHTTPRequestHandler):
        def do_GET(self):  # a Caliper endpoint takes POST only
            self.send_response(405)
            self.end_headers()

        def do_POST(self):
            envelope = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append((self.headers.get("Authorization"), envelope, validate_envelope(envelope)))
            self.send_response(200 if not received[-1][2] else 400)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        consumer = Consumer.objects.create(name="caliper", protocol="caliper", auth_type="bearer", token=TOKEN,
                                           url=f"http://127.0.0.1:{server.server_port}/caliper")
        url = reverse("admin:openedx_xapi_consumer_test_connection", args=[consumer.pk])
        page = admin_client.get(url).content.decode()
        assert "Also send one test event" in page and "the Caliper endpoint" in page
        html = admin_client.post(url, {"send_test_statement": "on"}).content.decode()
    finally:
        server.shutdown()
    assert 'data-ok="true"' in html and "HTTP 405" in html and "does not take GET" in html
    [(authorization, envelope, problems)] = received
    assert authorization == f"Bearer {TOKEN}" and problems == []
    assert envelope["data"][0]["id"] in html and TOKEN not in html


# --- testing the connection to a consumer declared in settings (from Consumer statuses) ---------

STATUSES_URL = "/admin/openedx_xapi/consumerstatus/"


def settings_test_url(name):
    return reverse("admin:openedx_xapi_consumerstatus_test_connection", args=[name])


def declared(ralph, name="ralph-settings", **overrides):
    return {"name": name, "url": ralph.url, "auth": {"username": ralph.username, "password": ralph.password},
            **overrides}


def messages_of(response):
    return [(message.level_tag, message.message) for message in response.context["messages"]]


def test_a_consumer_declared_in_settings_is_tested_from_consumer_statuses(admin_client, ralph, use_consumers):
    from openedx_xapi.models import ConsumerStatus
    from sandbox.services import fetch_statements
    use_consumers(declared(ralph))
    url = settings_test_url("ralph-settings")

    # Nothing sent to it yet, so no status row: the list offers its test above the statuses.
    listing = admin_client.get(STATUSES_URL).content.decode()
    assert "Consumers declared in settings" in listing and f'href="{url}"' in listing

    page = admin_client.get(url).content.decode()
    assert "Also send one test statement" in page and "declared in the OPENEDX_XAPI settings" in page
    assert ralph.url in page and ralph.password not in page
    html = admin_client.post(url, {}).content.decode()
    assert 'data-ok="true"' in html and "HTTP 404" in html and "it has no xAPI About resource" in html
    assert fetch_statements(ralph) == []  # a probe sends nothing

    html = admin_client.post(url, {"send_test_statement": "on"}).content.decode()
    assert '<strong id="send-outcome">accepted</strong>' in html and ralph.password not in html
    [stored] = fetch_statements(ralph)
    assert stored["actor"]["account"]["name"] == "openedx-xapi-connection-test"
    assert stored["id"] in html

    # Once delivery has a status row: a link in its row and on its page, and the test in its history.
    status = ConsumerStatus.objects.create(consumer="ralph-settings", delivered=3)
    listing = admin_client.get(STATUSES_URL).content.decode()
    assert f'<a href="{url}" aria-label="test connection to ralph-settings">test</a>' in listing
    status_page = admin_client.get(f"{STATUSES_URL}{status.pk}/change/").content.decode()
    assert f'<a href="{url}">Test connection</a>' in status_page
    html = admin_client.post(url, {}).content.decode()
    assert f'href="{STATUSES_URL}{status.pk}/change/"' in html  # the breadcrumbs lead back to it
    history = admin_client.get(f"{STATUSES_URL}{status.pk}/history/").content.decode()
    assert "Tested the connection: reachable (HTTP 404)" in history


def test_the_consumer_statuses_action_probes_the_selected_consumers(admin_client, ralph, use_consumers):
    from openedx_xapi.models import ConsumerStatus
    from sandbox.services import free_port
    dead_url = f"http://127.0.0.1:{free_port()}/xAPI/"
    use_consumers(declared(ralph), declared(ralph, name="dead", url=dead_url))
    added = Consumer.objects.create(name="added", protocol="xapi", url=ralph.url, username=ralph.username,
                                    password=ralph.password)
    rows = [ConsumerStatus.objects.create(consumer=name) for name in ("ralph-settings", "dead", "added", "gone")]

    response = admin_client.post(STATUSES_URL, {"action": "test_connections",
                                                "_selected_action": [row.pk for row in rows]}, follow=True)
    assert sorted(messages_of(response)) == [
        ("error", "dead: NOT reachable (connection failed: ConnectionError)"),
        ("success", "added: reachable (HTTP 404)"),
        ("success", "ralph-settings: reachable (HTTP 404)"),
        ("warning", "gone: no longer configured; nothing to test."),
    ]
    listing = response.content.decode()
    gone_row = listing[listing.index(">gone<"):listing.index("</tr>", listing.index(">gone<"))]
    assert '<td class="field-connection_test">-</td>' in gone_row
    added_test = reverse("admin:openedx_xapi_consumer_test_connection", args=[added.pk])
    assert f'href="{added_test}"' in listing  # a consumer added in the admin is tested from its own page


def test_a_settings_consumer_refusing_our_credentials_or_misdeclared_says_so(admin_client, ralph, use_consumers):
    use_consumers(declared(ralph, auth={"username": ralph.username, "password": "not-the-password"}),
                  {"name": "bad-url", "url": "https://openedx:url-secret-123@lrs.example.com/xAPI/",
                   "auth": {"username": "u", "password": "p"}})
    html = admin_client.post(settings_test_url("ralph-settings"), {"send_test_statement": "on"}).content.decode()
    assert 'data-ok="false"' in html and "NOT accepted" in html and "HTTP 401" in html
    assert "not-the-password" not in html

    page = admin_client.get(settings_test_url("bad-url")).content.decode()
    assert "https://lrs.example.com/xAPI/" in page and "url-secret-123" not in page
    html = admin_client.post(settings_test_url("bad-url"), {}).content.decode()
    assert "This consumer's settings cannot be used" in html and "must not hold credentials" in html
    assert "url-secret-123" not in html and 'id="connection-result"' not in html

    assert admin_client.get(settings_test_url("never-declared")).status_code == 404


def test_a_secret_the_endpoint_echoes_back_is_never_shown(admin_client, use_consumers):
    """A real HTTP endpoint that quotes the request's Authorization header in its refusals."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Echo(BaseHTTPRequestHandler):
        def answer(self):
            body = f"refused: {self.headers.get('Authorization')}".encode()
            self.send_response(403)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            self.answer()

        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.answer()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        use_consumers({"name": "echo", "protocol": "caliper", "url": f"http://127.0.0.1:{server.server_port}/caliper",
                       "auth": {"type": "bearer", "token": TOKEN}})
        html = admin_client.post(settings_test_url("echo"), {"send_test_statement": "on"}).content.decode()
    finally:
        server.shutdown()
    assert "refused our credentials" in html and "NOT accepted" in html
    assert "HTTP 403: refused: Bearer [hidden]" in html
    assert TOKEN not in html


def test_testing_a_settings_consumer_needs_the_permission_to_change_consumer_statuses(
        client, django_user_model, use_consumers):
    from django.contrib.auth.models import Permission

    from openedx_xapi.models import ConsumerStatus
    use_consumers({"name": "lrs", "url": "https://lrs.example.com/xAPI/", "auth": {"username": "u", "password": "p"}})
    found = ConsumerStatus.objects.create(consumer="lrs")
    staff = django_user_model.objects.create_user("viewer", password="viewer-pw", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_consumerstatus"))
    client.force_login(staff)

    listing = client.get(STATUSES_URL)
    html = listing.content.decode()
    assert "test_connections" not in html and "Consumers declared in settings" not in html
    assert settings_test_url("lrs") not in html
    assert settings_test_url("lrs") not in client.get(f"{STATUSES_URL}{found.pk}/change/").content.decode()
    assert client.get(settings_test_url("lrs")).status_code == 403
    assert client.post(settings_test_url("lrs"), {}).status_code == 403
    response = client.post(STATUSES_URL, {"action": "test_connections", "_selected_action": [found.pk]})
    assert response.status_code == 200 and messages_of(response) == []  # ignored: no action is offered
    from django.contrib.admin.models import LogEntry
    assert not LogEntry.objects.filter(change_message__startswith="Tested").exists()

    staff.user_permissions.add(Permission.objects.get(codename="change_consumerstatus"))
    assert client.get(settings_test_url("lrs")).status_code == 200
    assert "test_connections" in client.get(STATUSES_URL).content.decode()
    client.logout()
    assert client.get(settings_test_url("lrs")).status_code == 302  # to the sign-in page


def test_consumer_statuses_are_still_resumed_by_their_action(admin_client):
    """The list's queryset is annotated (the consumer added under each name): updating it still works."""
    from openedx_xapi.models import ConsumerStatus
    paused = ConsumerStatus.objects.create(consumer="lrs", paused=True)
    response = admin_client.post(STATUSES_URL, {"action": "resume", "_selected_action": [paused.pk]}, follow=True)
    assert messages_of(response) == [("success", "1 consumer(s) resumed.")]
    paused.refresh_from_db()
    assert not paused.paused
