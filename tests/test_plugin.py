"""The plugin as edx-platform sees it: an entry point, an app, and its settings."""
import subprocess
import sys
import types
from pathlib import Path

import pytest
from django.conf import settings
from edx_django_utils.plugins import get_plugin_apps

from openedx_xapi.settings import common, production

ROOT = Path(__file__).resolve().parent.parent


def test_found_under_lms_djangoapp():
    assert "openedx_xapi.apps.OpenedxXapiConfig" in get_plugin_apps("lms.djangoapp")


def test_stand_in_lms_got_the_backend_through_the_plugin_framework():
    assert settings.EVENT_TRACKING_BACKENDS["openedx_xapi"]["ENGINE"] == "openedx_xapi.backend.EventTrackingBackend"
    assert "openedx_xapi.apps.OpenedxXapiConfig" in settings.INSTALLED_APPS


def test_plugin_settings_adds_backend_and_defaults_without_clobbering():
    lms = types.SimpleNamespace(EVENT_TRACKING_BACKENDS={"tracking_logs": {"ENGINE": "x"}},
                                OPENEDX_XAPI={"CONSUMERS": [{"name": "a"}]})
    common.plugin_settings(lms)
    assert set(lms.EVENT_TRACKING_BACKENDS) == {"tracking_logs", "openedx_xapi"}
    assert lms.OPENEDX_XAPI["CONSUMERS"] == [{"name": "a"}]
    assert lms.OPENEDX_XAPI["CONFIG_CACHE_SECONDS"] == 30
    lms.ENV_TOKENS = {"OPENEDX_XAPI": {"CONFIG_CACHE_SECONDS": 5}}
    production.plugin_settings(lms)
    assert lms.OPENEDX_XAPI["CONFIG_CACHE_SECONDS"] == 5
    assert lms.OPENEDX_XAPI["CONSUMERS"] == [{"name": "a"}]


@pytest.mark.slow
def test_pip_install_into_a_clean_virtualenv(tmp_path):
    """pip install . next to Django and event-tracking only: the LMS's plugin machinery finds it."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    subprocess.run([python, "-m", "pip", "install", "-q", "Django", "event-tracking", str(ROOT)],
                   check=True, timeout=900, capture_output=True)
    probe = (
        "import types\n"
        "from edx_django_utils.plugins import get_plugin_apps\n"
        "from edx_django_utils.plugins.plugin_settings import _iter_plugins\n"
        "apps = get_plugin_apps('lms.djangoapp')\n"
        "assert 'openedx_xapi.apps.OpenedxXapiConfig' in apps, apps\n"
        "lms = types.SimpleNamespace(EVENT_TRACKING_BACKENDS={})\n"
        "for module in _iter_plugins('lms.djangoapp', 'common'):\n"
        "    module.plugin_settings(lms)\n"
        "print(lms.EVENT_TRACKING_BACKENDS['openedx_xapi']['ENGINE'])\n"
    )
    result = subprocess.run([python, "-c", probe], capture_output=True, text=True, cwd=tmp_path, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "openedx_xapi.backend.EventTrackingBackend"
