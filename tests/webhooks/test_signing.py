"""Signatures and ``sahod.webhooks.verify``, checked against independent implementations:
the ``standardwebhooks`` reference library, and a plain hmac/hashlib SHA-512."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest
from standardwebhooks import Webhook as StandardWebhook

from sahod.webhooks import WebhookVerificationError, verify
from sahod.webhooks.signing import signature_headers, standard_key

BODY = (
    b'{"id":"et-1","version":1,"type":"USER_CREATED","createdAt":"2026-11-02T01:00:00Z","data":{}}'
)
NOW = 1_795_000_000


def headers(secret: str | list[str], *, at: int = NOW, body: bytes = BODY) -> dict[str, str]:
    keys = [secret] if isinstance(secret, str) else secret
    return signature_headers(body, "et-1", at, keys)


@pytest.mark.parametrize(
    "secret",
    [
        "a little secret",
        "whsec_" + base64.b64encode(b"\x00\x01" * 16).decode(),
        "whsec_" + base64.b64encode(b"k" * 24).decode().rstrip("="),
        "ünïcödé 🔑",
    ],
)
def test_both_signatures_match_independent_implementations(secret: str) -> None:
    signed = headers(secret, at=int(time.time()))
    # Smile: lowercase hex HMAC-SHA512 of the raw body, keyed with the secret string.
    expected = hmac.new(secret.encode(), BODY, hashlib.sha512).hexdigest()
    assert signed["Smile-Signature"] == expected
    # Standard Webhooks, by the reference library: a whsec_ string it decodes itself;
    # any other secret is handed over as its bytes.
    library = StandardWebhook(secret if secret.startswith("whsec_") else secret.encode())
    assert library.verify(BODY, signed) == verify(BODY, signed, secret)
    assert signed["webhook-id"] == "et-1"
    assert signed["webhook-signature"].startswith("v1,")


def test_the_standard_key_is_the_base64_after_whsec() -> None:
    assert standard_key("plain") == b"plain"
    assert standard_key("whsec_" + base64.b64encode(b"key!").decode()) == b"key!"
    for bad in ("whsec_", "whsec_!!!!", "whsec_abc$"):
        with pytest.raises(ValueError, match="whsec_"):
            standard_key(bad)


def test_verify_refuses_stale_and_future_timestamps() -> None:
    signed = headers("s3cret")
    assert verify(BODY, signed, "s3cret", now=NOW + 299)["id"] == "et-1"
    with pytest.raises(WebhookVerificationError, match="tolerance"):
        verify(BODY, signed, "s3cret", now=NOW + 301)
    with pytest.raises(WebhookVerificationError, match="tolerance"):
        verify(BODY, signed, "s3cret", now=NOW - 301)
    assert verify(BODY, signed, "s3cret", now=NOW + 3000, tolerance_seconds=3600)


def test_verify_refuses_what_was_tampered_with() -> None:
    signed = headers("s3cret")
    with pytest.raises(WebhookVerificationError, match="no webhook-signature"):
        verify(BODY + b" ", signed, "s3cret", now=NOW)
    with pytest.raises(WebhookVerificationError, match="no webhook-signature"):
        verify(BODY, signed, "another", now=NOW)
    # A replay with a fresh timestamp header does not carry a matching signature.
    replayed = signed | {"webhook-timestamp": str(NOW + 1000)}
    with pytest.raises(WebhookVerificationError, match="no webhook-signature"):
        verify(BODY, replayed, "s3cret", now=NOW + 1000)
    other_id = signed | {"webhook-id": "et-2"}
    with pytest.raises(WebhookVerificationError):
        verify(BODY, other_id, "s3cret", now=NOW)
    smile_forged = signed | {"Smile-Signature": "00" * 64}
    with pytest.raises(WebhookVerificationError, match="Smile-Signature"):
        verify(BODY, smile_forged, "s3cret", now=NOW)
    for name in ("webhook-id", "webhook-timestamp", "webhook-signature"):
        partial = {k: v for k, v in signed.items() if k != name and k != "Smile-Signature"}
        with pytest.raises(WebhookVerificationError, match="missing"):
            verify(BODY, partial, "s3cret", now=NOW)
    with pytest.raises(WebhookVerificationError, match="Unix time"):
        verify(BODY, signed | {"webhook-timestamp": "soon"}, "s3cret", now=NOW)


def test_header_names_are_case_insensitive_and_str_bodies_work() -> None:
    signed = {k.upper(): v for k, v in headers("s3cret").items()}
    assert verify(BODY.decode(), signed, "s3cret", now=NOW)["type"] == "USER_CREATED"


def test_a_smile_signature_alone_needs_an_explicit_opt_in() -> None:
    smile_only = {"Smile-Signature": headers("s3cret")["Smile-Signature"]}
    with pytest.raises(WebhookVerificationError, match="replay"):
        verify(BODY, smile_only, "s3cret")
    assert verify(BODY, smile_only, "s3cret", require_timestamp=False)["id"] == "et-1"
    with pytest.raises(WebhookVerificationError, match="Smile-Signature"):
        verify(BODY, smile_only, "wrong", require_timestamp=False)
    with pytest.raises(WebhookVerificationError, match="missing"):
        verify(BODY, {}, "s3cret")


def test_during_a_rotation_either_secret_verifies() -> None:
    signed = headers(["new-secret", "old-secret"])
    assert len(signed["webhook-signature"].split(" ")) == 2
    # The Smile-Signature is the new secret's; a receiver on the old one relies on the
    # Standard Webhooks signature, which both secrets made.
    assert signed["Smile-Signature"] == hmac.new(b"new-secret", BODY, hashlib.sha512).hexdigest()
    verify(BODY, signed, "new-secret", now=NOW)
    verify(BODY, signed, "old-secret", now=NOW)
    with pytest.raises(WebhookVerificationError):
        verify(BODY, signed, "neither", now=NOW)


def test_the_body_must_be_a_json_object() -> None:
    for body in (b"[1]", b"not json"):
        with pytest.raises(WebhookVerificationError, match="JSON"):
            verify(body, headers("s3cret", body=body), "s3cret", now=NOW)
