"""The pipeline's task names, importable without importing the pipeline."""

ADVANCE = "sync.advance"
"""Move one account on from the state it is in (args: account_id, task_id)."""

MFA_DEADLINE = "sync.mfa_deadline"
"""At a one-time code's deadline, end the wait if no code came (args: account_id, task_id).

It has no procrastinate lock: a waiting job with an account's lock would hold back every
later job of that account (they run in order), and this one only reads and writes the
database, under the account's row lock."""

RECOVER_STALLED = "sync.recover_stalled"
"""Put the jobs of workers that stopped sending heartbeats back in the queue."""

START_UPDATE = "sync.start_update"
"""Open an UPDATE_ACCOUNT task for a connected account and run it (args: account_id,
monthly). At most one waits per account (queueing lock ``sync:<account id>``)."""

SCAN_DUE = "cds.scan_due"
"""Every minute: find the accounts whose monthly sync is due and queue them."""


def sync_queueing_lock(account_id: str) -> str:
    return f"sync:{account_id}"
