"""Reply templates: listed for staff, a form from the placeholders, filled safely on the server."""

from __future__ import annotations

import re

import pytest
from agents_sample import TEMPLATE_SLUG, csrf_token
from flask.testing import FlaskClient

from kbportal.agents import replies

PAGE = f"/staff/templates/en/{TEMPLATE_SLUG}"


def reply_text(html: str) -> str:
    match = re.search(r'<textarea id="reply-text"[^>]*>(.*?)</textarea>', html, re.S)
    assert match, html
    return match.group(1)


def test_placeholders_in_order_once() -> None:
    text = "Hi {{ name }}, {{amount}} and {{name}} again; {{ bad-name }} {{1x}} {name}"
    assert replies.placeholders(text) == ("name", "amount")


def test_fill_is_one_pass_and_keeps_empty_placeholders() -> None:
    text = "Hi {{name}}, you paid {{amount}}."
    assert (
        replies.fill(text, {"name": "{{amount}}", "amount": ""})
        == "Hi {{amount}}, you paid {{amount}}."
    )


def test_clean_value_drops_control_characters_and_caps_length() -> None:
    assert replies.clean_value("a\x00b\r\nc\x1b") == "ab\nc"
    assert len(replies.clean_value("x" * 10_000)) == replies.MAX_VALUE_CHARS
    assert replies.field_label("customer_name") == "Customer name"


def test_the_list_shows_templates_only(agent: FlaskClient) -> None:
    html = agent.get("/staff/templates").get_data(as_text=True)
    assert f'href="{PAGE}"' in html
    assert "Outage runbook" not in html  # internal, but not a template


def test_the_form_has_a_field_per_placeholder(agent: FlaskClient) -> None:
    html = agent.get(PAGE).get_data(as_text=True)
    assert re.findall(r'data-field="(\w+)"', html) == ["customer_name", "amount", "agent_name"]
    assert '<label for="field-customer_name">Customer name</label>' in html
    assert 'name="csrf_token"' in html
    text = reply_text(html)
    # Paragraphs stay apart, hard-wrapped lines join, the signature keeps its lines, lists stay.
    assert text.startswith("Hello {{customer_name}},\n\nWe have refunded {{amount}}. It reaches")
    assert "depending on your bank." in text and "depending\non" not in text
    assert "1. Open Billing.\n2. Check the refund of {{amount}}." in text
    assert text.endswith("Best regards,\n{{agent_name}}\nSupport")


def test_filled_on_the_server_with_values_escaped(agent: FlaskClient) -> None:
    token = csrf_token(agent, PAGE)
    evil = '<script>alert(1)</script>"'
    html = agent.post(
        PAGE, data={"csrf_token": token, "customer_name": evil, "amount": "€12", "x": "ignored"}
    ).get_data(as_text=True)
    assert "<script>alert(1)" not in html
    text = reply_text(html)
    assert text.startswith("Hello &lt;script&gt;alert(1)&lt;/script&gt;&#34;,")
    assert "We have refunded €12." in text
    assert "{{agent_name}}" in text  # left for the agent to fill
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;&#34;"' in html


def test_filling_needs_the_csrf_token(agent: FlaskClient) -> None:
    response = agent.post(PAGE, data={"customer_name": "Ann"})
    assert response.status_code == 400
    assert "Ann" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/staff/templates/en/billing/refunds",  # public article, not a template
        "/staff/templates/en/internal/runbook",  # internal, not a template
        "/staff/templates/en/internal/failover",  # not visible to this agent
        "/staff/templates/xx/internal/templates/refund-ok",
        "/staff/templates/en/nope",
    ],
)
def test_anything_else_is_not_found(agent: FlaskClient, path: str) -> None:
    assert agent.get(path).status_code == 404


def test_the_seeded_templates_all_parse(app) -> None:
    from kbportal.viewer import Viewer

    with app.app_context():
        from kbportal.publish import config_of, kb_for

        config = dict(config_of(app))
        config["ARTICLES_DIR"] = app.root_path + "/../articles"
        config["DATA_DIR"] = str(config["DATA_DIR"]) + "-seeded"
        kb = kb_for(config)
        staff = Viewer(staff=True)
        for locale in ("en", "ru"):
            found = replies.list_templates(kb, locale, staff)
            assert len(found) >= 4, locale
            for article in found:
                reply = replies.as_template(article)
                assert "customer_name" in reply.fields, article.key
                assert "<" not in reply.text, article.key
