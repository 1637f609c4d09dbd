"""Which mapping translates which event, per protocol.

Every module in ``openedx_xapi/translator/families/`` is imported on first use and
calls :func:`register` for its events: adding an event family is adding one module.
"""
import importlib
import pkgutil

_MAPPINGS = {"xapi": {}, "caliper": {}}
_loaded = False


def register(*mappings):
    """Register mappings (XapiMapping or CaliperMapping); a name may be registered once per protocol."""
    for mapping in mappings:
        table = _MAPPINGS[mapping.protocol]
        if mapping.event in table:
            raise ValueError(f"{mapping.event} is already mapped for {mapping.protocol}")
        table[mapping.event] = mapping


def _load_families():
    global _loaded
    if not _loaded:
        from openedx_xapi.translator import families
        for module in pkgutil.iter_modules(families.__path__):
            importlib.import_module(f"{families.__name__}.{module.name}")
        _loaded = True


def mappings(protocol):
    """``{event name: mapping}`` for ``protocol`` ("xapi" or "caliper")."""
    _load_families()
    return _MAPPINGS[protocol]


def mapping_for(protocol, event_name):
    return mappings(protocol).get(event_name)


def mapped_events(protocol=None):
    """Sorted event names mapped for ``protocol``, or for either protocol."""
    _load_families()
    protocols = [protocol] if protocol else list(_MAPPINGS)
    return sorted({name for p in protocols for name in _MAPPINGS[p]})
