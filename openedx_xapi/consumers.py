"""The consumers an event may go to, from settings and from the database, cached.

Both sources give the same immutable :class:`ConsumerConfig`. The list is kept in
memory for ``CONFIG_CACHE_SECONDS`` (and dropped at once in the process where a
consumer is saved), so the LMS request path never reads the database.
"""
import base64
import ipaddress
import logging
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from openedx_xapi import conf
from openedx_xapi.filter.restrictions import KEYS as RESTRICTION_KEYS
from openedx_xapi.filter.restrictions import NO_RESTRICTIONS, RestrictionError, Restrictions
from openedx_xapi.translator.vocabulary import XAPI_VERSIONS

log = logging.getLogger(__name__)

PROTOCOLS = ("xapi", "caliper")
AUTH_TYPES = ("basic", "bearer")
_SETTINGS_KEYS = {"name", "protocol", "url", "auth", "enabled", "xapi_version", "pii", "guests", "identity",
                  "allow_http", "batch_size", "batch_seconds", *RESTRICTION_KEYS}
PII_FIELDS = ("username", "email", "ip", "user_agent", "referer", "session")
# How the actor is identified, and the PII field each needs the consumer to list.
IDENTITIES = {"anonymous": None, "hmac": None, "mbox_sha1sum": None, "mbox": "email", "username": "username"}


def is_loopback(host):
    """127.0.0.0/8, ::1 and localhost."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ConsumerConfigError(ValueError):
    """A consumer declaration that cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class ConsumerConfig:
    name: str
    protocol: str
    url: str
    auth_type: str = "basic"
    username: str = ""
    password: str = field(default="", repr=False)
    token: str = field(default="", repr=False)
    enabled: bool = True
    restrictions: Restrictions = NO_RESTRICTIONS
    xapi_version: str = "1.0.3"
    pii: frozenset = frozenset()
    guests: bool = False  # also send events of learners who are not signed in
    identity: str = "anonymous"
    identity_secret: str = field(default="", repr=False)  # the key of the "hmac" identity
    allow_http: bool = False  # plain http to a host that is not this machine
    batch_size: int | None = None  # None: the BATCH_SIZE setting
    batch_seconds: float | None = None  # None: the BATCH_SECONDS setting
    source: str = "settings"  # or "database"

    def __post_init__(self):
        problems = []
        if not self.name:
            problems.append("'name' is required")
        if self.protocol not in PROTOCOLS:
            problems.append(f"'protocol' must be one of {', '.join(PROTOCOLS)}, not {self.protocol!r}")
        parts = urlsplit(self.url or "")
        if parts.username is not None or parts.password is not None:
            # Never echoed: the URL holds a credential, and this message is logged.
            problems.append("'url' must not hold credentials (user:password@); put them in 'auth'")
        elif parts.scheme not in ("http", "https") or not parts.hostname:
            problems.append(f"'url' must be an http(s) URL, not {self.url!r}")
        elif parts.scheme == "http" and not self.allow_http and not is_loopback(parts.hostname):
            problems.append(f"'url' must use https (plain http is only for this machine, or with "
                            f"'allow_http': true), not {self.url!r}")
        if self.auth_type not in AUTH_TYPES:
            problems.append(f"'auth.type' must be one of {', '.join(AUTH_TYPES)}, not {self.auth_type!r}")
        elif self.auth_type == "basic" and not self.username:
            problems.append("basic auth needs 'auth.username'")
        elif self.auth_type == "bearer" and not self.token:
            problems.append("bearer auth needs 'auth.token'")
        problems.extend(_secret_problems(self))
        if self.xapi_version not in XAPI_VERSIONS:
            problems.append(f"'xapi_version' must be one of {', '.join(XAPI_VERSIONS)}")
        unknown_pii = set(self.pii) - set(PII_FIELDS)
        if unknown_pii:
            problems.append(f"'pii' may list {', '.join(PII_FIELDS)}; unknown: {', '.join(sorted(unknown_pii))}")
        if not isinstance(self.identity, str) or self.identity not in IDENTITIES:
            problems.append(f"'identity' must be one of {', '.join(IDENTITIES)}, not {self.identity!r}")
        elif IDENTITIES[self.identity] and IDENTITIES[self.identity] not in self.pii:
            problems.append(f"the {self.identity!r} identity sends the learner's {IDENTITIES[self.identity]}: "
                            f"list {IDENTITIES[self.identity]!r} in 'pii' to allow it")
        elif self.identity == "hmac" and (not isinstance(self.identity_secret, str) or len(self.identity_secret) < 16):
            problems.append("the 'hmac' identity needs a secret of 16 characters or more "
                            "('identity': {'type': 'hmac', 'secret': ...})")
        if self.batch_size is not None and (type(self.batch_size) is not int or not 1 <= self.batch_size <= 1000):
            problems.append(f"'batch_size' must be a whole number from 1 to 1000, not {self.batch_size!r}")
        if self.batch_seconds is not None and (not isinstance(self.batch_seconds, (int, float))
                                               or isinstance(self.batch_seconds, bool)
                                               or not 0 <= self.batch_seconds <= 60):
            problems.append(f"'batch_seconds' must be a number of seconds from 0 to 60, not {self.batch_seconds!r}")
        if problems:
            raise ConsumerConfigError(f"consumer {self.name or '?'}: " + "; ".join(problems))

    @property
    def statements_url(self):
        """Where xAPI statements are POSTed; for Caliper, the endpoint itself."""
        if self.protocol == "caliper":
            return self.url
        base = self.url.rstrip("/")
        return base if base.endswith("/statements") else base + "/statements"

    @property
    def about_url(self):
        """The xAPI ``about`` resource, used to test the connection."""
        base = self.statements_url.removesuffix("/statements")
        return base + "/about"


