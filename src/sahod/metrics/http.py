"""Counts every HTTP request by its route template (``/v1/users/{id}``, never the id
itself: a label per user would grow without end)."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sahod.metrics.process import HTTP_LATENCY, HTTP_REQUESTS

UNMATCHED = "(unmatched)"


def route_template(scope: Scope) -> str:
    """The template of the route that answered, with the prefixes of the routers and
    mounts it sits under (``/v1`` + ``/providers/{id}``): the route a router hands the
    request to may know only its own part, so the prefix is the part of the path before
    what the route's own pattern matches."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    pattern = getattr(route, "path_regex", None)
    if not isinstance(template, str) or not template:
        return UNMATCHED
    path = str(scope.get("path", ""))
    if pattern is None or pattern.match(path):
        return template
    for cut, character in enumerate(path):
        if character == "/" and cut and pattern.match(path[cut:]):
            return path[:cut] + template
    return template


class RequestMetricsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        answered_after: float | None = None

        async def send_counted(message: Message) -> None:
            nonlocal status, answered_after
            if message["type"] == "http.response.start":
                status = int(message["status"])
                answered_after = time.perf_counter() - started
            await send(message)

        try:
            await self.app(scope, receive, send_counted)
        finally:
            labels = (scope["method"], route_template(scope), str(status))
            HTTP_REQUESTS.labels(*labels).inc()
            elapsed = (
                answered_after if answered_after is not None else time.perf_counter() - started
            )
            HTTP_LATENCY.labels(*labels).observe(elapsed)
