"""Fan-out of a change's events: every webhook gets each event it wants, in the events'
order, from one look-up of the subscribers however many events the change emits."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from sahod.db import session_scope
from sahod.events.service import emit_many
from tests.webhooks.conftest import Env
from tests.webhooks.receiver import Receiver

EnvFactory = Callable[..., AbstractAsyncContextManager[Env]]

STEP = [
    ("ACCOUNT_CREATED", {"accountId": "ac-1"}),
    ("TASK_STARTED", {"taskId": "tk-1"}),
    ("ACCOUNT_CONNECTED", {"accountId": "ac-1"}),
    ("ACCOUNT_FAILED", {"accountId": "ac-1"}),
    ("ARCHIVE_STARTED", {"archiveId": "ar-1"}),
    ("ARCHIVE_ANALYZED", {"archiveId": "ar-1"}),
    ("ACCOUNT_DISCONNECTED", {"accountId": "ac-1"}),
]


@contextmanager
def subscriber_queries(engine: AsyncEngine) -> Iterator[list[str]]:
    """The statements that read webhooks (the subscribers), while the block runs."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if "FROM webhooks" in statement:
            seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", note)


async def test_a_step_of_seven_events_to_two_webhooks_reads_the_subscribers_once(
    delivery_env: EnvFactory,
) -> None:
    async with delivery_env() as env, Receiver() as receiver:
        tenant = await env.tenant()
        first = await tenant.create_webhook(f"{receiver.url}/a", "secret a")
        second = await tenant.create_webhook(f"{receiver.url}/b", "secret b")
        # Wants one of the seven: one delivery, of that event.
        picky = await tenant.create_webhook(
            f"{receiver.url}/c", "secret c", eventTypes=["ARCHIVE_ANALYZED"]
        )
        with subscriber_queries(env.runtime.engine) as queries:
            async with session_scope(env.runtime.session_factory) as session:
                events = await emit_many(session, tenant.id, STEP, env.runtime.clock.now())
        assert len(queries) == 1

        ids = [e.id for e in events]
        for webhook in (first, second):
            found = await env.settled(
                webhook["id"], lambda d: len(d) == 7 and all(x.status == "SUCCEEDED" for x in d)
            )
            assert [d.event_id for d in found] == ids
            assert [d.event_type for d in found] == [t for t, _ in STEP]
        (only,) = await env.settled(picky["id"], lambda d: len(d) == 1)
        assert only.event_id == ids[STEP.index(("ARCHIVE_ANALYZED", {"archiveId": "ar-1"}))]
        posts = await receiver.wait_for(lambda p: len(p) == 15)

    by_path: dict[str, list[str]] = {}
    for post in posts:
        by_path.setdefault(post.path, []).append(post.event_id)
    assert sorted(by_path["/a"]) == sorted(ids) == sorted(by_path["/b"])
    assert by_path["/c"] == [only.event_id]
    # The same body to both webhooks, each event's own.
    bodies = {(p.path, p.event_id): p.body for p in posts}
    assert all(bodies["/a", i] == bodies["/b", i] for i in ids)
