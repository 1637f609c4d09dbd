"""Consumers from settings and from the database, the cache, and secrets at rest."""
import pytest
from django.core.management import call_command
from django.db import connection

from openedx_xapi import consumers
from openedx_xapi.checks import check_settings
from openedx_xapi.consumers import ConsumerConfigError, from_settings
from openedx_xapi.models import Consumer

LRS = {"name": "lrs", "protocol": "xapi", "url": "http://127.0.0.1:8100/xAPI/",
       "auth": {"type": "basic", "username": "u", "password": "p"},
       "courses": ["course-v1:edX+DemoX+Demo_Course"]}
CALIPER = {"name": "caliper", "protocol": "caliper", "url": "https://caliper.example.com/events",
           "auth": {"type": "bearer", "token": "t0ken"}}


def test_the_issue_example_declaration():
    from openedx_xapi.filter.restrictions import Facts
    consumer = from_settings(LRS)
    assert consumer.statements_url == "http://127.0.0.1:8100/xAPI/statements"
    assert consumer.restrictions.allows(Facts("e", course_id="course-v1:edX+DemoX+Demo_Course"))
    assert not consumer.restrictions.allows(Facts("e", course_id="course-v1:Other+X+Y"))
    assert from_settings(CALIPER).restrictions.allows(Facts("e", course_id="anything"))  # no courses: all
    assert from_settings(CALIPER).statements_url == "https://caliper.example.com/events"


def test_secrets_are_not_in_the_repr():
    assert "p'" not in repr(from_settings(LRS)) and "t0ken" not in repr(from_settings(CALIPER))


@pytest.mark.parametrize("change, message", [
    ({"protocol": "json"}, "'protocol' must be one of"),
    ({"url": "ftp://x"}, "'url' must be an http"),
    ({"url": "http://lrs.example.com/xAPI/"}, "must use https"),
    ({"identity": "mbox"}, "list 'email' in 'pii'"),
    ({"identity": "username"}, "list 'username' in 'pii'"),
    ({"identity": {"type": "hmac", "secret": "short"}}, "16 characters"),
    ({"identity": "shoe"}, "'identity' must be one of"),
    ({"orgs": "edX"}, "'orgs' must be a list"),
    ({"users": ["3"]}, "user ids"),
    ({"exclude_galaxies": []}, "unknown keys exclude_galaxies"),
    ({"auth": {"type": "basic"}}, "basic auth needs"),
    ({"auth": {"type": "digest"}}, "'auth.type' must be one of"),
    ({"courses": "course-v1:a+b+c"}, "'courses' must be a list"),
    ({"pii": "session"}, "'pii' must be a list"),
    ({"courses": None}, "'courses' must be a list"),  # e.g. YAML "courses:" with no value: not "all"
    ({"colour": "blue"}, "unknown keys colour"),
    ({"xapi_version": "1.0"}, "'xapi_version'"),
    ({"pii": ["shoe_size"]}, "unknown: shoe_size"),
    ({"name": ""}, "'name' is required"),
])
def test_bad_declarations_say_what_to_fix(change, message):
    with pytest.raises(ConsumerConfigError, match=message):
        from_settings({**LRS, **change})


def test_system_check_reports_bad_and_duplicate_declarations(settings):
    settings.OPENEDX_XAPI = {**settings.OPENEDX_XAPI, "CONSUMERS": [LRS, LRS, {**CALIPER, "url": "nope"}]}
    messages = [error.msg for error in check_settings()]
    assert any("used twice" in m for m in messages)
    assert any("'url' must be" in m for m in messages)
    settings.OPENEDX_XAPI = {**settings.OPENEDX_XAPI, "CONSUMERS": [LRS, CALIPER]}
    assert check_settings() == []


def test_bad_declarations_are_left_out_and_logged(use_consumers, caplog, db):
    use_consumers(LRS, {**CALIPER, "protocol": "smtp"})
    assert [c.name for c in consumers.get_consumers()] == ["lrs"]
    assert "ignoring a consumer declared in settings" in caplog.text


