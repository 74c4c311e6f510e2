"""Signing webhook bodies, and checking them on the receiving side.

Every delivery carries two signatures of the same raw body:

* ``Smile-Signature``: lowercase hex HMAC-SHA512 of the body, keyed with the secret's
  UTF-8 bytes, exactly as the Smile API signs (an integration written for Smile checks it
  unchanged). It has no timestamp, so it does not stop a replay.
* the Standard Webhooks headers (https://www.standardwebhooks.com): ``webhook-id`` (the
  event id, the same on every retry), ``webhook-timestamp`` (Unix seconds of this attempt)
  and ``webhook-signature``: ``v1,`` + base64 HMAC-SHA256 of ``id.timestamp.body``. A
  receiver that refuses old timestamps and remembers ids is safe from replays.

The HMAC-SHA256 key follows the Standard Webhooks convention: a secret that starts with
``whsec_`` is the base64 of the key (``whsec_`` + base64 of 32 random bytes is the form
those libraries generate), so the key is the decoded remainder; any other secret (such as
a Smile-era ``"a little secret"``) is used as its UTF-8 bytes. With the ``standardwebhooks``
library that is ``Webhook(secret)`` for a ``whsec_`` secret, ``Webhook(secret.encode())``
otherwise. The Smile signature always uses the secret string itself.

During a secret rotation both the new and the old secret sign ``webhook-signature``
(space-separated, new first) for a grace period; ``Smile-Signature`` uses the new one.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import time
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
DEFAULT_TOLERANCE_SECONDS = 300

SMILE_SIGNATURE = "Smile-Signature"
WEBHOOK_ID = "webhook-id"
WEBHOOK_TIMESTAMP = "webhook-timestamp"
WEBHOOK_SIGNATURE = "webhook-signature"


class WebhookVerificationError(ValueError):
    """The request is not a genuine, fresh Sahod webhook; the message says why."""


def standard_key(secret: str) -> bytes:
    """The HMAC-SHA256 key of the Standard Webhooks signature (see the module docstring)."""
    if secret.startswith(SECRET_PREFIX):
        encoded = secret[len(SECRET_PREFIX) :]
        try:
            key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("a secret starting with whsec_ must be base64 after it") from None
        if not key:
            raise ValueError("a secret starting with whsec_ must hold a key after it")
        return key
    return secret.encode()


def smile_signature(body: bytes, secret: str) -> str:
    return _smile_signature(body, secret.encode())


def _smile_signature(body: bytes, key: bytes) -> str:
    return hmac.digest(key, body, "sha512").hex()


def standard_signature(message_id: str, timestamp: int, body: bytes, secret: str) -> str:
    keyed = hmac.new(standard_key(secret), digestmod="sha256")
    return _standard_signature(keyed, _standard_content(message_id, timestamp, body))


def _standard_content(message_id: str, timestamp: int, body: bytes) -> bytes:
    """What ``webhook-signature`` signs: ``id.timestamp.body``."""
    return b"%s.%d.%s" % (message_id.encode(), timestamp, body)


def _standard_signature(keyed: hmac.HMAC, content: bytes) -> str:
    """``v1,`` + base64 HMAC-SHA256 of ``content``, continuing a copy of ``keyed`` (an HMAC
    that has taken its key and nothing else)."""
    mac = keyed.copy()
    mac.update(content)
    return "v1," + base64.b64encode(mac.digest()).decode()


class Signer:
    """Signs attempts with one webhook's secrets (the current one, then any old one): a
    batch's deliveries share it. Each key is set up once, as an HMAC that has taken its key
    and nothing else, and each signature continues a copy of it: measured inside a loop of
    sends, the two signatures of a delivery went from about 40 to 30 us of CPU (the key's
    own hashing, redone by every one-shot ``hmac.digest``, came out of every delivery)."""

    __slots__ = ("_smile", "_standard")

    def __init__(self, secrets: Iterable[str]) -> None:
        keys = list(secrets)
        if not keys:
            raise ValueError("at least one secret signs")
        self._smile = hmac.new(keys[0].encode(), digestmod="sha512")
        self._standard = [hmac.new(standard_key(key), digestmod="sha256") for key in keys]

    def headers(self, body: bytes, message_id: str, timestamp: int) -> dict[str, str]:
        """The signing headers of one attempt."""
        smile = self._smile.copy()
        smile.update(body)
        content = _standard_content(message_id, timestamp, body)
        return {
            SMILE_SIGNATURE: smile.hexdigest(),
            WEBHOOK_ID: message_id,
            WEBHOOK_TIMESTAMP: str(timestamp),
            WEBHOOK_SIGNATURE: " ".join(
                _standard_signature(keyed, content) for keyed in self._standard
            ),
        }


def signature_headers(
    body: bytes, message_id: str, timestamp: int, secrets: Iterable[str]
) -> dict[str, str]:
    """The signing headers of one attempt; ``secrets`` is the current one, then any old one."""
    return Signer(secrets).headers(body, message_id, timestamp)


def verify(
    body: bytes | str,
    headers: Mapping[str, str],
    secret: str,
    *,
    tolerance_seconds: float = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
    require_timestamp: bool = True,
) -> dict[str, Any]:
    """Check a webhook Sahod sent, and return its parsed body.

    ``body`` must be the raw bytes as received (not re-serialized JSON). Checks the
    Standard Webhooks signature and that ``webhook-timestamp`` is within
    ``tolerance_seconds`` of now, which is what stops a replay (also remember the
    ``webhook-id`` values you have handled, to drop a duplicate delivery), and the
    Smile-Signature when it was made with the same secret: during a rotation it is the new
    secret's alone, so a receiver still on the old secret is checked on webhook-signature.

    A request with only a Smile-Signature (no timestamp, so no replay protection) is
    accepted only with ``require_timestamp=False``. Raises ``WebhookVerificationError``
    saying what failed.
    """
    raw = body.encode() if isinstance(body, str) else bytes(body)
    lowered = {name.lower(): value for name, value in headers.items()}
    message_id = lowered.get(WEBHOOK_ID)
    timestamp_text = lowered.get(WEBHOOK_TIMESTAMP)
    signatures = lowered.get(WEBHOOK_SIGNATURE)
    smile = lowered.get(SMILE_SIGNATURE.lower())
    if message_id and timestamp_text and signatures:
        matched = _check_standard(
            raw, message_id, timestamp_text, signatures, secret, now, tolerance_seconds
        )
        # Only the first signature is the current secret's, as Smile-Signature is.
        if smile is not None and matched == 0:
            _check_smile(raw, smile, secret)
    elif smile is not None and not require_timestamp:
        _check_smile(raw, smile, secret)
    elif smile is not None:
        raise WebhookVerificationError(
            "only a Smile-Signature, which has no timestamp and so no replay protection; "
            "pass require_timestamp=False to accept it"
        )
    else:
        raise WebhookVerificationError(
            "missing webhook-id, webhook-timestamp or webhook-signature header"
        )
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise WebhookVerificationError("the body is not JSON") from None
    if not isinstance(parsed, dict):
        raise WebhookVerificationError("the body is not a JSON object")
    return parsed


def _check_standard(
    raw: bytes,
    message_id: str,
    timestamp_text: str,
    signatures: str,
    secret: str,
    now: float | None,
    tolerance_seconds: float,
) -> int:
    """The position of the signature that matches; raises when none does."""
    try:
        timestamp = int(timestamp_text)
    except ValueError:
        raise WebhookVerificationError("webhook-timestamp is not a Unix time in seconds") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_seconds:
        raise WebhookVerificationError(
            f"webhook-timestamp is {current - timestamp:+.0f} s from now, beyond the "
            f"tolerance of {tolerance_seconds:.0f} s (a replay, or a wrong clock)"
        )
    try:
        expected = standard_signature(message_id, timestamp, raw, secret).encode()
    except ValueError as error:
        raise WebhookVerificationError(str(error)) from None
    for position, offered in enumerate(signatures.split(" ")):
        if offered and hmac.compare_digest(expected, offered.encode()):
            return position
    raise WebhookVerificationError("no webhook-signature matches this secret and body")


def _check_smile(raw: bytes, offered: str, secret: str) -> None:
    expected = smile_signature(raw, secret).encode()
    if not hmac.compare_digest(expected, offered.strip().lower().encode()):
        raise WebhookVerificationError("Smile-Signature does not match this secret and body")
