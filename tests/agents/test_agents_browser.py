"""The agent search page in a real browser: keyboard flow and a recorded copy.

Debian's chromium + chromidriver drive the real app served by werkzeug on loopback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from browser import chromium as start_chromium
from browser import serve
from flask import Flask
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select
from sqlalchemy.orm import Session
from support import TEST_PASSWORD

from kbportal.accounts.models import User
from kbportal.analytics.models import AgentCopy


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    """The app on a real HTTP server thread on 127.0.0.1; yields its base URL."""
    with serve(app) as base:
        yield base


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One headless chromium for the module's tests."""
    with start_chromium() as driver:
        yield driver


@pytest.fixture
def browser(chromium: Any) -> Iterator[Any]:
    """The shared browser, with no cookies left from the previous test (each has its own app)."""
    yield chromium
    chromium.delete_all_cookies()


def wait_for(browser: Any, condition: Callable[[Any], Any], timeout: float = 10) -> Any:
    return WebDriverWait(browser, timeout).until(condition)


def sign_in(browser: Any, base: str) -> None:
    browser.get(f"{base}/login?next=/staff/search")
    browser.find_element(By.NAME, "email").send_keys("agent@example.com")
    browser.find_element(By.NAME, "password").send_keys(TEST_PASSWORD + Keys.ENTER)
    # The path, not the URL's end: the login page's own URL ends with "?next=/staff/search".
    wait_for(browser, lambda b: urlsplit(b.current_url).path == "/staff/search")


def test_slash_type_arrow_enter_opens_the_hit(
    browser: Any, server: str, make_user: Callable[..., User]
) -> None:
    make_user("agent@example.com")
    sign_in(browser, server)
    box = browser.find_element(By.ID, "agent-q")
    browser.find_element(By.TAG_NAME, "h1").click()  # focus away from the box
    assert browser.switch_to.active_element != box
    browser.find_element(By.TAG_NAME, "body").send_keys("/")
    assert browser.switch_to.active_element == box
    assert box.get_attribute("value") == ""  # the slash focused, it was not typed

    box.send_keys("duty engineer")
    wait_for(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "#agent-results li.agent-hit"))
    first = browser.find_element(By.CSS_SELECTOR, "#agent-results li.agent-hit")
    assert "Outage runbook for agents" in first.text
    assert first.find_element(By.CSS_SELECTOR, ".badge-internal").is_displayed()
    box.send_keys(Keys.ARROW_DOWN)
    assert "selected" in first.get_attribute("class")
    box.send_keys(Keys.ENTER)
    wait_for(browser, lambda b: "/en/articles/internal/runbook" in b.current_url)
    assert browser.current_url.endswith("#paging-the-duty-engineer")
    assert "Outage runbook for agents" in browser.title


def test_copy_buttons_copy_and_record(
    browser: Any, server: str, make_user: Callable[..., User], db: Session
) -> None:
    make_user("agent@example.com")
    sign_in(browser, server)
    box = browser.find_element(By.ID, "agent-q")
    box.send_keys("refund timing")
    hit = wait_for(
        browser,
        lambda b: b.find_element(
            By.CSS_SELECTOR, '#agent-results li[data-key="en/billing/refunds"]'
        ),
    )
    hit.find_element(By.CSS_SELECTOR, 'button[data-copy="section"]').click()
    wait_for(browser, lambda b: hit.get_attribute("data-recorded"))
    assert hit.get_attribute("data-recorded") == "yes"
    status = browser.find_element(By.ID, "agent-status").text
    assert status.endswith(f"{server}/en/articles/billing/refunds#refund-timing")

    hit.find_element(By.CSS_SELECTOR, 'button[data-copy="markdown"]').click()
    wait_for(browser, lambda b: "[Getting a refund](" in b.find_element(By.ID, "agent-status").text)

    db.expire_all()
    user_id = db.scalar(select(User.id).where(User.email == "agent@example.com"))
    events = list(
        db.scalars(select(AgentCopy).where(AgentCopy.kind == "link").order_by(AgentCopy.id))
    )
    assert [(e.article, e.section, e.user_id) for e in events] == [
        ("en/billing/refunds", "refund-timing", user_id),
        ("en/billing/refunds", None, user_id),
    ]


def test_a_template_is_filled_as_you_type(
    browser: Any, server: str, make_user: Callable[..., User], db: Session
) -> None:
    make_user("agent@example.com")
    sign_in(browser, server)
    browser.get(f"{server}/staff/templates/en/internal/templates/refund-ok")
    browser.find_element(By.ID, "field-customer_name").send_keys("<b>Ann</b>")
    browser.find_element(By.ID, "field-amount").send_keys("€12")
    reply = browser.find_element(By.ID, "reply-text").get_attribute("value")
    assert reply.startswith("Hello <b>Ann</b>,")  # plain text in a textarea: never markup
    assert reply.count("€12") == 2 and "{{agent_name}}" in reply
    browser.find_element(By.CSS_SELECTOR, "button[data-copy-reply]").click()
    wait_for(browser, lambda b: b.find_element(By.ID, "template-status").text)
    form = browser.find_element(By.CSS_SELECTOR, "form[data-template-form]")
    assert form.get_attribute("data-recorded") == "yes"
    db.expire_all()
    copied = db.scalars(select(AgentCopy.article).where(AgentCopy.kind == "template")).all()
    assert copied == ["en/internal/templates/refund-ok"]
