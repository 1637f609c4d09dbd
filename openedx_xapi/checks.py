"""Django system checks: a bad ``OPENEDX_XAPI`` setting is reported at start-up
(``manage.py check``), not discovered when the first event is dropped."""
import os

from django.core import checks

from openedx_xapi import conf
from openedx_xapi.consumers import ConsumerConfigError, from_settings
from openedx_xapi.validator.common import is_absolute_iri

HANDOFFS = ("auto", "stream", "celery", "event_bus")


@checks.register()
def check_settings(app_configs=None, **kwargs):
    errors = []
    declarations = conf.get("CONSUMERS")
    if not isinstance(declarations, (list, tuple)):
        return [checks.Error("OPENEDX_XAPI['CONSUMERS'] must be a list of dicts", id="openedx_xapi.E001")]
    names = set()
    for index, declaration in enumerate(declarations):
        try:
            consumer = from_settings(declaration)
        except ConsumerConfigError as error:
            errors.append(checks.Error(f"OPENEDX_XAPI['CONSUMERS'][{index}]: {error}", id="openedx_xapi.E002"))
            continue
        if consumer.name in names:
            errors.append(checks.Error(f"OPENEDX_XAPI['CONSUMERS']: the name {consumer.name!r} is used twice",
                                       id="openedx_xapi.E003"))
        names.add(consumer.name)
    return errors + _check_options()


def _check_options():
    """The settings every event depends on: a mistake here would refuse or lose them all."""
    errors = []
    if not is_absolute_iri(conf.lms_root_url()):
        errors.append(checks.Error(
            f"OPENEDX_XAPI['LMS_ROOT_URL'] (or LMS_ROOT_URL) must be an absolute URL such as https://lms.example.com, "
            f"not {conf.lms_root_url()[:100]!r}: it begins every activity and actor IRI", id="openedx_xapi.E004"))
    elif not is_absolute_iri(conf.caliper_sensor_id()):
        errors.append(checks.Error(
            f"OPENEDX_XAPI['CALIPER_SENSOR_ID'] must be an absolute IRI (the sensor of every Caliper envelope), "
            f"not {conf.caliper_sensor_id()[:100]!r}", id="openedx_xapi.E005"))
    if conf.get("HANDOFF") not in HANDOFFS:
        errors.append(checks.Error(
            f"OPENEDX_XAPI['HANDOFF'] must be one of {', '.join(HANDOFFS)}, not {conf.get('HANDOFF')!r}",
            id="openedx_xapi.E006"))
    bundle = conf.get("CA_BUNDLE")
    if bundle is not None and not (isinstance(bundle, str) and os.path.isfile(bundle) and os.access(bundle, os.R_OK)):
        errors.append(checks.Error(
            f"OPENEDX_XAPI['CA_BUNDLE'] must be the path of a readable PEM file of certificate authorities "
            f"(or None for the public ones), not {str(bundle)[:200]!r}", id="openedx_xapi.E009"))
    return errors


@checks.register()
def check_spool(app_configs=None, **kwargs):
    """The spool of the stream hand-off (ADR 0008): a mistake here would lose the events an
    LMS process holds while Redis is down, and only be noticed then."""
    errors = []
    directory = conf.get("SPOOL_DIR")
    if directory is not None and not (isinstance(directory, str) and os.path.isabs(directory)):
        errors.append(checks.Error(
            f"OPENEDX_XAPI['SPOOL_DIR'] must be an absolute path (or None), not {directory!r}",
            id="openedx_xapi.E007"))
    elif directory and os.path.isdir(directory) and not os.access(directory, os.W_OK | os.X_OK):
        errors.append(checks.Warning(
            f"OPENEDX_XAPI['SPOOL_DIR'] {directory} is not writable by this process: while Redis is down, "
            "events would wait in memory only (and be lost with the process)", id="openedx_xapi.W001"))
    limit = conf.get("SPOOL_MAX_EVENTS")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        errors.append(checks.Error(
            f"OPENEDX_XAPI['SPOOL_MAX_EVENTS'] must be a positive whole number, not {limit!r}",
            id="openedx_xapi.E008"))
    return errors
