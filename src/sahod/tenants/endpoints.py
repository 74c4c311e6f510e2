"""How a tenant proves who it is: HTTP Basic ``apiKey:apiSecret`` on everything under /v1."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBasic
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sahod.db import session_dependency
from sahod.errors import InvalidToken
from sahod.kit import logs
from sahod.tenants.schemas import TenantContext
from sahod.tenants.service import Authenticator

# Declared for the OpenAPI document (the security scheme); the check below is our own,
# so that a missing or malformed header is the Smile 401 INVALID_TOKEN, not FastAPI's.
basic_scheme = HTTPBasic(auto_error=False, description="apiKey as username, apiSecret as password")


def _basic_credentials(request: Request) -> tuple[str, str]:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        raise InvalidToken("Send the API key and secret as HTTP Basic credentials.")
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidToken("The Authorization header is not valid HTTP Basic.") from None
    api_key, sep, api_secret = decoded.partition(":")
    if not sep or not api_key or not api_secret:
        raise InvalidToken("The Authorization header is not valid HTTP Basic.")
    return api_key, api_secret


async def _authenticated(request: Request, session: AsyncSession) -> TenantContext:
    api_key, api_secret = _basic_credentials(request)
    authenticator: Authenticator = request.app.state.authenticator
    tenant = await authenticator.authenticate(session, api_key, api_secret)
    if tenant is None:
        raise InvalidToken("The API key or secret is wrong.")
    logs.bind_tenant(tenant.id)
    return tenant


async def current_tenant(
    request: Request,
    session: Annotated[AsyncSession, Depends(session_dependency, scope="function")],
    _declared: Annotated[object, Depends(basic_scheme)] = None,
) -> TenantContext:
    return await _authenticated(request, session)


async def reading_tenant(
    request: Request, _declared: Annotated[object, Depends(basic_scheme)] = None
) -> TenantContext:
    """``current_tenant`` for endpoints that take a ``ReadConnection`` and no session:
    credentials verified in the last seconds need no database; others open a session for
    the lookup."""
    api_key, api_secret = _basic_credentials(request)
    authenticator: Authenticator = request.app.state.authenticator
    tenant = authenticator.cached(api_key, api_secret)
    if tenant is not None:
        return tenant
    factory: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    async with factory() as session:
        return await _authenticated(request, session)


Tenant = Annotated[TenantContext, Depends(current_tenant)]
ReadTenant = Annotated[TenantContext, Depends(reading_tenant)]
"""The tenant of a read-only endpoint, one that takes ``sahod.kit.deps.ReadConnection``."""