@pytest.mark.django_db
def test_database_consumers_behave_like_declared_ones(use_consumers):
    use_consumers(LRS)
    Consumer.objects.create(name="db-lrs", protocol="xapi", url="http://127.0.0.1:9000/xAPI/", auth_type="basic",
                            username="u", password="pw",
                            restrictions={"courses": ["course-v1:a+b+c", "course-v1:d+e+f"]})
    Consumer.objects.create(name="off", protocol="xapi", url="http://127.0.0.1:9000/xAPI/", username="u",
                            enabled=False)
    found = {c.name: c for c in consumers.get_consumers()}
    assert set(found) == {"lrs", "db-lrs"}
    assert found["db-lrs"].restrictions.as_dict() == {"courses": ["course-v1:a+b+c", "course-v1:d+e+f"]}
    assert found["db-lrs"].password == "pw"
    assert found["db-lrs"].source == "database"


@pytest.mark.django_db
def test_secrets_are_encrypted_at_rest():
    Consumer.objects.create(name="c", protocol="caliper", url="https://x.example.com/", auth_type="bearer",
                            token="very-secret-token", username="", password="very-secret-password")
    with connection.cursor() as cursor:
        cursor.execute("SELECT password, token FROM openedx_xapi_consumer")
        stored = cursor.fetchone()
    assert "very-secret" not in " ".join(stored)
    assert Consumer.objects.get(name="c").token == "very-secret-token"


@pytest.mark.django_db
def test_secrets_survive_a_key_rotation(settings):
    Consumer.objects.create(name="c", protocol="caliper", url="https://x.example.com/", auth_type="bearer",
                            token="tok")
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "a-brand-new-secret-key"
    settings.SECRET_KEY_FALLBACKS = [old_key]
    field = Consumer._meta.get_field("token")
    for cached in ("keys", "f"):
        field.__dict__.pop(cached, None)
    try:
        assert Consumer.objects.get(name="c").token == "tok"
    finally:
        settings.SECRET_KEY = old_key
        settings.SECRET_KEY_FALLBACKS = []
        for cached in ("keys", "f"):
            field.__dict__.pop(cached, None)


@pytest.mark.django_db
def test_the_list_is_cached_no_query_per_lookup(use_consumers, django_assert_num_queries):
    use_consumers(LRS)
    consumers.get_consumers()
    with django_assert_num_queries(0):
        for _ in range(100):
            consumers.get_consumers()
            consumers.get_consumer("lrs")


@pytest.mark.django_db
def test_saving_a_consumer_refreshes_this_process(use_consumers):
    use_consumers()
    assert consumers.get_consumers() == ()
    Consumer.objects.create(name="new", protocol="xapi", url="http://127.0.0.1:9/xAPI/", username="u")
    assert [c.name for c in consumers.get_consumers()] == ["new"]


@pytest.mark.django_db
def test_model_validation_explains_itself(use_consumers):
    from django.core.exceptions import ValidationError
    use_consumers(LRS)
    with pytest.raises(ValidationError) as error:
        Consumer(name="lrs", protocol="caliper", url="https://x.example.com/", auth_type="basic").full_clean()
    assert set(error.value.message_dict) == {"name", "username", "auth_type"}


def test_migrations_are_up_to_date(db):
    call_command("makemigrations", "openedx_xapi", "--check", "--dry-run", verbosity=0)


@pytest.mark.parametrize("url, allowed", [
    ("https://lrs.example.com/xAPI/", True), ("http://127.0.0.1:8100/xAPI/", True), ("http://127.9.9.9/x", True),
    ("http://localhost/x", True), ("http://[::1]:8100/x", True), ("http://lrs.example.com/xAPI/", False),
    ("http://10.0.0.5/x", False), ("http://127.0.0.1.example.com/x", False),
])
def test_plain_http_only_to_this_machine_unless_allowed(url, allowed):
    declaration = {**LRS, "url": url}
    if allowed:
        assert from_settings(declaration).url == url
    else:
        with pytest.raises(ConsumerConfigError, match="must use https"):
            from_settings(declaration)
        assert from_settings({**declaration, "allow_http": True}).url == url


def test_identity_declarations():
    assert from_settings({**LRS, "identity": {"type": "hmac", "secret": "x" * 16}}).identity == "hmac"
    consumer = from_settings({**LRS, "identity": "mbox", "pii": ["email"]})
    assert (consumer.identity, consumer.pii) == ("mbox", frozenset({"email"}))
    assert "xxxx" not in repr(from_settings({**LRS, "identity": {"type": "hmac", "secret": "x" * 16}}))
