"""The whole app around sync: webhook -> new version served, 301 after a rename, staff pages."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys

import pytest

from kbportal import create_app
from kbportal.accounts import services
from kbportal.db import get_database
from kbportal.publish import close_all
from kbportal.sync import sync
from kbportal.sync.web import EXTENSION

SECRET = "web-test-secret"
ARTICLES = {
    "en/billing/refunds.md": "# Refunds\n\nMoney back within fourteen days.\n" + "More. " * 30,
    "en/billing/invoices.md": "# Invoices\n\nDownload invoices as PDF files.\n",
    "en/internal/escalation.md": "---\nvisibility: internal\n---\n# Escalation\n\nCall ops.\n",
}


@pytest.fixture
def portal(repos):
    repos.editor.write(ARTICLES)
    repos.editor.push("initial", author="Ann")
    repos.clone_portal()
    assert sync(repos.config()).ok
    yield repos
    close_all()


def make_app(repos, **extra):
    cfg = repos.config()
    settings = {
        "ARTICLES_DIR": cfg["ARTICLES_DIR"],
        "DATA_DIR": cfg["DATA_DIR"],
        "WEBHOOK_SECRET": SECRET,
        "SECRET_KEY": "k",
        "TESTING": True,
        **extra,
    }
    return create_app(settings)


def push_hook(app, branch="main"):
    body = json.dumps({"ref": f"refs/heads/{branch}"}).encode()
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "X-Hub-Signature-256": f"sha256={digest}",
        "X-GitHub-Event": "push",
        "Content-Type": "application/json",
    }
    response = app.test_client().post("/hooks/git", data=body, headers=headers)
    assert response.status_code == 202, response.get_data(as_text=True)
    sync_id = response.get_json()["sync_id"]
    return app.extensions[EXTENSION].wait(sync_id, timeout=60)


def test_webhook_on_the_full_app_publishes_and_both_apps_serve_it(portal):
    first, second = make_app(portal), make_app(portal)  # two "workers" on one data folder
    for app in (first, second):
        assert b"fourteen" in app.test_client().get("/en/articles/billing/refunds").data
    portal.editor.write({"en/billing/refunds.md": "# Refunds\n\nMoney back within thirty days.\n"})
    portal.editor.push("thirty days now")
    assert push_hook(first)["status"] == "published"  # CSRF is on: the hook is exempt
    for app in (first, second):
        page = app.test_client().get("/en/articles/billing/refunds").data
        assert b"thirty" in page and b"fourteen" not in page


WORKER = """
import sys
from kbportal import create_app
app = create_app({"ARTICLES_DIR": sys.argv[1], "DATA_DIR": sys.argv[2], "SECRET_KEY": "k"})
client = app.test_client()
for line in sys.stdin:
    body = client.get(line.strip()).get_data(as_text=True)
    print("thirty" in body, "fourteen" in body, flush=True)
"""


def test_another_process_switches_without_a_restart(portal):
    cfg = portal.config()
    args = [sys.executable, "-c", WORKER, str(cfg["ARTICLES_DIR"]), str(cfg["DATA_DIR"])]
    with subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as worker:
        assert worker.stdin and worker.stdout

        def ask() -> list[str]:
            assert worker.stdin and worker.stdout
            worker.stdin.write("/en/articles/billing/refunds\n")
            worker.stdin.flush()
            return worker.stdout.readline().split()

        assert ask() == ["False", "True"]
        portal.editor.write({"en/billing/refunds.md": "# Refunds\n\nWithin thirty days.\n"})
        portal.editor.push("thirty")
        assert sync(cfg).ok
        assert ask() == ["True", "False"]  # the same worker process, no restart
        worker.stdin.close()


def test_renamed_article_answers_301_at_its_old_url(portal):
    portal.editor.mv("en/billing/refunds.md", "en/payments/refunds.md")
    portal.editor.push("move refunds")
    assert sync(portal.config()).ok
    client = make_app(portal).test_client()
    response = client.get("/en/articles/billing/refunds")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/en/articles/payments/refunds")
    assert client.get("/en/articles/payments/refunds").status_code == 200


def login_staff(app, email="agent@example.com"):
    with app.app_context():
        session = get_database(app).session()
        services.create_user(session, email, "correct horse battery staple", role="agent")
        session.commit()
        session.close()
    client = app.test_client()
    response = client.post(
        "/login", data={"email": email, "password": "correct horse battery staple"}
    )
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    return client


def test_staff_history_and_problems_pages(portal):
    portal.editor.write(
        {
            "en/billing/refunds.md": "# Refunds\n\nFifteen days.\n" + "More. " * 30,
            "en/billing/broken.md": "---\ntitle: [oops\n---\n# Broken\n",
        }
    )
    portal.editor.push("shorter refund window", author="Boris")
    assert sync(portal.config()).ok
    app = make_app(portal, WTF_CSRF_ENABLED=False)
    public = app.test_client()
    for url in ("/staff/articles/en/billing/refunds/history", "/staff/problems"):
        # Signed out: sent to sign in, like every staff page (one gate); nothing shown.
        response = public.get(url)
        assert response.status_code == 302 and response.location.startswith("/login?next=")
    staff = login_staff(app)
    page = staff.get("/staff/articles/en/billing/refunds/history")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "shorter refund window" in text and "Boris" in text and "Ann" in text
    assert "private" in page.headers["Cache-Control"]
    assert staff.get("/staff/articles/en/billing/nope/history").status_code == 404
    problems = staff.get("/staff/problems").get_data(as_text=True)
    assert "en/billing/broken.md" in problems and "published" in problems
