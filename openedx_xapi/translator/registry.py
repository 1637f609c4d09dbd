"""Which mapping translates which event, per protocol.

Every module in ``openedx_xapi/translator/families/`` is imported on first use and
calls :func:`register` for its events: adding an event family is adding one module.
A family module also offers ``SAMPLES``, an example source event per event name, used
by the generated docs and by the property-based tests, and ``DIFFERENCES_FROM_ERB``,
where its vocabulary deliberately departs from event-routing-backends, and why.
"""
import importlib
import pkgutil

_MAPPINGS = {"xapi": {}, "caliper": {}}
_SAMPLES = {}
_DIFFERENCES = {}
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
            family = importlib.import_module(f"{families.__name__}.{module.name}")
            _SAMPLES.update(getattr(family, "SAMPLES", {}))
            _DIFFERENCES.update(getattr(family, "DIFFERENCES_FROM_ERB", {}))
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


def sample_for(event_name):
    """An example source event (in-process shape) for ``event_name``, or None."""
    _load_families()
    return _SAMPLES.get(event_name)


def differences_from_erb():
    """``{event name: reason}``: where we deliberately emit something else than
    event-routing-backends, and why (each family module's ``DIFFERENCES_FROM_ERB``)."""
    _load_families()
    return dict(_DIFFERENCES)