def _secret_problems(consumer):
    """What is wrong with the credentials as HTTP would carry them, without saying them: a
    token with a line break or a space at either end (pasted from a file, say) makes the
    HTTP library refuse the header, quoting it in its error; Basic credentials must be
    Latin-1 to be encoded at all."""
    problems = []
    used = [("auth.token", consumer.token)] if consumer.auth_type == "bearer" else \
        [("auth.username", consumer.username), ("auth.password", consumer.password)]
    for name, value in used:
        if not isinstance(value, str):
            problems.append(f"'{name}' must be a string")
        elif value != value.strip() or any(ord(character) < 32 or ord(character) == 127 for character in value):
            problems.append(f"'{name}' has a space or line break at either end, or a control character: "
                            "remove it (the value is not shown here)")
        elif consumer.auth_type == "basic" and not _is_latin1(value):
            problems.append(f"'{name}' has characters HTTP Basic authentication cannot carry (only Latin-1)")
    if ":" in (consumer.username or "") and consumer.auth_type == "basic":
        problems.append("'auth.username' cannot contain ':' (HTTP Basic authentication separates with it)")
    return problems


def _is_latin1(value):
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def from_settings(declaration):
    """A :class:`ConsumerConfig` from one dict of ``OPENEDX_XAPI["CONSUMERS"]``."""
    if not isinstance(declaration, dict):
        raise ConsumerConfigError(f"a consumer must be a dict, not {type(declaration).__name__}")
    unknown = set(declaration) - _SETTINGS_KEYS
    if unknown:
        raise ConsumerConfigError(f"consumer {declaration.get('name', '?')}: unknown keys {', '.join(sorted(unknown))}")
    auth = declaration.get("auth") or {}
    if not isinstance(auth, dict):
        raise ConsumerConfigError(f"consumer {declaration.get('name', '?')}: 'auth' must be a dict")
    name = declaration.get("name", "?")
    try:
        restrictions = Restrictions.from_mapping({k: v for k, v in declaration.items() if k in RESTRICTION_KEYS})
    except RestrictionError as error:
        raise ConsumerConfigError(f"consumer {name}: {error}") from None
    identity = declaration.get("identity") or "anonymous"
    identity_secret = ""
    if isinstance(identity, dict):
        identity, identity_secret = identity.get("type", ""), identity.get("secret") or ""
    pii = declaration.get("pii") or ()
    if not isinstance(pii, (list, tuple, set, frozenset)):
        raise ConsumerConfigError(f"consumer {name}: 'pii' must be a list, e.g. [\"session\"]")
    for flag in ("enabled", "guests", "allow_http"):
        # "false" (a string, from an environment variable) would otherwise be taken as true.
        if flag in declaration and not isinstance(declaration[flag], bool):
            raise ConsumerConfigError(f"consumer {name}: '{flag}' must be true or false, "
                                      f"not {declaration[flag]!r}")
    return ConsumerConfig(
        name=declaration.get("name", ""),
        protocol=declaration.get("protocol", "xapi"),
        url=declaration.get("url", ""),
        auth_type=auth.get("type", "bearer" if declaration.get("protocol") == "caliper" else "basic"),
        username=auth.get("username", ""),
        password=auth.get("password", ""),
        token=auth.get("token", ""),
        enabled=bool(declaration.get("enabled", True)),
        restrictions=restrictions,
        xapi_version=declaration.get("xapi_version", "1.0.3"),
        pii=frozenset(pii),
        guests=declaration.get("guests", False) is True,
        identity=identity,
        identity_secret=identity_secret,
        allow_http=declaration.get("allow_http", False) is True,
        batch_size=declaration.get("batch_size"),
        batch_seconds=declaration.get("batch_seconds"),
        source="settings",
    )


def from_model(consumer):
    """A :class:`ConsumerConfig` from a :class:`~openedx_xapi.models.Consumer` row."""
    _check_decrypted(consumer)
    try:
        restrictions = Restrictions.from_mapping(consumer.restrictions)
    except RestrictionError as error:
        raise ConsumerConfigError(f"consumer {consumer.name}: {error}") from None
    return ConsumerConfig(
        name=consumer.name,
        protocol=consumer.protocol,
        url=consumer.url,
        auth_type=consumer.auth_type,
        username=consumer.username,
        password=consumer.password or "",
        token=consumer.token or "",
        enabled=consumer.enabled,
        restrictions=restrictions,
        xapi_version=consumer.xapi_version,
        pii=frozenset(consumer.pii or ()),
        guests=consumer.guests,
        identity=consumer.identity,
        identity_secret=consumer.identity_secret or "",
        allow_http=consumer.allow_http,
        batch_size=consumer.batch_size,
        batch_seconds=consumer.batch_seconds,
        source="database",
    )


