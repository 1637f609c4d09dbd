"""Who the actor of a statement is, without saying who the learner is.

An actor id is an anonymous UUID, stable per learner and per kind of consumer
("xapi" or "caliper"), so an LRS can follow one learner without learning who they are.

* :class:`StoredActorIds` (inside an LMS): edx-platform's ``ExternalId`` when it is
  installed, otherwise a random UUID kept in the plugin's own table.
* :class:`HmacActorIds` (outside an LMS, e.g. the command line): a keyed HMAC of the
  user id, so the same secret gives the same ids everywhere with no database.

A guest (an event with no learner) has an actor only for consumers that ask for
guests: a keyed HMAC of the session id, so one visit is one anonymous actor and the
session id itself never leaves.
"""
import hashlib
import hmac

from openedx_xapi.ids import uuid4_from_digest

KINDS = ("xapi", "caliper")


class UnknownLearner(LookupError):
    """The event names a learner this resolver cannot turn into an actor id."""


def _keyed_uuid(key, text):
    return uuid4_from_digest(hmac.new(key, text.encode(), hashlib.sha256).digest())


def guest_actor_id(key, event, kind):
    """A session-scoped anonymous id for a guest's event."""
    if not event.session:
        raise UnknownLearner("a guest event without a session cannot be given an actor")
    return _keyed_uuid(key, f"guest:{kind}:{event.session}")


class HmacActorIds:
    def __init__(self, secret):
        if not secret:
            raise ValueError("an anonymization secret is required")
        self._key = secret.encode("utf-8") if isinstance(secret, str) else secret

    def actor_id(self, event, kind):
        if event.is_guest:
            return guest_actor_id(self._key, event, kind)
        if event.user_id is None:
            raise UnknownLearner("the event has no user_id (a username alone needs the LMS database)")
        return _keyed_uuid(self._key, f"{kind}:{event.user_id}")


class StoredActorIds:
    """Anonymous ids kept by the LMS, cached in this process (they never change)."""

    def __init__(self, cache_size=100_000):
        self._cache = {}
        self._cache_size = cache_size

    def actor_id(self, event, kind):
        if event.is_guest:
            return guest_actor_id(self._guest_key(), event, kind)
        user_id = event.user_id
        if user_id is None and event.username:
            user_id = self._user_id(event.username)
        if user_id is None:
            raise UnknownLearner("the event names no known learner")
        key = (user_id, kind)
        found = self._cache.get(key)
        if found is None:
            found = self._lookup(user_id, kind)
            if len(self._cache) >= self._cache_size:
                self._cache.clear()
            self._cache[key] = found
        return found

    @staticmethod
    def _guest_key():
        from django.conf import settings
        return hmac.new(settings.SECRET_KEY.encode(), b"openedx-xapi guest actors", hashlib.sha256).digest()

    def _user_id(self, username):
        from . import platform
        return platform.user_id_for_username(username)

    @staticmethod
    def _lookup(user_id, kind):
        from . import platform
        from .models import ActorId
        external = platform.external_user_id(user_id, kind)
        if external:
            return external
        actor, _created = ActorId.objects.get_or_create(user_id=user_id, kind=kind)
        return str(actor.anonymous_id)
