"""Snippets: a short window of one section's text around the matched words, as safe HTML."""

from __future__ import annotations

from collections.abc import Collection
from html import escape

from kbportal.search import analysis

WIDTH = 200
LEAD = 40  # context kept before the first match in the window
MAX_SCAN = 20_000  # look for matches only this far into a long section


def _cut_start(text: str, pos: int) -> int:
    """Move a window start forward to the next word boundary."""
    if pos <= 0:
        return 0
    space = text.find(" ", pos, pos + 20)
    return space + 1 if space != -1 else pos


def _cut_end(text: str, pos: int) -> int:
    """Move a window end back to the previous word boundary."""
    if pos >= len(text):
        return len(text)
    space = text.rfind(" ", pos - 20, pos)
    return space if space != -1 else pos


def make_snippet(text: str, terms: Collection[str], width: int = WIDTH) -> str:
    """Escaped text of about `width` characters around the terms, with <mark> on matches."""
    text = " ".join(text.split())
    if not text:
        return ""
    wanted = set(terms)
    found = analysis.term_spans(text[:MAX_SCAN])
    spans = [(t, s, e) for t, s, e in found if t in wanted][:300]
    if not spans:
        end = _cut_end(text, width)
        return escape(text[:end]) + ("…" if end < len(text) else "")
    # The window holding the most distinct terms wins; the earliest one on ties.
    best, best_count = 0, -1
    for i, (_, start, _) in enumerate(spans):
        inside = set()
        for t, s, e in spans[i:]:
            if s > start + width:  # spans run in text order: none further can fit
                break
            if e <= start + width:
                inside.add(t)
        if len(inside) > best_count:
            best, best_count = i, len(inside)
    first = spans[best][1]
    # Show the text from its start when the match fits there; else keep a little context.
    start = 0 if first + (spans[best][2] - first) <= width - LEAD else first - LEAD
    start = max(0, min(start, len(text) - width))
    start = min(_cut_start(text, start), first)
    end = _cut_end(text, start + width)
    if end <= start:
        end = min(len(text), start + width)
    parts = ["…"] if start > 0 else []
    pos = start
    for _, s, e in spans:
        if s < start or e > end:
            continue
        parts.append(escape(text[pos:s]))
        parts.append(f"<mark>{escape(text[s:e])}</mark>")
        pos = e
    parts.append(escape(text[pos:end]))
    if end < len(text):
        parts.append("…")
    return "".join(parts)