def declared_names():
    return {d.get("name") for d in conf.get("CONSUMERS") or () if isinstance(d, dict)}


def load_consumers():
    """Every usable, enabled consumer. Bad declarations are logged and left out."""
    found = {}
    for declaration in conf.get("CONSUMERS") or ():
        try:
            consumer = from_settings(declaration)
        except ConsumerConfigError as error:
            log.error("openedx_xapi: ignoring a consumer declared in settings: %s", error)
            continue
        found[consumer.name] = consumer
    try:
        from openedx_xapi.models import Consumer
        for row in Consumer.objects.filter(enabled=True):
            if row.name in found:
                log.error("openedx_xapi: consumer %s is declared in settings and in the database; "
                          "the settings win", row.name)
                continue
            try:
                found[row.name] = from_model(row)
            except ConsumerConfigError as error:
                log.error("openedx_xapi: ignoring consumer %s from the database: %s", row.name, error)
    except Exception:  # the table may not exist yet (before migrations), or the DB be away
        log.exception("openedx_xapi: could not read consumers from the database")
    return tuple(c for c in found.values() if c.enabled)


class _Cache:
    """The consumer list, reloaded at most every ``CONFIG_CACHE_SECONDS``."""

    def __init__(self):
        self._lock = threading.Lock()
        self._consumers = None
        self._by_name = {}
        self._expires = 0.0

    def get(self):
        if time.monotonic() >= self._expires or self._consumers is None:
            with self._lock:
                if time.monotonic() >= self._expires or self._consumers is None:
                    consumers = load_consumers()
                    self._by_name = {c.name: c for c in consumers}
                    self._consumers = consumers
                    self._expires = time.monotonic() + float(conf.get("CONFIG_CACHE_SECONDS"))
        return self._consumers

    def by_name(self, name):
        self.get()
        return self._by_name.get(name)

    def clear(self):
        self._expires = 0.0
        self._consumers = None


_cache = _Cache()
get_consumers = _cache.get
get_consumer = _cache.by_name
clear_cache = _cache.clear


def batch_size_of(consumer):
    """Most documents per request to this consumer."""
    return consumer.batch_size or max(1, int(conf.get("BATCH_SIZE")))


def stream_batch():
    """(entries, seconds) of one read of the stream: room for the largest consumer batch, and
    the shortest wait any consumer asks for."""
    size, seconds = max(1, int(conf.get("BATCH_SIZE"))), float(conf.get("BATCH_SECONDS"))
    for consumer in get_consumers():
        if consumer.batch_size:
            size = max(size, consumer.batch_size)
        if consumer.batch_seconds is not None:
            seconds = min(seconds, float(consumer.batch_seconds))
    return size, seconds


SECRET_FIELDS = ("password", "token", "identity_secret")


def reencrypt_secrets():
    """Write every stored secret again under the newest key; returns how many consumers.

    Keys rotate in three steps (README "Configuring"): put the new ``SECRET_KEY`` in place
    with the old one in ``SECRET_KEY_FALLBACKS`` (or a new salt first in ``SALT_KEY``),
    whereupon secrets are read with any key and written with the new one; call this (or
    save each consumer in the admin); then drop the old key. A secret that no key reads
    raises :class:`ConsumerConfigError`, naming the consumer, and is left as it was."""
    from openedx_xapi.models import Consumer
    rows = list(Consumer.objects.order_by("pk"))
    for row in rows:  # all checked before any is written
        _check_decrypted(row)
    for row in rows:
        row.save(update_fields=SECRET_FIELDS)
    return len(rows)


def _check_decrypted(row):
    """django-fernet-encrypted-fields hands back the ciphertext itself when no key decrypts it
    (the old key was dropped too early): that is no secret to send, nor to write again."""
    for name in SECRET_FIELDS:
        if _is_fernet_token(getattr(row, name)):
            raise ConsumerConfigError(
                f"consumer {row.name}: the stored {name} cannot be decrypted with SECRET_KEY or "
                "SECRET_KEY_FALLBACKS (and SALT_KEY); put the key it was stored with back in SECRET_KEY_FALLBACKS")


def _is_fernet_token(value):
    """A Fernet token: URL-safe base64 of version 0x80, a timestamp, an IV, the ciphertext and an HMAC."""
    if not isinstance(value, str) or len(value) < 100 or not value.startswith("gAAAAA"):
        return False
    try:
        raw = base64.urlsafe_b64decode(value.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return False
    return raw[:1] == b"\x80" and (len(raw) - 57) % 16 == 0
