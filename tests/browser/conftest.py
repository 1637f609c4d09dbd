"""Browser tests of the admin console: Playwright driving Debian's chromium (headless; Playwright
never downloads a browser here), against the stand-in LMS served by pytest-django's
``live_server``. Every page visited is screenshotted under ``.artifacts/screenshots/`` and
checked with axe-core (from the npm registry, kept in ``.cache/axe-core/``).

Both are installed by the Makefile (see README "Admin"); a test fails, never skips, without them.
"""
import os
import re
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
AXE_JS = Path(os.environ.get("AXE_CORE_JS", PROJECT / ".cache/axe-core/node_modules/axe-core/axe.min.js"))
SCREENSHOTS = Path(os.environ.get("SCREENSHOTS_DIR", PROJECT / ".artifacts/screenshots"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# What fails a page: axe's serious and critical violations (moderate and minor are reported only).
BLOCKING_IMPACTS = ("serious", "critical")
OPERATOR, OPERATOR_PASSWORD = "operator", "operator-pw-for-the-browser"

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are plain
# synchronous code all the same.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives a real browser (chromium) against the stand-in LMS")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def browser():
    missing = [f"{what} ({path})" for what, path in (("chromium", CHROMIUM), ("axe-core", AXE_JS))
               if not path.is_file()]
    if missing:
        pytest.fail(f"the browser tests need {' and '.join(missing)}: run `make browser-test-requirements` "
                    "(apt-get install chromium; npm install axe-core into .cache/axe-core)", pytrace=False)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Console:
    """One operator's browser tab on the admin: go to pages, screenshot and axe-check each."""

    def __init__(self, page, base_url, name):
        self.page = page
        self.base_url = base_url
        self.directory = SCREENSHOTS / name
        self.directory.mkdir(parents=True, exist_ok=True)
        for old in self.directory.glob("*.png"):
            old.unlink()
        self.shots = 0
        self.accessibility = {}  # screenshot name -> the violations axe reported

    def goto(self, path):
        self.page.goto(self.base_url + path)
        return self.page

    def record(self, step, accessibility=True):
        """Screenshot the page as ``NN-step.png``, and fail on axe's serious or critical violations
        (``accessibility=False`` only where scripts are off, so axe cannot run: a page checked elsewhere)."""
        self.shots += 1
        name = f"{self.shots:02d}-{re.sub(r'[^a-z0-9]+', '-', step.lower()).strip('-')}"
        self.page.screenshot(path=str(self.directory / f"{name}.png"), full_page=True)
        if not accessibility:
            return name
        self.page.add_script_tag(path=str(AXE_JS))
        result = self.page.evaluate("""async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                               nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
        }""")
        self.accessibility[name] = result
        blocking = [v for v in result if v["impact"] in BLOCKING_IMPACTS]
        assert not blocking, f"{name} ({self.page.url}): accessibility violations:\n" + "\n".join(
            f"  {v['impact']}: {v['id']}: {v['help']} at {v['nodes']}" for v in blocking)
        return name


@pytest.fixture
def operator(django_user_model, transactional_db, pii_scan):
    pii_scan.sensitive.add("password", OPERATOR_PASSWORD)
    return django_user_model.objects.create_superuser(OPERATOR, "operator@example.com", OPERATOR_PASSWORD)


@pytest.fixture
def console(browser, live_server, operator, request):
    """A fresh browser context on the admin of the stand-in LMS, signed in as the operator."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    tab = Console(page, live_server.url, request.node.name)
    tab.goto("/admin/")
    tab.record("sign in")
    page.get_by_label("Username").fill(OPERATOR)
    page.get_by_label("Password").fill(OPERATOR_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_selector("#site-name")
    assert "Site administration" in page.content()
    tab.record("home")
    yield tab
    context.close()
