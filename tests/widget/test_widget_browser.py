"""The widget in real Chromium, on a second loopback origin with a strict CSP, and an unlisted one.

Debian's chromium + chromedriver (tests/browser.py); skipped where they are not installed.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from browser import chromium, serve
from flask import Flask, Response, request
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select
from support import TEST_PASSWORD, close_app, make_app, sign_in
from widget_sample import SAMPLE, SECRET

from kbportal import publish
from kbportal.accounts import services
from kbportal.analytics import get_analytics
from kbportal.analytics.models import Click, SearchRow, SurfaceEvent
from kbportal.db import get_database
from kbportal.support import runtime
from kbportal.support.models import SupportRequest
from kbportal.widget.identity import sign_email

# The support tests' real webhook consumer (tests/support_requests/standins.py).
sys.path.append(str(Path(__file__).resolve().parents[1] / "support_requests"))
from standins import SECRET as WEBHOOK_SECRET  # noqa: E402
from standins import WebhookReceiver, running  # noqa: E402

NONCE = "r4nd0m-n0nce"
TYPES_YML = """\
types:
  problem:
    label: {en: Problem}
    fields:
      - name: order
        kind: text
        label: {en: Order number}
        required: true
"""


@contextmanager
def webhook_receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    with running(server):
        yield server


# What the host page records: CSP violations, layout shifts and the widget's events.
PROBE = """
window.seen = []; window.violations = []; window.shifts = 0;
document.addEventListener("securitypolicyviolation", function (e) {
  window.violations.push(e.violatedDirective + " " + e.blockedURI); });
new PerformanceObserver(function (list) {
  list.getEntries().forEach(function (e) { window.shifts += e.value; });
}).observe({ type: "layout-shift", buffered: true });
document.addEventListener("kbportal:ready", function (e) {
  var names = ["opened", "closed", "searched", "article_viewed", "deflected", "request_submitted"];
  names.forEach(function (name) {
    e.detail.on(name, function (d) { window.seen.push([name, d]); });
  });
});
"""


@dataclass
class Sites:
    """The portal, a listed host site and an unlisted one, all on loopback."""

    portal: str
    host: str
    other: str
    app: Flask
    receiver: Any


def host_site(portal: Callable[[], str]) -> Flask:
    """A customer site: a strict CSP admitting the portal by nonce, frame-src and connect-src."""
    site = Flask("host_site")

    @site.get("/billing/invoices")
    def page() -> Response:
        base = portal()
        lang = "ru" if request.args.get("lang") == "ru" else "en"
        html = f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<title>Shop: invoices</title><script nonce="{NONCE}">{PROBE}</script></head>
<body><h1>Your invoices</h1><p>Page content that must not move.</p>
<a href="#top" id="host-link">A link on the host page</a>
<script async nonce="{NONCE}" src="{base}/widget.js" data-labels="invoice"
        data-color="#0a6640"></script>
</body></html>"""
        policy = (
            f"default-src 'none'; script-src 'nonce-{NONCE}'; frame-src {base}; "
            f"connect-src {base}; img-src 'self'; style-src 'self'; base-uri 'none'; "
            f"form-action {base}"
        )
        return Response(html, headers={"Content-Security-Policy": policy})

    @site.get("/contact")
    def contact() -> Response:
        base = portal()
        html = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Shop: contact</title></head><body><h1>Contact us</h1>
<form id="contact" method="post" action="{base}/api/v1/requests">
<input type="hidden" name="type" value="problem">
<input type="hidden" name="idempotency_key" value="host-form-0001">
<input type="hidden" name="redirect" value="{request.host_url}thanks">
<label>E-mail <input name="email" value="carol@example.com"></label>
<label>Subject <input name="subject" value="Charged twice for one order"></label>
<label>Description <textarea name="description">Two charges this morning.</textarea></label>
<label>Order <input name="order" value="C-3"></label>
<button type="submit">Send</button></form></body></html>"""
        # form-action covers the redirect back too: 'self' for the thanks page.
        policy = f"default-src 'none'; form-action {base} 'self'; base-uri 'none'"
        return Response(html, headers={"Content-Security-Policy": policy})

    @site.get("/thanks")
    def thanks() -> str:
        return f"<!doctype html><p id='done'>Thanks! {request.args.get('request', '')}</p>"

    return site


def unlisted_site(portal: Callable[[], str]) -> Flask:
    """A site that is not on KBPORTAL_WIDGET_ORIGINS, trying to frame the panel and post."""
    site = Flask("unlisted_site")

    @site.get("/")
    def page() -> str:
        base = portal()
        return f"""<!doctype html><html><body>
