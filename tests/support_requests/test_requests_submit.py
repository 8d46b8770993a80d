"""Filing a request: checked fields, one transaction with its outbox, idempotent, rate-limited."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

import pytest
from requests_sample import GOOD, TYPES
from sqlalchemy import func, select
from support import PNG

from kbportal.db import Database
from kbportal.support import services
from kbportal.support.models import OutboxMessage, SupportRequest
from kbportal.support.validation import Upload


def submission(key: str = "k1", kind: str = "question", **values: str) -> services.Submission:
    return services.Submission(
        type=kind, locale="en", values={**GOOD, **values}, idempotency_key=key
    )


def count(database: Database, model: type) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_request_and_one_outbox_row_per_destination(database: Database) -> None:
    with database.session() as session:
        done = services.submit(
            session, TYPES, submission(area="billing"), destinations=["email", "webhook"]
        )
    assert done.created
    request = done.request
    assert request.reference.startswith("KB-") and len(request.reference) == 11
    assert request.email == "Ann@example.com"  # the domain is normalised, the local part kept
    assert request.priority == "P3"
    assert json.loads(request.fields) == {"area": "billing"}
    with database.session() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.destination)).all()
        assert [(r.destination, r.event, r.state) for r in rows] == [
            ("email", "created", "pending"),
            ("webhook", "created", "pending"),
        ]


def test_no_destination_means_the_staff_inbox(database: Database) -> None:
    with database.session() as session:
        services.submit(session, TYPES, submission(), destinations=[])
    assert count(database, SupportRequest) == 1
    assert count(database, OutboxMessage) == 0


def test_the_same_key_twice_is_one_request(database: Database) -> None:
    with database.session() as session:
        first = services.submit(session, TYPES, submission("same"), destinations=["webhook"])
        again = services.submit(session, TYPES, submission("same"), destinations=["webhook"])
    assert first.created and not again.created
    assert again.request.reference == first.request.reference
    assert count(database, SupportRequest) == count(database, OutboxMessage) == 1


def test_duplicate_submits_at_the_same_moment_make_one_request(database: Database) -> None:
    results: list[services.Submitted] = []
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def post() -> None:
        start.wait()
        try:
            with database.session() as session:
                results.append(
                    services.submit(session, TYPES, submission("click"), destinations=["webhook"])
                )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=post) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len({r.request.reference for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert count(database, SupportRequest) == count(database, OutboxMessage) == 1


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({"subject": "  ", "email": ""}, {"subject": "required", "email": "required"}),
        ({"email": "not an address"}, {"email": "bad_email"}),
        ({"subject": "x" * 201}, {"subject": "too_long"}),
        ({"area": "nonsense"}, {"area": "bad_choice"}),
    ],
)
def test_errors_name_each_field(database: Database, values: dict[str, str], errors: dict) -> None:
    with database.session() as session, pytest.raises(services.SubmitError) as caught:
        services.submit(session, TYPES, submission(**values), destinations=["webhook"])
    assert caught.value.errors == errors
    assert count(database, SupportRequest) == 0


def test_conditionally_required_and_files_checked_by_content(database: Database) -> None:
    sub = submission(kind="problem", blocks_work="on")
    with database.session() as session, pytest.raises(services.SubmitError) as caught:
        services.submit(session, TYPES, sub, destinations=[])
    assert caught.value.errors == {"since": "required"}
    # An executable renamed to .png is refused; the real PNG passes, named by its content.
    fake = Upload("screenshot", "shot.png", b"MZ\x90\x00" + b"\x00" * 100)
    sub = services.Submission("problem", "en", {**GOOD}, "k2", uploads=[fake])
    with database.session() as session, pytest.raises(services.SubmitError) as caught:
        services.submit(session, TYPES, sub, destinations=[])
    assert caught.value.errors == {"screenshot": "file_type"}
    real = Upload("screenshot", "../../etc/passwd\r\n.exe", PNG)
    sub = services.Submission("problem", "en", {**GOOD}, "k3", uploads=[real])
    with database.session() as session:
        request = services.submit(session, TYPES, sub, destinations=[]).request
        (attachment,) = request.attachments
        assert attachment.content_type == "image/png"
        assert attachment.filename == "passwd.png"
        assert attachment.data == PNG
    big = Upload("screenshot", "big.png", PNG + b"\x00" * 2000)
    sub = services.Submission("problem", "en", {**GOOD}, "k4", uploads=[big])
    with database.session() as session, pytest.raises(services.SubmitError) as caught:
        services.submit(session, TYPES, sub, destinations=[], max_file_bytes=1000)
    assert caught.value.errors == {"screenshot": "file_too_big"}


def test_rate_limit_per_session_and_per_address(database: Database) -> None:
    def sub(key: str, session_id: str, client: str) -> services.Submission:
        values = {**GOOD}
        return services.Submission(
            "question", "en", values, key, session_id=session_id, client_hash=client
        )

    with database.session() as session:
        services.submit(session, TYPES, sub("a", "s1", "ip1"), destinations=[], rate_limit=2)
        services.submit(session, TYPES, sub("b", "s1", "ip2"), destinations=[], rate_limit=2)
        with pytest.raises(services.RateLimited):
            services.submit(session, TYPES, sub("c", "s1", "ip3"), destinations=[], rate_limit=2)
        services.submit(session, TYPES, sub("d", "s2", "ip3"), destinations=[], rate_limit=2)
        services.submit(session, TYPES, sub("f", "s4", "ip3"), destinations=[], rate_limit=2)
        with pytest.raises(services.RateLimited):  # a new session, but the same address
            services.submit(session, TYPES, sub("e", "s3", "ip3"), destinations=[], rate_limit=2)  # noqa: E501


def test_close_is_single_use_and_travels_as_an_update(
    database: Database, file_request: Callable[..., SupportRequest]
) -> None:
    request = file_request(destinations=("email", "webhook"))
    with database.session() as session:
        assert services.close(session, request.reference)
    with database.session() as session:
        assert not services.close(session, request.reference)
        events = session.scalars(
            select(OutboxMessage.event).order_by(OutboxMessage.destination, OutboxMessage.id)
        ).all()
    assert events == ["created", "closed", "created", "closed"]


def test_client_hash_never_holds_the_address() -> None:
    digest = services.client_hash("secret", "203.0.113.9")
    assert "203" not in digest and len(digest) == 32
    assert digest == services.client_hash("secret", "203.0.113.9")
    assert digest != services.client_hash("other", "203.0.113.9")


def test_a_verified_email_is_stored_with_the_request_itself(database: Database) -> None:
    """The widget's vouched-for e-mail is in the same commit: no relay ever sees it missing."""
    from kbportal.support.relay import snapshot

    sub = services.Submission(
        type="question",
        locale="en",
        values={**GOOD, "area": "billing"},
        idempotency_key="verified",
        surface="widget",
        verified_email=True,
    )
    with database.session() as session:
        services.submit(session, TYPES, sub, destinations=["webhook"])
    with database.session() as session:  # what a relay reads the moment the submit commits
        message = session.scalars(select(OutboxMessage)).one()
        doc = snapshot(message, message.request).request
    assert doc.fields == {"area": "billing", "verified_email": "yes"}
    with database.session() as session:
        plain = services.submit(session, TYPES, submission("plain"), destinations=[]).request
        assert "verified_email" not in json.loads(plain.fields)
