"""Webhooks: subscriptions, signed deliveries with retries, and ``verify`` for receivers."""

from sahod.webhooks.signing import WebhookVerificationError, verify

__all__ = ["WebhookVerificationError", "verify"]