<iframe id="panel" src="{base}/widget/panel?locale=en"></iframe>
<form id="form" method="post" action="{base}/api/v1/events" enctype="text/plain">
<input name='{{"type": "click", "article": "billing/refunds", "x": "' value='"}}'>
</form></body></html>"""

    return site


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sites]:
    where: dict[str, str] = {}
    with ExitStack() as stack:
        host = stack.enter_context(serve(host_site(lambda: where["portal"])))
        other = stack.enter_context(serve(unlisted_site(lambda: where["portal"])))
        receiver = stack.enter_context(webhook_receiver())
        app = make_app(
            tmp_path_factory.mktemp("browser"),
            {**SAMPLE, "_requests.yml": TYPES_YML},
            WIDGET_ORIGINS=host,
            WIDGET_IDENTITY_SECRET=SECRET,
            REQUESTS_MIN_SECONDS=0,
            REQUESTS_WEBHOOK_URL=receiver.url,
            REQUESTS_WEBHOOK_SECRET=WEBHOOK_SECRET,
        )
        where["portal"] = stack.enter_context(serve(app))
        yield Sites(where["portal"], host, other, app, receiver)
        close_app(app)
        publish.close_all()


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    with chromium("--window-size=1200,900") as browser:
        yield browser


def wait(driver: Any, condition: Callable[[Any], Any], timeout: float = 20) -> Any:
    return WebDriverWait(driver, timeout).until(condition)


def widget_button(driver: Any) -> Any:
    root = driver.find_element(By.CSS_SELECTOR, "[data-kbportal-widget]").shadow_root
    return root.find_element(By.CSS_SELECTOR, "button")


def panel_frame(driver: Any) -> Any:
    root = driver.find_element(By.CSS_SELECTOR, "[data-kbportal-widget]").shadow_root
    return root.find_element(By.CSS_SELECTOR, "iframe")


def events_of(app: Flask, kind: str) -> list[Any]:
    """Rows of one kind: searches and clicks from the search log, the rest surface events."""
    get_analytics(app).recorder.flush()
    with get_database(app).session() as session:
        if kind == "search":
            return list(session.scalars(select(SearchRow)))
        if kind == "click":
            return list(session.scalars(select(Click)))
        return list(session.scalars(select(SurfaceEvent).where(SurfaceEvent.kind == kind)))


def surface(event: Any) -> str:
    return str(event.surface)


def test_a_customer_searches_reads_and_is_deflected_under_a_strict_csp(
    sites: Sites, driver: Any
) -> None:
    driver.get(sites.host + "/billing/invoices")
    wait(driver, lambda d: d.execute_script("return !!(window.KBPortal && KBPortal.version)"))
    assert driver.execute_script("return typeof window.KBPortal.open") == "function"

    button = widget_button(driver)
    assert button.get_attribute("aria-expanded") == "false"
    button.send_keys(Keys.ENTER)  # the keyboard opens it
    wait(driver, lambda d: d.execute_script("return KBPortal.isOpen()"))
    assert button.get_attribute("aria-expanded") == "true"

    driver.switch_to.frame(panel_frame(driver))
    # Suggestions for this page: from its address (billing/invoices) and its label.
    wait(driver, lambda d: d.find_element(By.ID, "kbp-suggested").is_displayed())
    suggested = driver.find_element(By.CSS_SELECTOR, "#kbp-suggested li a").text
    assert "Downloading invoices" in suggested
    # The panel took the focus: typing goes straight into its search box.
    wait(driver, lambda d: d.switch_to.active_element.get_attribute("id") == "kbp-q")
    driver.switch_to.active_element.send_keys("refund card")
    wait(driver, lambda d: "Getting a refund" in d.find_element(By.ID, "kbp-results").text)
    driver.find_element(By.CSS_SELECTOR, "#kbp-results li a").click()
    wait(driver, lambda d: d.find_element(By.ID, "kbp-article-h").text == "Getting a refund")
    assert "five working days" in driver.find_element(By.ID, "kbp-article").text
    driver.find_element(By.ID, "kbp-solved").click()
    wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, ".kbp-thanks").is_displayed())

    # Focus stays in the panel: many Tabs never reach the host page.
    for _ in range(12):
        driver.switch_to.active_element.send_keys(Keys.TAB)
        assert driver.execute_script("return document.hasFocus()")
    driver.switch_to.active_element.send_keys(Keys.ESCAPE)  # Escape closes
    driver.switch_to.default_content()
    wait(driver, lambda d: not d.execute_script("return KBPortal.isOpen()"))
    assert (
        driver.execute_script("return document.activeElement.shadowRoot.activeElement.tagName")
        == "BUTTON"
    )  # focus went back to the help button

    seen = [name for name, _detail in driver.execute_script("return window.seen")]
    for name in ("opened", "searched", "article_viewed", "deflected", "closed"):
        assert name in seen, seen
    assert driver.execute_script("return window.violations") == []
    assert driver.execute_script("return window.shifts") == 0

    # Everything reached the same log as the help center's, marked with the widget surface.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not events_of(sites.app, "deflection"):
        time.sleep(0.2)
    for kind in ("exposure", "click", "deflection", "search"):
        found = [e for e in events_of(sites.app, kind) if surface(e) == "widget"]
        assert found, kind
    assert any(e.article == "en/billing/refunds" for e in events_of(sites.app, "deflection"))
    # The panel session is a form session of the widget surface: confirmed deflection.
    staff = staff_client(sites.app)
    deflection = staff.get("/staff/requests/deflection").text
    assert "<td>widget</td>" in deflection
    # And the editors' insights, narrowed to the widget, show the customer's search.
    insights = staff.get("/staff/insights?surface=widget")
    assert insights.status_code == 200 and "refund card" in insights.text


def test_the_js_api_drives_the_panel(sites: Sites, driver: Any) -> None:
    driver.get(sites.host + "/billing/invoices")
    wait(driver, lambda d: d.execute_script("return !!(window.KBPortal && KBPortal.version)"))
    driver.execute_script("KBPortal.search('invoice pdf')")
    driver.switch_to.frame(panel_frame(driver))
    wait(driver, lambda d: "Downloading invoices" in d.find_element(By.ID, "kbp-results").text)
    assert driver.find_element(By.ID, "kbp-q").get_attribute("value") == "invoice pdf"
    driver.switch_to.default_content()
    driver.execute_script("KBPortal.toggle()")
    assert not driver.execute_script("return KBPortal.isOpen()")
    driver.execute_script("KBPortal.suggest(['refund', 'card'])")
    driver.switch_to.frame(panel_frame(driver))
    # The panel is closed: the list is filled for when it opens (.text sees only what shows).
    suggested = (By.ID, "kbp-suggested")
    wait(
        driver,
        lambda d: "Getting a refund" in d.find_element(*suggested).get_attribute("textContent"),
    )
    driver.switch_to.default_content()
    driver.execute_script("KBPortal.article('billing/refunds')")
    driver.switch_to.frame(panel_frame(driver))
    wait(driver, lambda d: d.find_element(By.ID, "kbp-article-h").text == "Getting a refund")
    driver.switch_to.default_content()
    assert driver.execute_script("return window.violations") == []


def test_russian_from_the_host_page(sites: Sites, driver: Any) -> None:
    driver.get(sites.host + "/billing/invoices?lang=ru")
    wait(driver, lambda d: d.execute_script("return !!(window.KBPortal && KBPortal.version)"))
    assert widget_button(driver).text == "Помощь"
    driver.execute_script("KBPortal.open()")
    driver.switch_to.frame(panel_frame(driver))
    wait(driver, lambda d: d.find_element(By.ID, "kbp-q").is_displayed())
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ru"
    assert driver.find_element(By.ID, "kbp-close").get_attribute("aria-label") == "Закрыть помощь"
    driver.switch_to.default_content()


def test_an_unlisted_origin_can_neither_frame_the_panel_nor_call_the_api(
    sites: Sites, driver: Any
) -> None:
    before = len(events_of(sites.app, "click"))
    driver.get(sites.other + "/")
    frame = driver.find_element(By.ID, "panel")
    driver.switch_to.frame(frame)
    # Chromium shows its own error page in place of a framed page that refuses the parent.
    assert driver.find_elements(By.ID, "kbp") == []
    driver.switch_to.default_content()
    # Reading the API from the page's script fails (no CORS grant), and so does writing.
    outcome = driver.execute_async_script(
        """const done = arguments[arguments.length - 1];
        fetch(arguments[0] + "/api/v1/suggest?q=refund").then(
          r => done("read " + r.status), e => done("blocked"));""",
        sites.portal,
    )
    assert outcome == "blocked"
    # A plain form post needs no CORS preflight: the server itself refuses it.
    driver.find_element(By.ID, "form").submit()
    wait(driver, lambda d: "KBPORTAL_WIDGET_ORIGINS" in d.page_source)
    assert len(events_of(sites.app, "click")) == before


def staff_client(app: Flask) -> Any:
    """A signed-in editor (through the real form) on the portal."""
    email = "editor-widget@example.com"
    with get_database(app).session() as session:
        if services.get_user(session, email) is None:
            services.create_user(session, email, TEST_PASSWORD, role="editor")
    client = app.test_client()
    sign_in(client, email, TEST_PASSWORD)
    return client


def requests_of(app: Flask) -> list[SupportRequest]:
    with get_database(app).session() as session:
        return list(session.scalars(select(SupportRequest).order_by(SupportRequest.id)))


def test_a_customer_writes_to_support_from_the_widget(sites: Sites, driver: Any) -> None:
    driver.get(sites.host + "/billing/invoices")
    wait(driver, lambda d: d.execute_script("return !!(window.KBPortal && KBPortal.version)"))
    # The host's server signed the customer's e-mail: the request will be trusted.
    signature = sign_email(SECRET, "dan@example.com")
    driver.execute_script(
        "KBPortal.identify({name: 'Dan', email: 'dan@example.com', hmac: arguments[0]});"
        "KBPortal.prefill({subject: ''}); KBPortal.request('problem');",
        signature,
    )
    driver.switch_to.frame(panel_frame(driver))
    wait(driver, lambda d: d.find_element(By.ID, "kbp-request").is_displayed())
    assert driver.find_element(By.NAME, "email").get_attribute("value") == "dan@example.com"
    driver.find_element(By.NAME, "subject").send_keys("Refund for a double charge")
    driver.find_element(By.NAME, "description").send_keys("How long does a refund take?")
    # Suggestions while typing, with the answer.
    wait(driver, lambda d: "Getting a refund" in d.find_element(By.ID, "kbp-req-suggested").text)
    driver.find_element(By.CSS_SELECTOR, "#kbp-request button[type=submit]").click()
    # The order number is required: the error sits beside its field, the text is kept.
    wait(driver, lambda d: d.find_element(By.ID, "kbp-f-order-error").is_displayed())
    assert driver.find_element(By.ID, "kbp-f-order-error").text
    assert driver.find_element(By.NAME, "order").get_attribute("aria-invalid") == "true"
    assert driver.switch_to.active_element.get_attribute("name") == "order"
    driver.switch_to.active_element.send_keys("D-4")
    driver.find_element(By.CSS_SELECTOR, "#kbp-request button[type=submit]").click()
    wait(driver, lambda d: "KB-" in d.find_element(By.ID, "kbp-request").text)
    driver.switch_to.default_content()
    seen = dict((name, detail) for name, detail in driver.execute_script("return window.seen"))
    (row,) = [r for r in requests_of(sites.app) if r.email == "dan@example.com"]
    assert seen["request_submitted"]["id"] == row.reference
    assert row.surface == "widget" and row.name == "Dan"
    assert json.loads(row.fields) == {"order": "D-4", "verified_email": "yes"}
    # Staff see it on /staff/requests, from the widget.
    staff = staff_client(sites.app)
    assert row.reference in staff.get("/staff/requests").text
    detail = staff.get(f"/staff/requests/{row.reference}").text
    assert "widget" in detail and "Refund for a double charge" in detail


def test_a_plain_html_form_on_the_second_origin_is_delivered_exactly_once(
    sites: Sites, driver: Any
) -> None:
    for _ in range(2):  # sent, then sent again (a reload, a double click): one request
        driver.get(sites.host + "/contact")
        driver.find_element(By.ID, "contact").submit()
        wait(driver, lambda d: d.current_url.startswith(sites.host + "/thanks?request=KB-"))
    reference = driver.current_url.rsplit("=", 1)[-1]
    (row,) = [r for r in requests_of(sites.app) if r.idempotency_key == "host-form-0001"]
    assert row.reference == reference and row.surface == "api"
    relay = runtime.get_relay(sites.app)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and reference not in {
        body["id"] for body in sites.receiver.processed.values()
    }:
        relay.drain()
        time.sleep(0.2)
    delivered = [b for b in sites.receiver.processed.values() if b["id"] == reference]
    assert len(delivered) == 1
    assert delivered[0]["fields"]["order"] == "C-3"
    relay.drain()  # nothing left to send
    assert sum(1 for b in sites.receiver.processed.values() if b["id"] == reference) == 1


def test_on_a_phone_the_panel_takes_the_screen(sites: Sites, driver: Any) -> None:
    driver.set_window_size(375, 700)
    try:
        driver.get(sites.host + "/billing/invoices")
        wait(driver, lambda d: d.execute_script("return !!(window.KBPortal && KBPortal.version)"))
        driver.execute_script("KBPortal.open()")
        frame = panel_frame(driver)
        width = driver.execute_script("return window.innerWidth")
        assert abs(frame.size["width"] - width) <= 1
        scroll, client = driver.execute_script(
            "const e = document.documentElement; return [e.scrollWidth, e.clientWidth];"
        )
        assert scroll <= client  # nothing pushes the host page sideways
    finally:
        driver.set_window_size(1200, 900)
