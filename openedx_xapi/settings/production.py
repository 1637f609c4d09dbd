"""Production settings: let operators override ``OPENEDX_XAPI`` from their YAML config.

Tutor and the LMS's YAML loader put extra settings in ``ENV_TOKENS``; whatever the
operator sets under ``OPENEDX_XAPI`` there is merged over the defaults key by key.
"""


def plugin_settings(settings):
    env_tokens = getattr(settings, "ENV_TOKENS", None) or {}
    overrides = env_tokens.get("OPENEDX_XAPI") or {}
    settings.OPENEDX_XAPI = {**settings.OPENEDX_XAPI, **overrides}
