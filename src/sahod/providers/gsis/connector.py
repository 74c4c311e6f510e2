"""The eGSIS Member Online connector: identities, employments, documents, incomes (the
basic salary behind each premium) and estimated incomes (read back from the premiums)."""

from __future__ import annotations

from sahod.agencies.schedules import Agency
from sahod.datapoints.kinds import DataPointKind
from sahod.providers.base import ErrorCode, FetchedRecord
from sahod.providers.gsis import parse
from sahod.providers.normalize import eincome_records, year_paged_history
from sahod.providers.portal import MemberPages, PortalConnector, PortalRoutes, records


class GsisConnector(PortalConnector):
    provider_id = "gsis"
    routes = PortalRoutes(
        login="/mo/signin",
        otp="/mo/signin/verify",
        home="/mo/home",
        interstitials={
            "/mo/account/activate": ErrorCode.ACCOUNT_INCOMPLETE,
            "/mo/account/password-expired": ErrorCode.EXPIRED_CREDENTIALS,
            "/mo/account/consent": ErrorCode.TOS_REQUIRED,
            "/mo/signin/ecard": ErrorCode.UNSUPPORTED_AUTH_TYPE,
        },
    )
    login_phrases = (
        ("has been disabled", ErrorCode.ACCOUNT_DISABLED),
        ("access to this account is restricted", ErrorCode.ACCOUNT_INACCESSIBLE),
        ("account locked", ErrorCode.ACCOUNT_LOCKED),
        ("fields are required", ErrorCode.AUTH_REQUIRED),
        ("agency (employer) accounts", ErrorCode.INVALID_ACCOUNT_TYPE),
        ("e-mail address or password is incorrect", ErrorCode.INVALID_CREDENTIALS),
    )
    otp_phrases = (
        ("has expired", ErrorCode.MFA_TIMEOUT),
        ("incorrect verification code", ErrorCode.INVALID_MFA),
        ("verification failed", ErrorCode.INVALID_MFA),
    )
    alert_selector = ".validation-summary-errors, [role=alert]"
    device_cookie = "egsis_device"

    async def collect(self, pages: MemberPages) -> list[FetchedRecord]:
        async with pages.together() as group:
            profile = group.create_task(pages.read("profile", "/mo/member/profile", parse.identity))
            service = group.create_task(
                pages.read("service record", "/mo/member/service-record", parse.employments)
            )
            history = group.create_task(
                year_paged_history(
                    pages,
                    "premium history",
                    "/mo/member/premiums",
                    parse.premiums,
                    lambda p: p.contribution,
                )
            )
            documents = group.create_task(
                pages.read("documents", "/mo/member/documents", parse.documents)
            )
        premiums = sorted(history.result(), key=lambda p: p.contribution.month)
        return [
            profile.result(),
            *records(DataPointKind.EMPLOYMENTS, service.result()),
            *documents.result(),
            *records(DataPointKind.INCOMES, (parse.income(p) for p in premiums)),
            *eincome_records(
                Agency.GSIS, ((p.contribution.month, p.contribution.amount) for p in premiums)
            ),
        ]
