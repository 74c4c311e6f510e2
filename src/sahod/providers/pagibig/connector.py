"""The Virtual Pag-IBIG connector: identities, employments, documents, contributions
(membership savings), liabilities (the loan cards) and estimated incomes."""

from __future__ import annotations

from sahod.agencies.schedules import Agency
from sahod.datapoints.kinds import DataPointKind
from sahod.providers.base import ErrorCode, FetchedRecord
from sahod.providers.normalize import (
    as_posted,
    contribution_records,
    eincome_records,
    liability_records,
    year_paged_history,
)
from sahod.providers.pagibig import parse
from sahod.providers.portal import MemberPages, PortalConnector, PortalRoutes, records


class PagibigConnector(PortalConnector):
    provider_id = "pagibig"
    routes = PortalRoutes(
        login="/vp/login",
        otp="/vp/login/otp",
        home="/vp/dashboard",
        interstitials={
            "/vp/register/finish": ErrorCode.ACCOUNT_INCOMPLETE,
            "/vp/password/renew": ErrorCode.EXPIRED_CREDENTIALS,
            "/vp/terms": ErrorCode.TOS_REQUIRED,
            "/vp/login/qr": ErrorCode.UNSUPPORTED_AUTH_TYPE,
        },
    )
    login_phrases = (
        ("has been deactivated", ErrorCode.ACCOUNT_DISABLED),
        ("cannot open your account", ErrorCode.ACCOUNT_INACCESSIBLE),
        ("account is locked", ErrorCode.ACCOUNT_LOCKED),
        ("can't be blank", ErrorCode.AUTH_REQUIRED),
        ("employer accounts", ErrorCode.INVALID_ACCOUNT_TYPE),
        ("invalid email or password", ErrorCode.INVALID_CREDENTIALS),
    )
    otp_phrases = (
        ("has expired", ErrorCode.MFA_TIMEOUT),
        ("wrong otp", ErrorCode.INVALID_MFA),
    )
    alert_selector = ".notice-error, [role=alert]"
    device_cookie = "vp_device"

    async def collect(self, pages: MemberPages) -> list[FetchedRecord]:
        async with pages.together() as group:
            profile = group.create_task(pages.read("profile", "/vp/profile", parse.identity))
            employment = group.create_task(
                pages.read("employment history", "/vp/employment", parse.employments)
            )
            history = group.create_task(
                year_paged_history(
                    pages, "membership savings", "/vp/savings", parse.savings, as_posted
                )
            )
            loans = group.create_task(pages.read("loans", "/vp/loans", parse.loans))
            documents = group.create_task(pages.read("documents", "/vp/documents", parse.documents))
        posted = sorted(history.result(), key=lambda r: r.month)
        return [
            profile.result(),
            *records(DataPointKind.EMPLOYMENTS, employment.result()),
            *documents.result(),
            *contribution_records(posted),
            *liability_records(loans.result()),
            *eincome_records(Agency.PAGIBIG, ((r.month, r.amount) for r in posted)),
        ]
