"""The web UI in a real browser against the real stack (`make run`'s supervisor on ports of its
own): a steward logs in, searches "orders", opens the capsule, sees its columns, its lineage
graph and the DQ trend chart with the demo's outage as a breach, and acknowledges it; a viewer
on a phone sees the customers' e-mails masked and no edit controls. Playwright drives Debian's
chromium (a browser download is impossible here); each test saves a screenshot under
test-output/ui/.

Skips, saying why, when chromium is not installed (`make test` installs it when it can) or the
UI is not built (`make ui`)."""

from __future__ import annotations

import json
import re
import shutil
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from stack_support import Stack, own_database_and_stream, running_stack

from devstack.testing import repo_root, starts_stack

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DIST = repo_root() / "ui" / "dist" / "index.html"
OUTPUT = repo_root() / "test-output" / "ui"
# As root in a sandbox without a network: no sandbox, no background connections (they fail).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "compass-ui-e2e-password"
CUSTOMERS = "urn:dcs:postgres:table:demo.public:customers"

pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None, reason="chromium is not installed: apt-get install chromium"
    ),
    pytest.mark.skipif(not DIST.exists(), reason="the web UI is not built: make ui"),
]


@pytest.fixture(scope="module")
@starts_stack
def stack(
    tmp_path_factory: pytest.TempPathFactory, database_server_url: str, nats_url: str
) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("ui-e2e")
    with (
        own_database_and_stream(database_server_url, nats_url) as env,
        running_stack(workdir, env, admin_key=f"dc_admin_ui_{uuid.uuid4().hex}") as stack,
    ):
        with httpx.Client(
            base_url=f"{stack.base_url}/api/v1",
            headers={"Authorization": f"Bearer {stack.admin_key}"},
            timeout=300,
        ) as api:
            made = api.post(
                "/auth/users", json={"username": "stella", "password": PASSWORD, "role": "steward"}
            )
            assert made.status_code == 201, made.text
            viewer = api.post(
                "/auth/users", json={"username": "vic", "password": PASSWORD, "role": "viewer"}
            )
            assert viewer.status_code == 201, viewer.text
            profiled = api.post(f"/capsules/{CUSTOMERS}/profile", json={"wait": True})
            assert profiled.status_code in (200, 201), profiled.text
            # 30 days of DQ results: the demo's outage day is a breach on the chart.
            run = api.post(
                "/dq/runs",
                params={"wait": "true"},
                json={"object_ref": "demo.public.orders", "days": 30},
            )
            assert run.status_code == 201, run.text
        yield stack


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def note_console_error(errors: list[str], message: Any) -> None:
    """A console error, except the browser's own line for the one expected 404: an object's
    latest profile before its first profile (the UI shows "not profiled yet")."""
    if message.type != "error":
        return
    url = (message.location or {}).get("url", "")
    if "Failed to load resource" in message.text and url.endswith("/profile"):
        return
    errors.append(f"{message.text} ({url})")


def log_in(page: Any, stack: Stack, username: str) -> None:
    from playwright.sync_api import expect

    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".role")).to_be_visible()


