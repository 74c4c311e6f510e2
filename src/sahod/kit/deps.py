"""The dependencies every endpoint module shares."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.config import Settings
from sahod.db import DriverConnection, read_connection_dependency, session_dependency
from sahod.kit.clock import Clock
from sahod.kit.pagination import PageRequest, page_request


def app_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


def app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


# scope="function": the commit runs when the endpoint returns, before the response is
# sent, so a client never sees a success whose commit then failed.
Session = Annotated[AsyncSession, Depends(session_dependency, scope="function")]
# Endpoints that run one read take this (with ``ReadTenant``) instead of a session: the
# driver's connection, no transaction around the read (see sahod.db.ReadPool).
ReadConnection = Annotated[DriverConnection, Depends(read_connection_dependency, scope="function")]
AppClock = Annotated[Clock, Depends(app_clock)]
AppSettings = Annotated[Settings, Depends(app_settings)]
Page = Annotated[PageRequest, Depends(page_request)]
UserIdFilter = Annotated[
    str | None, Query(alias="userId", max_length=200, description="Only this user's items.")
]
"""A list's ``userId`` filter."""
