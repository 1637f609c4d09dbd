"""An operator runs delivery from the admin console, in a real browser: a consumer pointing
at a real Ralph LRS is added and its connection tested, events are delivered and counted,
refused credentials pause it and leave dead letters, which are retried once it is fixed;
a learner's anonymous ids are looked up. Every page is screenshotted and checked by axe-core."""
import json
import re
import time

import pytest
from eventtracking import tracker
from playwright.sync_api import expect

from openedx_xapi.models import Consumer, ConsumerStatus, DeadLetter
from sandbox.services import fetch_statements

from ..conftest import COURSE

pytestmark = [pytest.mark.django_db(transaction=True)]

# The worker and the LMS read the consumer list from the database at most every second.
FAST = {"CONFIG_CACHE_SECONDS": 1, "BATCH_SECONDS": 0.2, "MAX_RETRIES": 1, "RETRY_BACKOFF_BASE": 0.1}


def emit_enrollments(count, first_user):
    for user_id in range(first_user, first_user + count):
        context = {"course_id": COURSE, "org_id": "edX", "user_id": user_id, "username": f"learner{user_id}"}
        with tracker.get_tracker().context("request", context):
            tracker.emit("edx.course.enrollment.activated", {"course_id": COURSE, "user_id": user_id,
                                                              "mode": "audit"})


