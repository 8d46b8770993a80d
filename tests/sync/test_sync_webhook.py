"""POST /hooks/git: GitHub, GitLab and Gitea credentials, branches, CSRF exemption."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from flask import Flask
from flask_wtf import CSRFProtect

from kbportal import db, sync
from kbportal.config import load_config
from kbportal.sync.web import EXTENSION

SECRET = "s3cret-for-tests"


def make_app(tmp_path, secret=SECRET, csrf_first=None):
    """A Flask app with only the sync blueprints: this file tests the HTTP layer alone."""
    settings = load_config(
        {
            "DATA_DIR": tmp_path / "data",
            "ARTICLES_DIR": tmp_path / "not-a-repo",
            "WEBHOOK_SECRET": secret,
        },
        environ={},
    )
    app = Flask("kbportal")
    app.config.update({f"KBPORTAL_{k}": v for k, v in settings.items()})
    app.config.update(TESTING=True, SECRET_KEY="test")
    if csrf_first is True:
        CSRFProtect(app)
    db.init_app(app)  # deliveries already acted on are remembered there
    sync.init_app(app)
    if csrf_first is False:
        CSRFProtect(app)
    return app


def payload(branch="main") -> bytes:
    return json.dumps({"ref": f"refs/heads/{branch}", "after": "0" * 40}).encode()


def github(body: bytes, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}", "X-GitHub-Event": "push"}


def gitea(body: bytes, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Gitea-Signature": digest, "X-Gitea-Event": "push"}


def gitlab(body: bytes, secret: str = SECRET) -> dict[str, str]:
    return {"X-Gitlab-Token": secret, "X-Gitlab-Event": "Push Hook"}


PROVIDERS = pytest.mark.parametrize("sign", [github, gitea, gitlab], ids=lambda f: f.__name__)


def post(app: Flask, body: bytes, headers: dict[str, str]):
    headers = {"Content-Type": "application/json", **headers}
    return app.test_client().post("/hooks/git", data=body, headers=headers)


@PROVIDERS
def test_valid_push_is_accepted(tmp_path, sign):
    app = make_app(tmp_path)
    body = payload()
    response = post(app, body, sign(body))
    assert response.status_code == 202
    data = response.get_json()
    assert data["status"] == "accepted" and data["sync_id"]
    # The sync runs in the background; here it fails (no working copy) and says why.
    result = app.extensions[EXTENSION].wait(data["sync_id"], timeout=30)
    assert result["status"] == "failed" and "not a git working copy" in result["message"]


@PROVIDERS
def test_wrong_secret_is_401_and_starts_nothing(tmp_path, sign):
    app = make_app(tmp_path)
    body = payload()
    response = post(app, body, sign(body, "wrong-secret"))
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"
    assert EXTENSION not in app.extensions


@pytest.mark.parametrize("sign", [github, gitea], ids=lambda f: f.__name__)  # GitLab: a token
def test_signature_of_another_body_is_401(tmp_path, sign):
    app = make_app(tmp_path)
    response = post(app, payload("main"), sign(payload("other")))
    assert response.status_code == 401


def test_missing_credentials_is_401(tmp_path):
    app = make_app(tmp_path)
    response = post(app, payload(), {"X-GitHub-Event": "push"})
    assert response.status_code == 401
    assert response.get_json()["reason"] == "missing signature"
    assert EXTENSION not in app.extensions


def test_one_good_header_cannot_vouch_for_a_bad_one(tmp_path):
    app = make_app(tmp_path)
    body = payload()
    headers = {**gitlab(body), "X-Hub-Signature-256": "sha256=" + "0" * 64}
    assert post(app, body, headers).status_code == 401


@PROVIDERS
def test_push_to_another_branch_is_ignored(tmp_path, sign):
    app = make_app(tmp_path)
    body = payload("feature/x")
    response = post(app, body, sign(body))
    assert response.status_code == 202
    assert response.get_json()["status"] == "ignored"
    assert EXTENSION not in app.extensions


def test_other_events_and_ping(tmp_path):
    app = make_app(tmp_path)
    body = b'{"zen": "Keep it logically awesome."}'
    ping = {**github(body), "X-GitHub-Event": "ping"}
    assert post(app, body, ping).get_json() == {"status": "pong"}
    issue = {**github(body), "X-GitHub-Event": "issues"}
    response = post(app, body, issue)
    assert response.status_code == 202 and response.get_json()["status"] == "ignored"
    assert EXTENSION not in app.extensions


def test_no_secret_means_no_hook(tmp_path):
    app = make_app(tmp_path, secret="")
    body = payload()
    assert post(app, body, github(body, "")).status_code == 404


@pytest.mark.parametrize("body", [b"", b"not json", b"[1,2]", b'{"ref": 5}', b"\xff\xfe"])
def test_malformed_bodies_never_500(tmp_path, body):
    app = make_app(tmp_path)
    response = post(app, body, github(body))
    assert response.status_code == 202  # no branch named: sync the configured one


def test_get_is_not_allowed(tmp_path):
    app = make_app(tmp_path)
    assert app.test_client().get("/hooks/git").status_code == 405


@pytest.mark.parametrize("csrf_first", [True, False])
def test_webhook_is_exempt_from_csrf(tmp_path, csrf_first):
    app = make_app(tmp_path, csrf_first=csrf_first)
    app.config["WTF_CSRF_ENABLED"] = True
    app.add_url_rule("/form", "form", lambda: "ok", methods=["POST"])
    body = payload()
    assert post(app, body, github(body)).status_code == 202
    # ...while an ordinary form POST elsewhere still needs its token.
    assert app.test_client().post("/form").status_code == 400


def test_pushes_during_a_sync_are_coalesced_into_one_more_run(tmp_path):
    import threading

    from kbportal.sync.runner import SyncRunner
    from kbportal.sync.service import SyncReport

    release = threading.Event()
    calls = []

    def slow_sync(config, wait):
        calls.append(wait)
        release.wait(10)
        return SyncReport("up-to-date")

    runner = SyncRunner({}, sync_fn=slow_sync)
    first = runner.request()
    second, third = runner.request(), runner.request()
    assert first != second and second == third
    assert runner.status(first) == "running" and runner.status(second) == "queued"
    release.set()
    assert runner.wait(second, timeout=10)["status"] == "up-to-date"
    assert len(calls) == 2  # three requests, two runs: the second saw every push
