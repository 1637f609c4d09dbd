"""Consumers from settings and from the database, the cache, and secrets at rest."""
import io

import pytest
from django.core.management import CommandError, call_command
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
    ({"url": "https://u:very-secret-password@lrs.example.com/xAPI/"}, "must not hold credentials"),
    ({"auth": {"type": "bearer", "token": "very-secret-token\n"}}, "'auth.token' has a space or line break"),
    ({"auth": {"type": "bearer", "token": " very-secret-token"}}, "'auth.token' has a space or line break"),
    ({"auth": {"username": "u", "password": "very-secret-password\r\n"}}, "'auth.password' has a space"),
    ({"auth": {"username": "u", "password": "secret-pw\u20ac"}}, "only Latin-1"),
    ({"auth": {"username": "u", "password": None}}, "'auth.password' must be a string"),
    ({"auth": {"username": "a:b", "password": "p"}}, "cannot contain ':'"),
    ({"guests": "yes"}, "'guests' must be true or false"),
    ({"allow_http": 1}, "'allow_http' must be true or false"),
    ({"enabled": "false"}, "'enabled' must be true or false"),  # a string from the environment is not False
    ({"identity": {"type": "hmac"}}, "needs a secret"),  # hmac without a secret
    ({"identity": "hmac"}, "needs a secret"),
    ({"identity": {"type": "hmac", "secret": 1234567890123456789}}, "needs a secret"),
    ({"identity": ["hmac"]}, "'identity' must be one of"),
    ({"pii": {"session": True}}, "'pii' must be a list"),
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


@pytest.mark.parametrize("option, value, message", [
    ("LMS_ROOT_URL", "lms.example.com", "must be an absolute URL"),
    ("CALIPER_SENSOR_ID", "openedx sensor", "must be an absolute IRI"),
    ("HANDOFF", "kafka", "must be one of auto, stream, celery, event_bus"),
])
def test_system_check_reports_options_that_would_spoil_every_event(settings, option, value, message):
    settings.OPENEDX_XAPI = {**settings.OPENEDX_XAPI, "CONSUMERS": [LRS]}
    assert check_settings() == []
    settings.OPENEDX_XAPI = {**settings.OPENEDX_XAPI, option: value}
    [error] = check_settings()
    assert message in error.msg and option in error.msg


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


@pytest.mark.parametrize("change", [
    {"url": "https://u:very-secret-password@lrs.example.com/xAPI/"},
    {"auth": {"type": "bearer", "token": "very-secret-token\n"}},
    {"auth": {"username": "u", "password": "very-secret-password\u20ac"}},
])
def test_errors_about_credentials_never_quote_them(change, settings):
    """The error is logged (a bad declaration is left out) and shown by ``manage.py check``."""
    with pytest.raises(ConsumerConfigError) as error:
        from_settings({**LRS, **change})
    assert "very-secret" not in str(error.value)
    settings.OPENEDX_XAPI = {**settings.OPENEDX_XAPI, "CONSUMERS": [{**LRS, **change}]}
    [problem] = check_settings()
    assert "very-secret" not in problem.msg


@pytest.mark.django_db
def test_a_token_with_a_line_break_is_refused_in_the_admin_too():
    from django.core.exceptions import ValidationError
    row = Consumer(name="c", protocol="caliper", url="https://x.example.com/", auth_type="bearer",
                   token="very-secret-token\n")
    with pytest.raises(ValidationError) as error:
        row.full_clean()
    assert "line break" in str(error.value) and "very-secret" not in str(error.value)


# --- secrets at rest: rotating the key -------------------------------------------------------

def _forget_derived_keys():
    for name in ("password", "token", "identity_secret"):
        field = Consumer._meta.get_field(name)
        for cached in ("keys", "f"):
            field.__dict__.pop(cached, None)


def _raw_secrets(name):
    with connection.cursor() as cursor:
        cursor.execute("SELECT token, identity_secret FROM openedx_xapi_consumer WHERE name = %s", [name])
        return cursor.fetchone()


