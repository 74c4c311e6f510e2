"""The My PhilHealth Portal connector: identities, employments, documents, contributions
(premium payments) and estimated incomes."""

from __future__ import annotations

from sahod.agencies.schedules import Agency
from sahod.datapoints.kinds import DataPointKind
from sahod.providers.base import ErrorCode, FetchedRecord
from sahod.providers.normalize import (
    as_posted,
    contribution_records,
    eincome_records,
    year_paged_history,
)
from sahod.providers.philhealth import parse
from sahod.providers.portal import MemberPages, PortalConnector, PortalRoutes, records


class PhilhealthConnector(PortalConnector):
    provider_id = "philhealth"
    routes = PortalRoutes(
        login="/member/login",
        otp="/member/login/verify",
        home="/member/home",
        interstitials={
            "/member/registration/complete": ErrorCode.ACCOUNT_INCOMPLETE,
            "/member/password/expired": ErrorCode.EXPIRED_CREDENTIALS,
            "/member/privacy-consent": ErrorCode.TOS_REQUIRED,
            "/member/login/philsys": ErrorCode.UNSUPPORTED_AUTH_TYPE,
        },
    )
    login_phrases = (
        ("is disabled", ErrorCode.ACCOUNT_DISABLED),
        ("cannot be accessed", ErrorCode.ACCOUNT_INACCESSIBLE),
        ("temporarily locked", ErrorCode.ACCOUNT_LOCKED),
        ("password are required", ErrorCode.AUTH_REQUIRED),
        ("employer accounts", ErrorCode.INVALID_ACCOUNT_TYPE),
        ("incorrect email address or password", ErrorCode.INVALID_CREDENTIALS),
    )
    otp_phrases = (
        ("has expired", ErrorCode.MFA_TIMEOUT),
        ("incorrect", ErrorCode.INVALID_MFA),
    )
    alert_selector = ".message-error, [role=alert]"
    device_cookie = "phic_trusted"

    async def collect(self, pages: MemberPages) -> list[FetchedRecord]:
        async with pages.together() as group:
            mdr = group.create_task(pages.read("member data record", "/member/mdr", parse.identity))
            employers = group.create_task(
                pages.read("employers", "/member/employers", parse.employments)
            )
            history = group.create_task(
                year_paged_history(
                    pages, "premium contributions", "/member/premiums", parse.premiums, as_posted
                )
            )
            documents = group.create_task(
                pages.read("documents", "/member/documents", parse.documents)
            )
        posted = sorted(history.result(), key=lambda r: r.month)
        return [
            mdr.result(),
            *records(DataPointKind.EMPLOYMENTS, employers.result()),
            *documents.result(),
            *contribution_records(posted),
            *eincome_records(Agency.PHILHEALTH, ((r.month, r.amount) for r in posted)),
        ]
