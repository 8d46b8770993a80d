"""In real Chromium: search, open a result, vote "No" with a reason; the editor sees it all."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from browser import chromium, serve
from flask import Flask
from selenium.webdriver.common.by import By
from sqlalchemy import select

from kbportal.analytics import get_analytics
from kbportal.analytics.models import Click, SearchRow, Vote
from kbportal.db import get_database


def wait_for(driver: Any, condition: Callable[[Any], Any], timeout: float = 10) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition(driver)
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("timed out waiting in the browser")


@pytest.fixture
def site(portal: Flask) -> Iterator[str]:
    with serve(portal) as base:
        yield base


@pytest.fixture
def driver() -> Iterator[Any]:
    with chromium() as browser:
        yield browser


def rows(app: Flask, model: Any) -> list[Any]:
    get_analytics(app).recorder.flush()
    with get_database(app).session() as session:
        return list(session.scalars(select(model)))


def test_search_click_and_vote_with_script(portal: Flask, site: str, driver: Any) -> None:
    driver.get(f"{site}/en/search?q=five+working+days")
    link = driver.find_element(By.CSS_SELECTOR, "ol.results a")
    link.click()
    wait_for(driver, lambda d: "/en/articles/billing/refunds" in d.current_url)
    assert "click=" not in driver.current_url  # the redirect leaves a clean address
    assert driver.current_url.endswith("#refund-timing")
    [search] = rows(portal, SearchRow)
    [click] = rows(portal, Click)
    assert (click.search_id, click.position, click.section) == (search.id, 1, "refund-timing")
    # "Was this helpful?": No, then a reason and a comment, without leaving the page.
    driver.find_element(By.CSS_SELECTOR, ".feedback-vote button[value=no]").click()
    reason_form = wait_for(
        driver, lambda d: d.find_element(By.CSS_SELECTOR, ".feedback-reason").is_displayed()
    )
    assert reason_form
    driver.find_element(By.ID, "reason-unclear").click()
    driver.find_element(By.ID, "feedback-comment").send_keys("Which card does it go to?")
    driver.find_element(By.CSS_SELECTOR, ".feedback-reason button[type=submit]").click()
    wait_for(driver, lambda d: d.find_element(By.CSS_SELECTOR, ".feedback-thanks").is_displayed())
    assert "/en/articles/billing/refunds" in driver.current_url  # never left the article
    [vote] = rows(portal, Vote)
    assert (vote.helpful, vote.reason, vote.comment) == (
        False,
        "unclear",
        "Which card does it go to?",
    )
    assert vote.session_id == search.session_id  # one visitor session throughout


def test_vote_without_script(portal: Flask, site: str) -> None:
    with chromium("--blink-settings=scriptEnabled=false") as driver:
        driver.get(f"{site}/en/articles/billing/refunds")
        driver.find_element(By.CSS_SELECTOR, ".feedback-vote button[value=no]").click()
        wait_for(driver, lambda d: "/en/feedback/billing/refunds" in d.current_url)
        driver.find_element(By.ID, "reason-outdated").click()
        driver.find_element(By.CSS_SELECTOR, ".feedback-reason button[type=submit]").click()
        # The second thank-you page asks nothing more.
        wait_for(driver, lambda d: "Thank you" in d.page_source and "reason-" not in d.page_source)
    [vote] = rows(portal, Vote)
    assert (vote.helpful, vote.reason) == (False, "outdated")
