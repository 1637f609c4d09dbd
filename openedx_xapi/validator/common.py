"""Helpers both validators (and the translator's IRI builders) use."""
import re


def json_kind(value):
    """The JSON name of a value's type: null, boolean, number, string, array, object."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


# Characters an IRI may hold (RFC 3987 §2.2): unreserved ASCII, the delimiters, and the
# "ucschar" ranges of Unicode (no controls, no surrogates, no noncharacters, no private
# use). Anything else must be %-escaped. Square brackets only enclose an IPv6 host.
_UCSCHAR = "\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef" + "".join(
    f"{chr(plane << 16)}-{chr((plane << 16) + 0xFFFD)}" for plane in range(1, 15))

# The rest of an IRI is a sequence of such characters and escapes. It is written as
# ``C*(?:%XX C*)*`` rather than ``(?:C|%XX)*``: the same strings, but the regex engine
# runs through a character class in one step where the alternation costs a branch per
# character (six times slower on a typical block IRI, and IRIs are checked a dozen
# times per document). Neither form can backtrack catastrophically.
_IRI_CHAR = rf"[A-Za-z0-9\-._~:/?#@!$&'()*+,;={_UCSCHAR}]"
_ESCAPE = r"%[0-9A-Fa-f]{2}"
_IRI_CHARS = rf"{_IRI_CHAR}*(?:{_ESCAPE}{_IRI_CHAR}*)*"  # any number of characters and escapes
SCHEME = r"[A-Za-z][A-Za-z0-9+.\-]*"
IRI_REST = rf"(?://\[[0-9A-Fa-f:.]+\]{_IRI_CHARS}|(?:{_IRI_CHAR}|{_ESCAPE}){_IRI_CHARS})"
_ABSOLUTE_IRI = re.compile(rf"{SCHEME}:{IRI_REST}").fullmatch


# Absolute IRIs already found valid. The same verbs, types, extension keys, courses and
# blocks recur in document after document, and a set lookup costs a third of the regex.
# Only valid strings are kept, and the set is emptied when it grows large.
KNOWN_IRIS = set()
_KNOWN_IRIS_LIMIT = 20_000


def is_absolute_iri(value):
    """True for a string that is an absolute IRI: a scheme, ":", and only IRI characters."""
    if type(value) is str and value in KNOWN_IRIS:
        return True
    if not isinstance(value, str) or _ABSOLUTE_IRI(value) is None:
        return False
    if type(value) is str:
        if len(KNOWN_IRIS) >= _KNOWN_IRIS_LIMIT:
            KNOWN_IRIS.clear()
        KNOWN_IRIS.add(value)
    return True
