"""Django system checks: a bad ``OPENEDX_XAPI`` setting is reported at start-up
(``manage.py check``), not discovered when the first event is dropped."""
from django.core import checks

from openedx_xapi import conf
from openedx_xapi.consumers import ConsumerConfigError, from_settings


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
    return errors