def wait_until(check, timeout=90, interval=0.5, message="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


def dashboard_cell(console, consumer, column):
    """Reload the dashboard and read one cell of the consumer's row."""
    console.goto("/admin/openedx_xapi/consumer/dashboard/")
    return console.page.locator(f'#status-{consumer} td.{column}').inner_text().strip()


def add_consumer_in_the_form(console, ralph, name="ralph"):
    page = console.goto("/admin/openedx_xapi/consumer/add/")
    # Only the fields of the chosen protocol and authentication show.
    assert page.locator(".form-row.field-username").is_visible()
    assert page.locator(".form-row.field-token").is_hidden()
    assert page.locator(".form-row.field-identity_secret").is_hidden()
    page.select_option("#id_protocol", "caliper")
    assert page.locator(".form-row.field-xapi_version").is_hidden()
    assert page.locator("#id_auth_type").input_value() == "bearer"  # Caliper takes a bearer token only
    assert page.locator(".form-row.field-token").is_visible() and page.locator(".form-row.field-password").is_hidden()
    page.select_option("#id_protocol", "xapi")
    page.select_option("#id_auth_type", "basic")
    page.select_option("#id_identity", "hmac")
    assert page.locator(".form-row.field-identity_secret").is_visible()
    page.select_option("#id_identity", "anonymous")
    console.record("add consumer form")

    page.fill("#id_name", name)
    page.fill("#id_url", ralph.url)
    page.fill("#id_username", ralph.username)
    page.fill("#id_password", ralph.password)
    page.fill("#id_restrictions", json.dumps({"courses": [COURSE]}))
    page.get_by_role("button", name="Save and continue editing").click()
    page.wait_for_selector("ul.messagelist")
    assert "was added successfully" in page.locator("ul.messagelist").inner_text()
    console.record("consumer saved")
    return Consumer.objects.get(name=name)


def test_an_operator_adds_a_consumer_tests_it_sees_deliveries_and_retries_dead_letters(
        console, ralph, settings, celery_worker_factory, flush_redis, make_learner):
    settings.OPENEDX_XAPI = {**settings.OPENEDX_XAPI, **FAST}
    page = console.page
    consumer = add_consumer_in_the_form(console, ralph)
    assert (consumer.protocol, consumer.auth_type, consumer.password) == ("xapi", "basic", ralph.password)
    assert consumer.restrictions == {"courses": [COURSE]}

    # Test the connection: Ralph has no About resource (404), which counts as up; the test
    # statement is accepted and stored.
    page.get_by_role("link", name="Test connection").click()
    console.record("test connection form")
    page.get_by_label("Also send one test statement").check()
    page.get_by_role("button", name="Test connection").click()
    result = page.locator("#connection-result")
    assert result.get_attribute("data-ok") == "true", result.inner_text()
    assert page.locator("#result-heading").inner_text() == "Success"
    assert page.locator("#probe-outcome").inner_text() == "reachable"
    assert page.locator("#send-outcome").inner_text() == "accepted"
    console.record("test connection success")
    assert [s["actor"]["account"]["name"] for s in fetch_statements(ralph)] == ["openedx-xapi-connection-test"]

    # Events delivered: the count rises on the dashboard and on the consumer list.
    celery_worker_factory()
    assert dashboard_cell(console, "ralph", "delivered") == "0"
    console.record("dashboard before events")
    emit_enrollments(5, first_user=1)
    wait_until(lambda: dashboard_cell(console, "ralph", "delivered") == "5", message="5 delivered on the dashboard")
    assert page.locator("#status-ralph td.health").inner_text() == "ok"
    assert page.locator("#status-ralph td.lag").inner_text() != "-"
    console.record("dashboard after events")
    console.goto("/admin/openedx_xapi/consumer/")
    assert page.locator("td.field-delivered").inner_text() == "5"
    assert page.locator("td.field-circuit").inner_text() == "closed"
    console.record("consumer list")
    assert len(fetch_statements(ralph)) == 6

    # Wrong credentials: the LRS refuses them, the consumer is paused and what comes is kept.
    console.goto(f"/admin/openedx_xapi/consumer/{consumer.pk}/change/")
    page.fill("#id_password", "not-the-lrs-password")
    page.get_by_role("button", name="Save and continue editing").click()
    page.wait_for_selector("ul.messagelist")
    emit_enrollments(3, first_user=10)
    wait_until(lambda: DeadLetter.objects.filter(consumer="ralph").count() == 3, message="3 dead letters")
    assert ConsumerStatus.objects.get(consumer="ralph").paused
    assert dashboard_cell(console, "ralph", "health") == "paused"
    assert page.locator("#status-ralph td.dead-lettered").inner_text().startswith("3")
    console.record("dashboard paused")

    # The change page says who changed what (never the password itself).
    console.goto(f"/admin/openedx_xapi/consumer/{consumer.pk}/change/")
    changes = page.locator("table.openedx-xapi-changes").inner_text()
    assert re.search(r"operator\s+Changed Password\.", changes), changes
    assert re.search(r"operator\s+Tested the connection: reachable \(HTTP 404\); test statement accepted", changes)
    assert "not-the-lrs-password" not in page.content()
    console.record("consumer change log")

    # Fix the password, resume the consumer, then retry its dead letters.
    page.fill("#id_password", ralph.password)
    page.get_by_role("button", name="Save and continue editing").click()
    page.wait_for_selector("ul.messagelist")
    console.goto("/admin/openedx_xapi/consumer/")
    page.locator("input[name=_selected_action]").check()
    page.select_option("select[name=action]", "resume_delivery")
    page.get_by_role("button", name="Go").click()
    assert "1 consumer(s) resumed" in page.locator("ul.messagelist").inner_text()

    console.goto("/admin/openedx_xapi/deadletter/")
    console.record("dead letters")
    page.get_by_role("link", name="refused our credentials (401, 403)").click()
    expect(page.locator("#result_list tbody tr")).to_have_count(3)  # waits for the filtered page
    assert "HTTP 401" in page.locator("#result_list").inner_text()
    console.record("dead letters filtered by reason")
    page.locator("#result_list tbody tr th a").first.click()
    # The first of the batch has Ralph's 401; what came after, that the consumer was paused.
    assert re.search(r"HTTP 401|refused our credentials", page.locator(".field-answer").inner_text())
    assert '"verb"' in page.locator(".field-pretty_documents").inner_text()
    console.record("dead letter detail")
    page.get_by_role("button", name="Retry delivery").click()
    assert "Queued for delivery again" in page.locator("ul.messagelist").inner_text()
    expect(page.locator("#result_list tbody tr")).to_have_count(2)  # waits for the page after the retry
    console.record("dead letter retried")
    wait_until(lambda: dashboard_cell(console, "ralph", "delivered") == "6", message="the retried letter delivered")

    # The other two at once, with the list's action.
    console.goto("/admin/openedx_xapi/deadletter/")
    page.locator("#action-toggle").check()
    page.select_option("select[name=action]", "retry_selected")
    page.get_by_role("button", name="Go").click()
    assert "2 dead letter(s) queued for delivery again." in page.locator("ul.messagelist").inner_text()
    wait_until(lambda: dashboard_cell(console, "ralph", "delivered") == "8", message="all 8 delivered")
    assert page.locator("#status-ralph td.health").inner_text() == "ok"
    console.record("dashboard all delivered")
    assert len(fetch_statements(ralph)) == 9
    assert not DeadLetter.objects.exists()


def test_support_finds_a_learners_anonymous_ids_and_back(console, make_learner):
    from openedx_xapi.models import ActorId
    learner = make_learner("carol", email="carol@example.org")
    anonymous_id = str(ActorId.objects.create(user_id=learner.pk, kind="xapi").anonymous_id)
    Consumer.objects.create(name="lrs", protocol="xapi", url="https://lrs.example.com/xAPI/", username="u",
                            password="p")
    page = console.goto("/admin/openedx_xapi/consumer/")
    page.get_by_role("link", name="Find a learner's anonymous ids").click()
    console.record("learner lookup")
    page.get_by_label("User id, username or email address").fill("carol@example.org")
    page.get_by_role("button", name="Find the learner's ids").click()
    assert page.locator("#report-user-id").inner_text() == str(learner.pk)
    assert anonymous_id in page.locator("#anonymous-ids").inner_text()
    assert anonymous_id in page.locator("#consumer-actors").inner_text()
    console.record("learner lookup result")
    page.get_by_label("Anonymous id (a UUID)").fill(anonymous_id)
    page.get_by_role("button", name="Find whose id it is").click()
    assert f"id of user {learner.pk}" in " ".join(page.locator("#reverse-result").inner_text().split())
    console.record("anonymous id lookup result")


def test_an_operator_watches_the_circuit_open_while_the_lrs_is_down_and_drain_when_it_is_back(
        console, ralph, tmp_path, settings, celery_worker_factory, flush_redis):
    from sandbox.services import start_ralph
    settings.OPENEDX_XAPI = {**settings.OPENEDX_XAPI, **FAST, "MAX_RETRIES": 50, "CIRCUIT_FAILURES": 3,
                             "PROBE_BACKOFF_BASE": 0.5, "PROBE_BACKOFF_MAX": 2.0}
    Consumer.objects.create(name="ralph", protocol="xapi", url=ralph.url, username=ralph.username,
                            password=ralph.password)
    page = console.page
    celery_worker_factory()
    emit_enrollments(5, first_user=1)
    wait_until(lambda: dashboard_cell(console, "ralph", "delivered") == "5", message="5 delivered")
    assert page.locator("#status-ralph td.circuit").inner_text() == "closed"
    console.record("dashboard lrs up")

    # The LRS goes away: deliveries fail, are retried, and after 3 failures in a row the circuit
    # opens; what comes meanwhile is parked in the database.
    ralph.stop()
    emit_enrollments(10, first_user=100)
    wait_until(lambda: dashboard_cell(console, "ralph", "health") == "open", message="the circuit to open")
    assert page.locator("#status-ralph td.circuit").inner_text().startswith("OPEN after 3 failure(s) in a row")
    assert "connection failed" in page.locator("#status-ralph td.last-error").inner_text()
    assert int(page.locator("#status-ralph td.retried").inner_text()) >= 1
    emit_enrollments(10, first_user=200)
    wait_until(lambda: int(dashboard_cell(console, "ralph", "parked")) >= 20, message="20 documents parked")
    assert int(page.locator("#status-ralph td.waiting").inner_text()) >= 1
    assert page.locator("#status-ralph").get_attribute("data-health") == "open"
    console.record("dashboard circuit open")
    console.goto("/admin/openedx_xapi/consumer/")
    assert page.locator("td.field-circuit").inner_text().startswith("OPEN after")
    assert page.locator("td.field-delivered").inner_text() == "5"
    console.record("consumer list circuit open")

    # It comes back (same port, same store): a probe finds it, the parked documents drain, the
    # circuit closes.
    with start_ralph(tmp_path, port=ralph.port, username=ralph.username, password=ralph.password) as again:
        wait_until(lambda: dashboard_cell(console, "ralph", "delivered") == "25", timeout=120,
                   message="the parked documents to drain")
        wait_until(lambda: dashboard_cell(console, "ralph", "circuit") == "closed", message="the circuit to close")
        assert page.locator("#status-ralph td.health").inner_text() == "ok"
        assert page.locator("#status-ralph td.waiting").inner_text() == "0"
        console.record("dashboard drained")
        statements = fetch_statements(again)
    assert len(statements) == 25 and len({s["id"] for s in statements}) == 25
    assert not DeadLetter.objects.exists()


def test_without_javascript_every_field_of_the_consumer_form_shows_and_says_when_it_applies(
        browser, live_server, operator):
    from .conftest import OPERATOR, OPERATOR_PASSWORD, Console
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        console = Console(page, live_server.url, "test_consumer_form_without_javascript")
        console.goto("/admin/login/?next=/admin/openedx_xapi/consumer/add/")
        page.get_by_label("Username").fill(OPERATOR)
        page.get_by_label("Password").fill(OPERATOR_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_selector("#id_protocol")
        for name in ("xapi_version", "username", "password", "token", "identity_secret"):
            assert page.locator(f".form-row.field-{name}").is_visible(), name
        for help_text in ("xAPI consumers only.", "Basic authentication only.", "Bearer authentication only.",
                          "The 'hmac' identity only"):
            assert page.get_by_text(help_text).first.is_visible(), help_text
        console.record("add consumer form without javascript", accessibility=False)  # axe needs scripts
    finally:
        context.close()
