"""The dependencies every endpoint module shares."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.config import Settings
from sahod.db import read_session_dependency, session_dependency
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
# Endpoints that run one read take this one (with ``ReadTenant``): no transaction, so no
# BEGIN and COMMIT round trips around the read.
ReadSession = Annotated[AsyncSession, Depends(read_session_dependency, scope="function")]
AppClock = Annotated[Clock, Depends(app_clock)]
AppSettings = Annotated[Settings, Depends(app_settings)]
Page = Annotated[PageRequest, Depends(page_request)]