def test_login_search_capsule_columns_and_dq_chart(stack: Stack, browser: object) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: note_console_error(errors, m))
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        # Cold cache: the first load of the login page.
        page.goto(stack.base_url + "/")
        expect(page).to_have_url(f"{stack.base_url}/login")
        expect(page.get_by_label("User name")).to_be_visible()
        timing = page.evaluate(
            "() => { const n = performance.getEntriesByType('navigation')[0];"
            " const p = performance.getEntriesByName('first-contentful-paint')[0];"
            " return {load_ms: n.loadEventEnd, dom_ms: n.domContentLoadedEventEnd,"
            " fcp_ms: p ? p.startTime : null,"
            " bytes: performance.getEntriesByType('resource')"
            "   .reduce((s, r) => s + r.transferSize, n.transferSize)} }"
        )
        (OUTPUT / "first-load.json").write_text(json.dumps(timing, indent=2) + "\n")
        page.screenshot(path=str(OUTPUT / "01-login.png"))

        log_in(page, stack, "stella")
        expect(page).to_have_url(f"{stack.base_url}/search")
        expect(page.locator(".role")).to_have_text("steward")

        page.get_by_role("combobox").fill("orders")
        first = page.get_by_role("option").first
        expect(first).to_contain_text("demo.public.orders")  # exact name first
        expect(page).to_have_url(f"{stack.base_url}/search?q=orders")
        expect(page.get_by_role("group", name="Source")).to_contain_text("demo")
        page.screenshot(path=str(OUTPUT / "02-search.png"))

        page.get_by_role("combobox").press("Enter")
        expect(page).to_have_url(f"{stack.base_url}/capsules/demo.public.orders")
        expect(page.get_by_role("heading", level=1)).to_contain_text("orders")
        expect(page.get_by_role("button", name="Edit description")).to_be_visible()

        page.get_by_role("tab", name="Columns").click()
        table = page.get_by_role("table")
        id_row = table.get_by_role("row", name=re.compile(r"^1 id "))
        expect(id_row).to_contain_text("bigint")
        expect(id_row).to_contain_text("PK")
        page.screenshot(path=str(OUTPUT / "03-columns.png"), full_page=True)

        page.get_by_role("tab", name="Lineage").click()
        # The demo's views read orders: they are its downstream nodes.
        expect(page.locator(".react-flow__node", has_text="demo.public.orders")).to_be_visible()
        expect(page.locator(".react-flow__node", has_text="customer_order_summary")).to_be_visible()
        page.screenshot(path=str(OUTPUT / "04-lineage.png"))

        page.get_by_role("tab", name="Quality").click()
        chart = page.locator(".dq-chart").first
        expect(chart.locator("canvas")).to_be_visible()
        labels = page.locator(".dq-chart").evaluate_all(
            "els => els.map(e => e.getAttribute('aria-label'))"
        )
        assert any(" 30 results" in label and " 0 breaches" not in label for label in labels), (
            labels
        )
        # The outage's row_count breach: the steward acknowledges it.
        breach = page.locator("tr", has_text="row_count").filter(has_text="below").first
        expect(breach).to_contain_text("open")
        breach.get_by_role("button", name=re.compile("^Acknowledge")).click()
        expect(
            page.locator("tr", has_text="row_count").filter(has_text="acknowledged")
        ).to_have_count(1)
        page.screenshot(path=str(OUTPUT / "05-quality.png"), full_page=True)
    finally:
        context.close()
    assert not errors, errors


def test_a_viewer_on_a_phone_sees_masked_e_mails_and_no_edit_controls(
    stack: Stack, browser: object
) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    # A steward sees the customers' e-mails in clear (README: masked unless you are a steward).
    with httpx.Client(base_url=f"{stack.base_url}/api/v1", timeout=30) as api:
        login = api.post("/auth/login", json={"username": "stella", "password": PASSWORD})
        token = login.json()["access_token"]
        got = api.get(
            f"/capsules/{CUSTOMERS}/profile", headers={"Authorization": f"Bearer {token}"}
        )
    email = next(c for c in got.json()["columns"] if c["column"] == "email")
    clear_values = [v["value"] for v in email["stats"]["most_common_values"] if v["value"]]
    assert clear_values and not any("*" in v for v in clear_values), email

    OUTPUT.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{stack.base_url}/capsules/demo.public.customers/columns")
        expect(page).to_have_url(f"{stack.base_url}/login")
        log_in(page, stack, "vic")
        # Back where the link pointed, after signing in.
        expect(page).to_have_url(f"{stack.base_url}/capsules/demo.public.customers/columns")
        row = page.get_by_role("table").get_by_role("row", name=re.compile(r"^\d+ email "))
        expect(row.locator(".tag.masked", has_text="masked")).to_be_visible()
        shown = row.inner_text()
        assert re.search(r"\*{3,}@", shown), shown  # partially redacted e-mails
        assert not any(v in shown for v in clear_values), shown
        expect(page.get_by_role("button", name="Profile now")).to_have_count(0)
        page.get_by_role("tab", name="Overview").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("customers")
        expect(page.get_by_role("button", name="Edit description")).to_have_count(0)
        # Nothing wider than the phone's screen but the scrollable tables.
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, width
        page.screenshot(path=str(OUTPUT / "06-viewer-phone.png"), full_page=True)
    finally:
        context.close()
    assert not errors, errors
