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
        "results_count": "Articles found: {n}",  # no plural to get wrong: "1 articles"
        "loading": "Loading…",
        "back": "Back",
        "open_full": "Open in the help center",
        "solved_question": "Did this answer your question?",
        "solved": "Yes, this solved my problem",
        "thanks": "Thank you! Glad it helped.",
        "contact": "Contact support",
        "error": "Something went wrong. Please try again.",
        "request_title": "Contact support",
        "request_type": "What is it about?",
        "checklist": "Before you write, please check",
        "your_name": "Your name",
        "your_email": "Your e-mail",
        "subject": "Subject",
        "description": "Describe the problem",
        "maybe_answered": "These articles may already answer it",
        "send": "Send my request",
        "request_sent": "We have your request",
        "request_reference": "Your reference number is {id}. We will reply by e-mail.",
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
        "request_title": "Написать в поддержку",
        "request_type": "О чём обращение?",
        "checklist": "Прежде чем писать, проверьте",
        "your_name": "Ваше имя",
        "your_email": "Ваш e-mail",
        "subject": "Тема",
        "description": "Опишите проблему",
        "maybe_answered": "Возможно, ответ уже есть в этих статьях",
        "send": "Отправить запрос",
        "request_sent": "Мы получили ваш запрос",
        "request_reference": "Номер вашего запроса: {id}. Мы ответим по e-mail.",
    },
}


def strings_for(locale: str) -> dict[str, str]:
    """The widget's words in `locale`, English for a locale without a table."""
    return {**STRINGS["en"], **STRINGS.get(locale, {})}
