"""The request form in a real browser (Debian's chromium): suggestions as the customer types,
the draft kept when a suggestion opens, "This solved my problem", and sending."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import chromium as start_chromium
from browser import serve
from flask import Flask
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select
from support import app_config, close_app

from kbportal import create_app, publish
from kbportal.db import get_database
from kbportal.support.models import FormSession, SupportRequest

SAMPLE = Path(__file__).resolve().parents[2] / "articles"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    root = tmp_path_factory.mktemp("browser")
    config = app_config(root, ARTICLES_DIR=str(SAMPLE), REQUESTS_MIN_SECONDS=0)
    app = create_app(config)
    yield app
    close_app(app)
    publish.close_all()


@pytest.fixture(scope="module")
def base(app: Flask) -> Iterator[str]:
    with serve(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with start_chromium() as driver:
        yield driver


def wait_for(browser: Any, condition: Callable[[Any], Any], timeout: float = 15) -> Any:
    return WebDriverWait(browser, timeout).until(condition)


def suggestions(browser: Any) -> list[Any]:
    return browser.find_elements(By.CSS_SELECTOR, ".live-suggestions li a")


def test_suggestions_as_you_type_keep_the_draft_and_solve(
    app: Flask, base: str, browser: Any
) -> None:
    browser.get(f"{base}/en/requests/new?type=problem")
    subject = browser.find_element(By.ID, "f-subject")
    subject.send_keys("sm")  # two characters: nothing yet
    browser.find_element(By.ID, "f-description").send_keys("")
    assert not suggestions(browser)
    subject.send_keys("s reminders are not arriving")
    wait_for(browser, lambda b: suggestions(b))
    first = suggestions(browser)[0]
    assert "/requests/open?" in first.get_attribute("href")
    assert "sms-not-arriving" in first.get_attribute("href")
    assert first.get_attribute("target") == "_blank"
    browser.find_element(By.ID, "f-description").send_keys("None of my clients got one.")
    # Opening a suggestion opens a tab: the draft stays where it was.
    main = browser.current_window_handle
    first.click()
    wait_for(browser, lambda b: len(b.window_handles) == 2)
    other = next(h for h in browser.window_handles if h != main)
    browser.switch_to.window(other)
    wait_for(browser, lambda b: "/articles/troubleshooting/sms-not-arriving" in b.current_url)
    browser.close()
    browser.switch_to.window(main)
    assert "arriving" in browser.find_element(By.ID, "f-subject").get_attribute("value")
    # Leaving and coming back restores the draft too.
    browser.get(f"{base}/en/")
    browser.get(f"{base}/en/requests/new?type=problem")
    wait_for(
        browser, lambda b: "arriving" in b.find_element(By.ID, "f-subject").get_attribute("value")
    )  # noqa: E501
    assert "clients" in browser.find_element(By.ID, "f-description").get_attribute("value")
    wait_for(browser, lambda b: suggestions(b))
    browser.find_element(By.CSS_SELECTOR, ".live-suggestions .solved-button").click()
    wait_for(browser, lambda b: b.find_elements(By.CSS_SELECTOR, ".solved-done"))
    key = browser.find_element(By.NAME, "key").get_attribute("value")
    with get_database(app).session() as session:
        form = session.scalar(select(FormSession).where(FormSession.form_key == key))
        assert form is not None and form.solved_at is not None and form.shown >= 1


def test_send_after_seeing_suggestions(app: Flask, base: str, browser: Any) -> None:
    browser.get(f"{base}/en/requests/new?type=problem")
    browser.execute_script("sessionStorage.clear()")  # the first test's draft
    browser.get(f"{base}/en/requests/new?type=problem")
    browser.find_element(By.ID, "f-subject").send_keys("SMS reminders are not arriving")
    wait_for(browser, lambda b: suggestions(b))
    browser.find_element(By.ID, "f-description").send_keys("Still broken after the steps.")
    browser.find_element(By.ID, "f-email").send_keys("ann@example.com")
    browser.find_element(By.CSS_SELECTOR, "form.request-form button[type=submit]").click()
    wait_for(browser, lambda b: "We have your request" in b.page_source)
    with get_database(app).session() as session:
        found = session.scalars(select(SupportRequest)).all()
        assert found and found[-1].reference in browser.page_source
