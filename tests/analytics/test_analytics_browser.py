"""In real Chromium: search, open a result, vote "No" with a reason and a comment, with and
without script; then an editor signs in and sees it all on /staff/insights."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from browser import chromium, serve
from flask import Flask
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
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
    editor_sees_it_all(portal, driver, site, "Which card does it go to?")


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


def editor_sees_it_all(portal: Flask, driver: Any, site: str, comment: str) -> None:
    """Sign an editor in through the login form and read the figures off /staff/insights."""
    from support import TEST_PASSWORD, cheap_password_hashing

    from kbportal.accounts import services

    with cheap_password_hashing(), get_database(portal).session() as session:
        services.create_user(session, "editor@example.com", TEST_PASSWORD, role="editor")
        session.commit()
    driver.delete_all_cookies()  # the editor is someone else
    driver.get(f"{site}/login?next=/staff/insights%3Fdays%3D7")
    driver.find_element(By.NAME, "email").send_keys("editor@example.com")
    driver.find_element(By.NAME, "password").send_keys(TEST_PASSWORD + Keys.ENTER)
    wait_for(driver, lambda d: "/staff/insights" in d.current_url and "Overview" in d.page_source)
    get_analytics(portal).recorder.flush()
    driver.refresh()

    def figure(name: str) -> str:
        return str(driver.find_element(By.CSS_SELECTOR, f'[data-figure="{name}"]').text)

    # By hand: one customer search, with results, opened at position 1.
    assert figure("searches") == "1"
    assert figure("zero_rate") == "0.0%"
    assert figure("click_through_rate") == "100.0%"
    assert figure("mean_position") == "1.00"
    page = driver.page_source
    assert "five working days" in page  # top searches
    row = driver.find_element(By.CSS_SELECTOR, 'tr[data-article="en/billing/refunds"]')
    assert "Getting a refund" in row.text and comment in row.text and "1 (0 / 1)" in row.text


def test_everything_without_script_and_the_editor_sees_it(portal: Flask, site: str) -> None:
    with chromium("--blink-settings=scriptEnabled=false") as driver:
        driver.get(f"{site}/en/")
        box = driver.find_element(By.CSS_SELECTOR, "input[name=q]")
        box.send_keys("five working days" + Keys.ENTER)
        wait_for(driver, lambda d: "/en/search" in d.current_url)
        driver.find_element(By.CSS_SELECTOR, "ol.results a").click()
        wait_for(driver, lambda d: "/en/articles/billing/refunds" in d.current_url)
        assert "click=" not in driver.current_url
        [search] = rows(portal, SearchRow)
        [click] = rows(portal, Click)
        assert (click.search_id, click.position) == (search.id, 1)
        driver.find_element(By.CSS_SELECTOR, ".feedback-vote button[value=no]").click()
        wait_for(driver, lambda d: "/en/feedback/billing/refunds" in d.current_url)
        driver.find_element(By.ID, "reason-missing").click()
        driver.find_element(By.ID, "feedback-comment").send_keys("Which bank holidays count?")
        driver.find_element(By.CSS_SELECTOR, ".feedback-reason button[type=submit]").click()
        wait_for(driver, lambda d: "Thank you" in d.page_source and "reason-" not in d.page_source)
        [vote] = rows(portal, Vote)
        assert (vote.helpful, vote.reason, vote.comment) == (
            False,
            "missing",
            "Which bank holidays count?",
        )
        assert vote.session_id == search.session_id
        editor_sees_it_all(portal, driver, site, "Which bank holidays count?")
