"""Django system checks: a bad ``OPENEDX_XAPI`` setting is reported at start-up
(``manage.py check``), not discovered when the first event is dropped."""
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
    return errors
