"""The agent search's live result count in a real browser: every Russian plural form, and English.

The server renders one sample per plural category; the browser's Intl.PluralRules picks one for
the count. Only a browser runs that script, so only a browser shows the wrong form
("15 найдено статей") if the samples or the rules go wrong.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from browser import chromium, serve
from flask import Flask
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait
from support import TEST_PASSWORD, write_tree

from kbportal.accounts.models import User

# Words far apart in spelling, so typo tolerance never joins two of them: each matches exactly
# the first N notes.
COUNTS = {"вулкан": 1, "пингвин": 3, "самовар": 5, "телескоп": 15, "заметка": 21}


def notes() -> dict[str, str]:
    """21 Russian notes and 2 English ones; note i carries every word whose count is >= i."""
    files = {}
    for i in range(1, 22):
        words = " ".join(w for w, n in COUNTS.items() if i <= n)
        files[f"ru/notes/note-{i}.md"] = f"# Запись номер {i}\n\nЗдесь: {words}.\n"
    files["en/notes/note-1.md"] = "# Note number 1\n\nA note about lighthouses and harbours.\n"
    files["en/notes/note-2.md"] = "# Note number 2\n\nA note about lighthouses.\n"
    return files


@pytest.fixture
def articles_dir(tmp_path: Path) -> Path:
    """Overrides the agents' sample: a tree whose searches give chosen counts."""
    return write_tree(tmp_path / "articles", notes())


@pytest.fixture
def browser(app: Flask, make_user: Callable[..., User]) -> Iterator[tuple[Any, str]]:
    """A chromium signed in as an agent on the app served on loopback, and the base URL."""
    make_user("agent@example.com")
    with serve(app) as base, chromium() as driver:
        driver.get(f"{base}/login?next=/staff/search")
        driver.find_element(By.NAME, "email").send_keys("agent@example.com")
        driver.find_element(By.NAME, "password").send_keys(TEST_PASSWORD + Keys.ENTER)
        WebDriverWait(driver, 10).until(lambda d: urlsplit(d.current_url).path == "/staff/search")
        yield driver, base


def live_count(driver: Any, query: str, expected: str) -> str:
    """Type a query into the live search; the status line once it says `expected` (or 10 s on)."""
    box = driver.find_element(By.ID, "agent-q")
    box.clear()
    box.send_keys(query)
    status = driver.find_element(By.ID, "agent-status")
    with contextlib.suppress(TimeoutException):  # the caller's assert shows what it said instead
        WebDriverWait(driver, 10).until(lambda d: status.text.strip() == expected)
    return str(status.text.strip())


def test_russian_live_count_uses_the_right_plural_for_each_number(
    browser: tuple[Any, str],
) -> None:
    driver, base = browser
    driver.get(f"{base}/staff/search?locale=ru")
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ru"
    expected = {
        "вулкан": "Найдена 1 статья",  # one
        "пингвин": "Найдено 3 статьи",  # few
        "самовар": "Найдено 5 статей",  # many
        "телескоп": "Найдено 15 статей",  # many (the "15 найдено статей")
        "заметка": "Найдена 21 статья",  # one again: 21 ends in 1
    }
    seen = {query: live_count(driver, query, text) for query, text in expected.items()}
    assert seen == expected
    # The live results are really there, not only the count.
    assert len(driver.find_elements(By.CSS_SELECTOR, "#agent-results li.agent-hit")) > 0


def test_english_live_count_says_article_or_articles(browser: tuple[Any, str]) -> None:
    driver, base = browser
    driver.get(f"{base}/staff/search?locale=en")
    assert live_count(driver, "lighthouses", "2 articles found") == "2 articles found"
    assert live_count(driver, "harbours", "1 article found") == "1 article found"
