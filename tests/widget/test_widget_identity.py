"""identify(): the host's server signs the e-mail; only a matching HMAC makes it verified."""

from __future__ import annotations

import hashlib
import hmac

from kbportal.widget.identity import identity, sign_email, verify


def test_the_documented_recipe_matches() -> None:
    # What docs/widget.md tells the host's server to compute, in any language.
    expected = hmac.new(b"s3cret", b"ann@example.com", hashlib.sha256).hexdigest()
    assert sign_email("s3cret", " Ann@Example.com ") == expected
    assert verify("s3cret", "ann@example.com", expected.upper())


def test_a_wrong_or_missing_signature_is_not_verified() -> None:
    good = sign_email("s3cret", "ann@example.com")
    assert not verify("s3cret", "bob@example.com", good)
    assert not verify("other", "ann@example.com", good)
    assert not verify("s3cret", "ann@example.com", None)
    assert not verify("", "ann@example.com", sign_email("", "ann@example.com"))  # no secret
    person = identity("s3cret", " Ann ", "ann@example.com", good)
    assert person.verified and person.name == "Ann"
    assert not identity("s3cret", "Ann", "ann@example.com", "00").verified
