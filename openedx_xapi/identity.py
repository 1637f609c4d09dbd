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
import logging
from urllib.parse import quote

from openedx_xapi.ids import uuid4_from_digest

log = logging.getLogger(__name__)

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

    # Outside an LMS there is no user table: only what the event itself says.
    def user_id_for(self, username):
        return None

    def username(self, user_id):
        return None

    def email(self, user_id):
        return None


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

    def clear(self):
        """Forget what this process has cached (tests start each from an empty database)."""
        self._cache.clear()

    def prefetch(self, user_ids, kind):
        """Look up (and create) the anonymous ids of many learners at once: a few queries for
        a whole batch instead of two per learner. Never raises (each is looked up later then)."""
        missing = {user_id for user_id in user_ids
                   if isinstance(user_id, int) and (user_id, kind) not in self._cache}
        if not missing:
            return
        try:
            from . import platform
            from .models import ActorId
            found = platform.external_user_ids(missing, kind)
            if found is None:  # outside edx-platform: the plugin's own table
                def stored():
                    return dict(ActorId.objects.filter(user_id__in=missing, kind=kind)
                                .values_list("user_id", "anonymous_id"))
                found = stored()
                if len(found) < len(missing):
                    ActorId.objects.bulk_create([ActorId(user_id=user_id, kind=kind)
                                                 for user_id in missing - set(found)], ignore_conflicts=True)
                    found = stored()  # what another worker created meanwhile wins
            if len(self._cache) + len(found) >= self._cache_size:
                self._cache.clear()
            for user_id, anonymous_id in found.items():
                self._cache[(user_id, kind)] = str(anonymous_id)
        except Exception:  # pylint: disable=broad-except
            log.exception("openedx_xapi: could not look up anonymous ids in bulk")

    @staticmethod
    def _guest_key():
        from django.conf import settings
        return hmac.new(settings.SECRET_KEY.encode(), b"openedx-xapi guest actors", hashlib.sha256).digest()

    def _user_id(self, username):
        from . import platform
        return platform.user_id_for_username(username)

    user_id_for = _user_id

    def username(self, user_id):
        from . import platform
        return self._cached(("username", user_id), platform.username_of)

    def email(self, user_id):
        from . import platform
        return self._cached(("email", user_id), platform.email_of)

    def _cached(self, key, lookup):
        found = self._cache.get(key)
        if found is None:
            found = lookup(key[1])
            if found is None:
                return None
            if len(self._cache) >= self._cache_size:
                self._cache.clear()
            self._cache[key] = found
        return found

    @staticmethod
    def _lookup(user_id, kind):
        from . import platform
        from .models import ActorId
        external = platform.external_user_id(user_id, kind)
        if external:
            return external
        actor, _created = ActorId.objects.get_or_create(user_id=user_id, kind=kind)
        return str(actor.anonymous_id)


# --- the actor of a document, per the consumer's identity --------------------------------

def learner(event, ctx, kind):
    """``(xAPI agent, Caliper person, learner key)`` for the event's learner, as the consumer's
    identity (``ctx.identity``) says. The learner key is what registrations derive from."""
    mode = ctx.identity
    if event.is_guest or mode == "anonymous":
        key = ctx.actor_ids.actor_id(event, kind)
        return _account(ctx, key), _person(ctx, key), key
    if mode == "hmac":
        secret = ctx.identity_secret.encode()
        key = guest_actor_id(secret, event, kind) if event.is_guest else \
            _keyed_uuid(secret, f"{kind}:{_user_id(event, ctx)}")
        return _account(ctx, key), _person(ctx, key), key
    if mode == "username":
        username = event.username or ctx.actor_ids.username(_user_id(event, ctx))
        if not username:
            raise UnknownLearner("the learner's username is unknown")
        return _account(ctx, username), _person(ctx, quote(username, safe="")), username
    email = ctx.actor_ids.email(_user_id(event, ctx))
    if not email:
        raise UnknownLearner("the learner's email address is unknown")
    mbox = f"mailto:{email}"
    if mode == "mbox":
        return {"objectType": "Agent", "mbox": mbox}, {"id": mbox, "type": "Person"}, mbox
    digest = hashlib.sha1(mbox.encode()).hexdigest()
    return {"objectType": "Agent", "mbox_sha1sum": digest}, _person(ctx, digest), digest


def _account(ctx, name):
    return {"objectType": "Agent", "account": {"homePage": ctx.lms_root_url, "name": name}}


def _person(ctx, name):
    return {"id": f"{ctx.lms_root_url}/user/{name}", "type": "Person"}


def _user_id(event, ctx):
    if event.user_id is not None:
        return event.user_id
    if event.username:
        found = ctx.actor_ids.user_id_for(event.username)
        if found is not None:
            return found
    raise UnknownLearner("the event has no user id")
