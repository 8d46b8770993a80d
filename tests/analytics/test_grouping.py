"""Failed searches grouped by meaning, measured on the labelled RU/EN fixture."""

from __future__ import annotations

from collections import Counter

import pytest
from failed_queries import FAILED

from kbportal.analytics.grouping import FailedQuery, Group, fold_typos, group
from kbportal.analytics.searchlog import normalize

MIN_PURITY = 0.9
MAX_GROUP_SHARE = 0.6  # at least 40% fewer groups than distinct queries


def fixture_items() -> tuple[list[FailedQuery], dict[str, str]]:
    """The fixture as the grouping sees it: one item per normalised query; labels by query."""
    items: dict[str, FailedQuery] = {}
    labels: dict[str, str] = {}
    for query, locale, need, answer in FAILED:
        key = normalize(query)
        item = items.setdefault(key, FailedQuery(key, locale))
        item.phrasings[query] += 1
        item.searches += 1
        item.zero += 0 if answer else 1
        if answer:
            item.answers[answer] += 1
        labels[query] = need
    return list(items.values()), labels


def purity(groups: list[Group], labels: dict[str, str]) -> float:
    """Share of queries that sit in a group with the group's majority need."""
    right = total = 0
    for found in groups:
        needs = Counter(labels[text] for text, _n in found.phrasings)
        right += needs.most_common(1)[0][1]
        total += sum(needs.values())
    return right / total


def test_the_fixture_is_big_enough_and_bilingual() -> None:
    assert len({q for q, *_ in FAILED}) >= 150
    assert {locale for _q, locale, *_ in FAILED} == {"en", "ru"}


def test_grouping_is_pure_and_compact() -> None:
    items, labels = fixture_items()
    groups = group(items)
    distinct = len({q for q, *_ in FAILED})
    score = purity(groups, labels)
    print(f"queries {distinct}, groups {len(groups)}, purity {score:.3f}")
    assert score >= MIN_PURITY
    assert len(groups) <= MAX_GROUP_SHARE * distinct


def test_one_article_in_two_languages_joins_the_need() -> None:
    items, _labels = fixture_items()
    groups = group(items)
    cancel = next(g for g in groups if "how to cancel my subscription" in dict(g.phrasings))
    assert "как отменить подписку" in dict(cancel.phrasings)
    assert set(cancel.locales) == {"en", "ru"}


def test_typos_fold_into_the_commoner_spelling() -> None:
    folded = fold_typos(Counter({"subscript": 9, "subscrpt": 1, "refund": 5, "refnd": 1}))
    assert folded == {"subscrpt": "subscript", "refnd": "refund"}


def test_editors_decisions_win() -> None:
    items, _labels = fixture_items()
    dark = normalize("dark mode")
    night = normalize("night theme")
    base = {g.anchor.normalized: g for g in group(items)}
    split = group(items, {night: ""})  # "" (or a label of its own): alone
    alone = next(g for g in split if night in {m.normalized for m in g.members})
    assert [m.normalized for m in alone.members] == [night]
    label = "merged:" + dark
    merged = group(items, {normalize("mobile app"): label, dark: label})
    together = next(g for g in merged if dark in {m.normalized for m in g.members})
    assert normalize("mobile app") in {m.normalized for m in together.members}
    assert len(base) >= 2


@pytest.mark.parametrize("items", [[], [FailedQuery("", "en")]])
def test_nothing_to_group_is_fine(items: list[FailedQuery]) -> None:
    assert len(group(items)) == len(items)
