"""HTTP delivery to one consumer, with pooled connections and a timeout on every call.

``send(consumer, documents)`` POSTs a batch (an xAPI statement array, or a Caliper
Sensor API envelope) and says what happened as an :class:`Outcome`: delivered,
worth retrying, or refused for good. It never raises for network trouble.
"""
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import orjson
import requests
from requests.adapters import HTTPAdapter

from openedx_xapi import __version__, conf
from openedx_xapi.translator.caliper import caliper_time
from openedx_xapi.translator.vocabulary import CALIPER_CONTEXT

log = logging.getLogger(__name__)

USER_AGENT = f"openedx-xapi/{__version__}"
_RETRY_STATUSES = frozenset((408, 425, 429))  # and every 5xx
# Seconds: a consumer may not park a delivery for longer than this (it also stays well
# under the broker's visibility timeout, so the task is not handed out twice meanwhile).
_MAX_RETRY_AFTER = 600.0
_sessions = {}


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    retry: bool = False
    reason: str = ""
    status: int | None = None
    retry_after: float | None = None


def session_for(consumer):
    """One pooled session per consumer and process (requests keeps the connections alive)."""
    session = _sessions.get(consumer.name)
    if session is None:
        session = requests.Session()
        session.mount("https://", HTTPAdapter(pool_connections=1, pool_maxsize=10))
        session.mount("http://", HTTPAdapter(pool_connections=1, pool_maxsize=10))
        session.headers["User-Agent"] = USER_AGENT
        session.trust_env = False  # no proxies or .netrc credentials picked up from the environment
        _sessions[consumer.name] = session
    return session


def _verify():
    """What requests checks certificates against: ``CA_BUNDLE``, or certifi's authorities
    (the session ignores REQUESTS_CA_BUNDLE and the like: ``trust_env`` is off)."""
    return conf.get("CA_BUNDLE") or True


def request_for(consumer, documents):
    """(body bytes, headers) for a batch of documents."""
    headers = {"Content-Type": "application/json"}
    if consumer.protocol == "xapi":
        headers["X-Experience-API-Version"] = consumer.xapi_version
        body = documents
    else:
        body = {
            "sensor": conf.caliper_sensor_id(),
            "sendTime": caliper_time(datetime.now(timezone.utc)),
            "dataVersion": CALIPER_CONTEXT,
            "data": documents,
        }
    if consumer.auth_type == "bearer":
        headers["Authorization"] = f"Bearer {consumer.token}"
    return orjson.dumps(body), headers


def send(consumer, documents):
    body, headers = request_for(consumer, documents)
    auth = (consumer.username, consumer.password) if consumer.auth_type == "basic" else None
    try:
        response = session_for(consumer).post(
            consumer.statements_url, data=body, headers=headers, auth=auth,
            timeout=(float(conf.get("CONNECT_TIMEOUT")), float(conf.get("READ_TIMEOUT"))), verify=_verify(),
            allow_redirects=False,  # credentials never follow a redirect
        )
    except requests.Timeout:
        return Outcome(False, retry=True, reason="timed out")
    except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as error:
        # Includes a connection dropped halfway through the answer; re-sending is safe,
        # since statement ids are deterministic.
        return Outcome(False, retry=True, reason=f"connection failed: {type(error).__name__}")
    except requests.RequestException as error:
        # Only the kind: the text of some (InvalidHeader) quotes a header, credentials included.
        return Outcome(False, retry=False, reason=f"request failed: {type(error).__name__}")
    return outcome_of(response)


def outcome_of(response):
    status = response.status_code
    if 200 <= status < 300:
        return Outcome(True, status=status)
    if status == 409:
        # The LRS already holds a statement with this id. Ids are deterministic, so it is
        # this same source event, delivered before (perhaps translated by an earlier
        # release). xAPI statements are immutable: sending it again cannot change that.
        # (For a batch of several, the router splits it first: see delivery.py.)
        return Outcome(True, status=status, reason="already stored")
    reason = f"HTTP {status}: {response.text[:500]}"
    if status in _RETRY_STATUSES or status >= 500:
        return Outcome(False, retry=True, reason=reason, status=status,
                       retry_after=_retry_after(response.headers.get("Retry-After")))
    if 300 <= status < 400:
        reason = f"HTTP {status}: the endpoint redirects to {response.headers.get('Location')!r}; " \
                 "configure that URL instead"
    return Outcome(False, retry=False, reason=reason, status=status)


def _retry_after(value):
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), capped."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - datetime.now(timezone.utc)).total_seconds()
        except (TypeError, ValueError):  # unreadable, or a date without a zone
            return None
    if not math.isfinite(seconds):
        return _MAX_RETRY_AFTER if seconds > 0 else None
    return min(max(0.0, seconds), _MAX_RETRY_AFTER)


@dataclass(frozen=True)
class Probe:
    """What a probe of a consumer found: ``up`` when it answered at all, without a 5xx or 429."""

    up: bool
    status: int | None
    reason: str
    url: str


def probe(consumer):
    """GET the consumer's xAPI ``about`` resource, or its Caliper endpoint; never raises.

    Any answer but a 5xx or a 429 means the consumer is up (an LRS without ``about``
    answers 404, and a Caliper endpoint may refuse GET with 405: both are alive); whether
    it accepts our credentials and statements is the next delivery's business."""
    url = consumer.about_url if consumer.protocol == "xapi" else consumer.statements_url
    headers = {"X-Experience-API-Version": consumer.xapi_version} if consumer.protocol == "xapi" else {}
    if consumer.auth_type == "bearer":
        headers["Authorization"] = f"Bearer {consumer.token}"
    auth = (consumer.username, consumer.password) if consumer.auth_type == "basic" else None
    try:
        response = session_for(consumer).get(
            url, headers=headers, auth=auth, allow_redirects=False,
            timeout=(float(conf.get("CONNECT_TIMEOUT")), float(conf.get("READ_TIMEOUT"))), verify=_verify())
    except requests.Timeout:
        return Probe(False, None, "timed out", url)
    except requests.RequestException as error:
        return Probe(False, None, f"connection failed: {type(error).__name__}", url)
    status = response.status_code
    up = status < 500 and status != 429
    return Probe(up, status, f"HTTP {status}" + ("" if up else f": {response.text[:200]}"), url)
