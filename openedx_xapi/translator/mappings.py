"""Mappings made of mappings: one chosen per event, or one behind a check.

A family registers these like any ``XapiMapping`` or ``CaliperMapping``: each has the
event, protocol and family of the mapping it wraps (of ``then``, for :class:`Either`).
"""
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from openedx_xapi.translator.caliper import CaliperMapping
from openedx_xapi.translator.common import is_own_membership, member_id, user_id
from openedx_xapi.translator.mapping import TranslationError
from openedx_xapi.translator.registry import register
from openedx_xapi.translator.xapi import XapiMapping


class Wrapper:
    """The event, protocol and family of a mapping that wraps ``self.mapping``."""

    @property
    def protocol(self):
        return self.mapping.protocol

    @property
    def event(self):
        return self.mapping.event

    @property
    def family(self):
        return self.mapping.family


@dataclass(frozen=True)
class Either(Wrapper):
    """One event, two mappings: ``then`` when ``when(event)`` is true, else ``otherwise``."""
    when: Callable
    then: Any
    otherwise: Any

    @property
    def mapping(self):
        return self.then

    def translate(self, event, ctx):
        return (self.then if self.when(event) else self.otherwise).translate(event, ctx)


@dataclass(frozen=True)
class Guarded(Wrapper):
    """A mapping behind a check: ``refusal(event)`` says why the event is refused, or None."""
    mapping: Any
    refusal: Callable

    def translate(self, event, ctx):
        reason = self.refusal(event)
        if reason:
            raise TranslationError(reason)
        return self.mapping.translate(event, ctx)


def guarded(refusal, *mappings):
    """Each of ``mappings`` behind the check ``refusal`` (see :class:`Guarded`)."""
    return tuple(Guarded(mapping, refusal) for mapping in mappings)


# --- who acted (teams, cohorts) ---------------------------------------------------------

def _member_taken_for_actor(event):
    if member_id(event) is not None and user_id(event.context.get("user_id")) != event.user_id:
        return "no context.user_id: data.user_id names the member, not who acted"
    return None


def acted_by_context_user(*mappings):
    """Guard mappings of events whose ``data.user_id`` is a member, not the actor: reject
    the event when the actor would be taken from it (no usable ``context.user_id``)."""
    return guarded(_member_taken_for_actor, *mappings)


def membership_mappings(name, family, own_verb, others_verb, xapi_fields, action, caliper_fields):
    """The mappings of an event that adds a member to a group or removes one: the verb says
    whether the member is the actor (``own_verb``) or someone else (``others_verb``)."""
    return acted_by_context_user(
        Either(is_own_membership,
               XapiMapping(event=name, verb=own_verb, fields=xapi_fields, family=family),
               XapiMapping(event=name, verb=others_verb, fields=xapi_fields, family=family)),
        CaliperMapping(event=name, type="Event", action=action, profile="GeneralProfile",
                       fields=caliper_fields, family=family),
    )


# --- course ids that can be part of an IRI (navigation, textbooks, bookmarks, notes) -----

_COURSE_KEY = re.compile(r"[\w.~:+@/\-]+")  # Open edX keys: word characters and separators


def _not_a_course_key(event):
    """``common.course_iri`` refuses what is not an IRI, but an IRI's ``?``, ``#``, ``&``, ``,``...
    in a course id would still name something else than the course: only keys pass here."""
    if event.course_id is not None and not _COURSE_KEY.fullmatch(event.course_id):
        return "course_id is not an Open edX course key"
    return None


def register_checked(*mappings):
    """Register mappings behind a check that refuses an event whose course id is not an Open edX key."""
    register(*guarded(_not_a_course_key, *mappings))
