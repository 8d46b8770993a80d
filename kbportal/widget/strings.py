"""The widget's words in each UI language: one table for the host-page button and the panel.

Kept here rather than in the gettext catalogue because widget.js runs on other sites, where
there is no gettext; the panel reads the same table, so both always agree.
"""

from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "button": "Help",
        "open": "Open help",
        "close": "Close help",
        "dialog": "Help center",
        "search_label": "Search the help center",
        "search_placeholder": "Describe your question",
        "search": "Search",
        "suggested": "Suggested for this page",
        "results": "Results",
        "no_results": "No articles match. Try other words, or contact us.",
        "results_count": "{n} articles found",
        "loading": "Loading…",
        "back": "Back",
        "open_full": "Open in the help center",
        "solved_question": "Did this answer your question?",
        "solved": "Yes, this solved my problem",
        "thanks": "Thank you! Glad it helped.",
        "contact": "Contact support",
        "error": "Something went wrong. Please try again.",
    },
    "ru": {
        "button": "Помощь",
        "open": "Открыть помощь",
        "close": "Закрыть помощь",
        "dialog": "Центр помощи",
        "search_label": "Поиск по центру помощи",
        "search_placeholder": "Опишите ваш вопрос",
        "search": "Найти",
        "suggested": "Статьи к этой странице",
        "results": "Результаты",
        "no_results": "Ничего не найдено. Попробуйте другие слова или напишите нам.",
        "results_count": "Найдено статей: {n}",
        "loading": "Загрузка…",
        "back": "Назад",
        "open_full": "Открыть в центре помощи",
        "solved_question": "Статья ответила на ваш вопрос?",
        "solved": "Да, это решило мою проблему",
        "thanks": "Спасибо! Рады, что помогло.",
        "contact": "Написать в поддержку",
        "error": "Что-то пошло не так. Попробуйте ещё раз.",
    },
}


def strings_for(locale: str) -> dict[str, str]:
    """The widget's words in `locale`, English for a locale without a table."""
    return {**STRINGS["en"], **STRINGS.get(locale, {})}
