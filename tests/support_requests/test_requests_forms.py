"""Request types as code: `_requests.yml` checked with file and line, published with the build."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner
from flask.cli import ScriptInfo

from kbportal import create_app, publish
from kbportal.cli import cli
from kbportal.content.request_types import DEFAULT_TYPES
from kbportal.publish import build, kb_for

ARTICLES = {
    "en/billing/refunds.md": "---\ntitle: Refunds\n---\n\nText.\n\n## Ask for a refund\n\nHow.\n",
    "ru/billing/refunds.md": "---\ntitle: Возврат\n---\n\nТекст.\n",
    "en/internal/secret.md": "---\ntitle: Secret\nvisibility: internal\n---\n\nHidden.\n",
}

GOOD = """types:
  question:
    label: {en: Question, ru: Вопрос}
    priority: P3
    suggest: {categories: [billing]}
    checklist:
      - text: {en: Refunds, ru: Возврат}
        link: billing/refunds
    fields:
      - name: area
        kind: select
        label: {en: Area, ru: Область}
        options: [a, b]
"""

BAD = """types:
  question:
    label: {en: Question, ru: Вопрос}
    priority: P9
    checklist:
      - text: {en: Secret, ru: Секрет}
        link: {en: internal/secret, ru: billing/refunds}
    fields:
      - name: subject
        kind: text
        label: Subject again
      - name: colour
        kind: rainbow
        label: Colour
      - name: when
        kind: text
        label: When
        required_if: {field: nowhere}
"""


def check(articles: Path, tmp_path: Path) -> tuple[int, str]:
    """`kbportal check` on a tree, in an app made for it."""
    config = {"ARTICLES_DIR": str(articles), "DATA_DIR": str(tmp_path / "data"), "TESTING": True}
    app = create_app(config)
    info = ScriptInfo(create_app=lambda: app)
    result = CliRunner().invoke(cli, ["check"], obj=info, catch_exceptions=False)
    return result.exit_code, result.output


def test_check_reports_each_mistake_with_its_line(
    make_articles: Callable[..., Path], tmp_path: Path
) -> None:
    articles = make_articles({**ARTICLES, "_requests.yml": BAD})
    code, output = check(articles, tmp_path)
    assert code == 1
    assert "_requests.yml:4:" in output and "priority must be one of" in output
    assert "_requests.yml:7:" in output and "internal 'en/internal/secret'" in output
    assert "_requests.yml:9:" in output and "'subject' is built in" in output
    assert "_requests.yml:13:" in output and "kind must be one of" in output
    assert "_requests.yml:18:" in output and "unknown field 'nowhere'" in output


def test_bad_yaml_points_at_its_line(make_articles: Callable[..., Path], tmp_path: Path) -> None:
    articles = make_articles({**ARTICLES, "_requests.yml": "types:\n  q: [unclosed\n"})
    code, output = check(articles, tmp_path)
    assert code == 1 and "_requests.yml:3:" in output and "not valid YAML" in output


def test_a_good_file_checks_clean_and_publishes_with_the_build(
    make_articles: Callable[..., Path], tmp_path: Path
) -> None:
    articles = make_articles({**ARTICLES, "_requests.yml": GOOD})
    code, output = check(articles, tmp_path)
    assert code == 0, output
    config = {
        "ARTICLES_DIR": articles,
        "DATA_DIR": tmp_path / "data",
        "LOCALES": ("en", "ru"),
        "DEFAULT_LOCALE": "en",
    }
    build(config)
    types = kb_for(config).request_types()
    (question,) = types.types
    assert question.categories == ("billing",) and question.fields[0].kind == "select"
    # The file changes with the next build only; a build without it has the default form.
    (articles / "_requests.yml").unlink()
    publish.update(config, [], ["_requests.yml"])
    assert kb_for(config).request_types() == DEFAULT_TYPES
    publish.close_all()


def test_the_sample_site_checks_clean(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2] / "articles"
    assert (root / "_requests.yml").is_file()
    _code, output = check(root, tmp_path)
    assert "_requests.yml" not in output  # the articles' own findings are other tests' business
