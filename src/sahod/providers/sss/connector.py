"""The My.SSS connector: identities, employments, documents, contributions, liabilities
and estimated incomes, read from the member pages."""

from __future__ import annotations

from urllib.parse import quote

from sahod.agencies.schedules import Agency
from sahod.datapoints.kinds import DataPointKind
from sahod.providers.base import ErrorCode, FetchedRecord
from sahod.providers.normalize import (
    check_year,
    contribution_records,
    eincome_records,
    liability_records,
    other_years,
)
from sahod.providers.portal import MemberPages, PortalConnector, PortalRoutes, records
from sahod.providers.sss import parse


class SssConnector(PortalConnector):
    provider_id = "sss"
    routes = PortalRoutes(
        login="/login",
        otp="/login/otp",
        home="/member/dashboard",
        interstitials={
            "/account/complete-registration": ErrorCode.ACCOUNT_INCOMPLETE,
            "/account/change-password": ErrorCode.EXPIRED_CREDENTIALS,
            "/account/terms": ErrorCode.TOS_REQUIRED,
            "/login/mobile-app": ErrorCode.UNSUPPORTED_AUTH_TYPE,
        },
    )
    login_phrases = (
        ("deactivated", ErrorCode.ACCOUNT_DISABLED),
        ("cannot be accessed", ErrorCode.ACCOUNT_INACCESSIBLE),
        ("locked", ErrorCode.ACCOUNT_LOCKED),
        ("enter your user id and password", ErrorCode.AUTH_REQUIRED),
        ("employer account", ErrorCode.INVALID_ACCOUNT_TYPE),
        ("invalid user id or password", ErrorCode.INVALID_CREDENTIALS),
    )
    otp_phrases = (
        ("expired", ErrorCode.MFA_TIMEOUT),
        ("invalid otp", ErrorCode.INVALID_MFA),
    )
    device_cookie = "SSS_TRUSTED_DEVICE"

    async def collect(self, pages: MemberPages) -> list[FetchedRecord]:
        info, employment, first_year, loan_list, documents = await pages.gather(
            [
                pages.get("member info", "/member/info"),
                pages.get("employment history", "/member/employment"),
                pages.get("contributions", "/member/contributions"),
                pages.get("loans", "/member/loans"),
                pages.get("documents", "/member/documents"),
            ]
        )
        years = other_years(first_year)
        loan_numbers = parse.loan_numbers(loan_list)
        more = await pages.gather(
            [
                *(pages.get("contributions", "/member/contributions", {"year": y}) for y in years),
                *(pages.get("loan details", f"/member/loans/{quote(n)}") for n in loan_numbers),
            ]
        )
        posted = parse.contributions(first_year)
        for year, page in zip(years, more, strict=False):
            rows = parse.contributions(page)
            check_year(page, rows, year)
            posted.extend(rows)
        posted.sort(key=lambda r: r.month)
        loans = [parse.loan(page) for page in more[len(years) :]]
        return [
            parse.identity(info),
            *records(DataPointKind.EMPLOYMENTS, parse.employments(employment)),
            *parse.documents(documents),
            *contribution_records(posted),
            *liability_records(loans),
            *eincome_records(Agency.SSS, ((r.month, r.amount) for r in posted)),
        ]