@pytest.mark.django_db
def test_a_rotation_ends_with_the_old_key_gone(settings):
    """The rotation README describes: a new SECRET_KEY with the old one in SECRET_KEY_FALLBACKS
    (old ciphertexts still read), every consumer saved once (``manage.py lms
    openedx_xapi_reencrypt_secrets``, or each saved in the admin: written again under the new
    key), then the fallback dropped: the secrets still read, and the old key reads none."""
    Consumer.objects.create(name="c", protocol="caliper", url="https://x.example.com/", auth_type="bearer",
                            token="very-secret-token", identity="hmac", identity_secret="another-hmac-secret-value")
    old_key, old_ciphertexts = settings.SECRET_KEY, _raw_secrets("c")
    try:
        settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-brand-new-password", [old_key]
        _forget_derived_keys()
        assert Consumer.objects.get(name="c").token == "very-secret-token"  # old ciphertext, new key first
        out = io.StringIO()
        call_command("openedx_xapi_reencrypt_secrets", stdout=out)
        assert out.getvalue().strip() == "1 consumer(s) re-encrypted"
        new_ciphertexts = _raw_secrets("c")
        assert all(new != old for new, old in zip(new_ciphertexts, old_ciphertexts, strict=True))

        settings.SECRET_KEY_FALLBACKS = []  # the old key is gone
        _forget_derived_keys()
        row = Consumer.objects.get(name="c")
        assert (row.token, row.identity_secret) == ("very-secret-token", "another-hmac-secret-value")
        assert consumers.from_model(row).identity_secret == "another-hmac-secret-value"

        settings.SECRET_KEY = old_key  # and the old key alone can no longer read them: said, not sent
        _forget_derived_keys()
        row = Consumer.objects.get(name="c")
        assert row.token != "very-secret-token"
        with pytest.raises(ConsumerConfigError, match="the stored token cannot be decrypted"):
            consumers.from_model(row)
        with pytest.raises(CommandError, match="cannot be decrypted"):
            call_command("openedx_xapi_reencrypt_secrets")  # ... and not written again as if it were the secret
        assert _raw_secrets("c") == new_ciphertexts
    finally:
        settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = old_key, []
        _forget_derived_keys()


# --- transport --------------------------------------------------------------------------------

@pytest.fixture
def self_signed_https(tmp_path):
    """An https endpoint on 127.0.0.1 with a self-signed certificate, counting the requests
    that got through the TLS handshake."""
    import datetime
    import ipaddress
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    received = []

    class Endpoint(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/xAPI/", cert_path, received
    finally:
        server.shutdown()
        server.server_close()


def test_tls_certificates_are_verified(self_signed_https, settings):
    """A consumer behind a certificate no trusted authority signed gets nothing: the delivery
    fails (to be retried) before a byte of the statements leaves."""
    import requests

    from openedx_xapi.router import client
    url, cert_path, received = self_signed_https
    # The endpoint itself works: trusting its certificate explicitly, a POST gets through ...
    assert requests.post(url + "statements", data=b"[]", verify=str(cert_path), timeout=5).status_code == 200
    assert len(received) == 1
    # ... but the plugin's client, which verifies against the trusted authorities, refuses it.
    consumer = from_settings({**LRS, "url": url})
    outcome = client.send(consumer, [{"id": "x"}])
    assert (outcome.delivered, outcome.retry) == (False, True)
    assert "SSLError" in outcome.reason
    assert len(received) == 1
    assert client.probe(consumer).up is False


def test_a_private_certificate_authority_is_trusted_when_configured(self_signed_https, settings, tmp_path):
    """An LRS behind an authority of the operator's own: ``CA_BUNDLE`` names it, and the same
    endpoint the client refuses by default takes the statements (the probe says up too)."""
    from openedx_xapi.router import client
    url, cert_path, received = self_signed_https
    consumer = from_settings({**LRS, "url": url})
    settings.OPENEDX_XAPI = {**settings.OPENEDX_XAPI, "CA_BUNDLE": str(cert_path)}
    assert check_settings() == []

    outcome = client.send(consumer, [{"id": "x"}])

    assert outcome.delivered, outcome.reason
    assert received == [b'[{"id":"x"}]']
    assert client.probe(consumer).status == 501  # an answer over verified TLS (the endpoint has no GET)
    settings.OPENEDX_XAPI = {**settings.OPENEDX_XAPI, "CA_BUNDLE": str(tmp_path / "missing.pem")}
    [error] = check_settings()
    assert "CA_BUNDLE" in error.msg and error.id == "openedx_xapi.E009"


@pytest.mark.django_db
def test_a_consumer_whose_secret_no_key_reads_is_left_out_and_logged(settings, use_consumers, caplog):
    """Dropping the old key before the secrets are written again: the consumer is not sent the
    ciphertext as its password; it is left out, with the reason in the log."""
    use_consumers()
    Consumer.objects.create(name="c", protocol="xapi", url="https://x.example.com/", username="u",
                            password="very-secret-password")
    old_key = settings.SECRET_KEY
    try:
        settings.SECRET_KEY = "a-brand-new-password"
        _forget_derived_keys()
        consumers.clear_cache()
        assert consumers.get_consumers() == ()
        assert "the stored password cannot be decrypted" in caplog.text
    finally:
        settings.SECRET_KEY = old_key
        _forget_derived_keys()
        consumers.clear_cache()
    assert [c.password for c in consumers.get_consumers()] == ["very-secret-password"]
