"""The one markdown-it configuration every article is rendered with, and its safety net."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from functools import lru_cache
from html import escape

import nh3
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.footnote import footnote_plugin
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

log = logging.getLogger(__name__)

_FORMATTER = HtmlFormatter(nowrap=True)
_LANG = re.compile(r"^[\w+#.\-]{1,40}$")


@lru_cache(maxsize=256)
def _lexer(lang: str) -> Lexer | None:
    """The Pygments lexer for a fence's language, or None when unknown."""
    try:
        return get_lexer_by_name(lang, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


def highlight(code: str, lang: str, _attrs: str) -> str:
    """A fenced block as Pygments HTML with CSS classes; "" (plain) when the language is unknown."""
    lexer = _lexer(lang.lower()) if lang and _LANG.match(lang) else None
    if lexer is None:
        return ""
    spans = pygments_highlight(code, lexer, _FORMATTER)
    language = escape(lang.lower(), quote=True)
    return f'<pre class="highlight"><code class="language-{language}">{spans}</code></pre>\n'


def make_markdown() -> MarkdownIt:
    """A markdown-it parser: CommonMark + tables, strikethrough, admonitions, alerts, footnotes."""
    # html=False: raw HTML in an article is shown as text, never passed through.
    options = {"html": False, "highlight": highlight, "tasklists": True, "alerts": True}
    md = MarkdownIt("commonmark", options)
    md.enable(["table", "strikethrough"])
    md.use(admon_plugin)
    md.use(footnote_plugin)
    if not _has_builtin_tasklists():  # older markdown-it-py: the plugin does task lists
        from mdit_py_plugins.tasklists import tasklists_plugin

        md.use(tasklists_plugin)
    md.add_render_rule("list_item_open", _list_item_open)
    return md


# A task's checkbox has no text of its own: screen readers get its state in the article's language.
TASK_STATES = {"en": ("Done", "Not done"), "ru": ("Выполнено", "Не выполнено")}


def _list_item_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """A list item; a task item starts with a read-only checkbox that names its state."""
    token = tokens[idx]
    html = self.renderToken(tokens, idx, options, env)
    if token.meta and "checked" in token.meta:
        checked = bool(token.meta["checked"])
        done, todo = TASK_STATES.get(str(env.get("locale", "")), TASK_STATES["en"])
        html += (
            '<input class="task-list-item-checkbox" disabled="" type="checkbox"'
            f'{" checked" if checked else ""} aria-label="{done if checked else todo}"> '
        )
    return html


def _has_builtin_tasklists() -> bool:
    """Whether this markdown-it-py renders task lists itself (4.1+), else the plugin is used."""
    from markdown_it import __version__

    major, minor = (int(part) for part in __version__.split(".")[:2])
    return (major, minor) >= (4, 1)


_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "input", "kbd", "li", "ol", "p",
    "pre", "s", "section", "span", "strong", "sub", "sup", "table", "tbody", "td", "th",
    "thead", "tr", "ul",
}  # fmt: skip
_ATTRIBUTES = {
    "*": {"class", "id"},
    "a": {"href", "rel", "title"},
    "img": {"src", "alt", "title"},
    "input": {"type", "checked", "disabled", "aria-label"},
    "ol": {"start"},
    "td": {"style"},
    "th": {"style"},
}


def sanitize(html: str) -> str:
    """A second safety layer: drop any tag, attribute or URL scheme the renderer never makes."""
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel", "data"},
        link_rel=None,  # rel is set per link by the renderer (external links only)
        filter_style_properties={"text-align"},
        strip_comments=True,
    )
