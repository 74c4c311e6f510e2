"""The Virtual Pag-IBIG connector: identities, employments, documents, contributions
(membership savings), liabilities (the loan cards) and estimated incomes."""

from __future__ import annotations

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
        profile, employment, first_year, loans, documents = await pages.gather(
            [
                pages.get("profile", "/vp/profile"),
                pages.get("employment history", "/vp/employment"),
                pages.get("membership savings", "/vp/savings"),
                pages.get("loans", "/vp/loans"),
                pages.get("documents", "/vp/documents"),
            ]
        )
        years = other_years(first_year)
        more = await pages.gather(
            pages.get("membership savings", "/vp/savings", {"year": y}) for y in years
        )
        posted = parse.savings(first_year)
        for year, page in zip(years, more, strict=True):
            rows = parse.savings(page)
            check_year(page, rows, year)
            posted.extend(rows)
        posted.sort(key=lambda r: r.month)
        return [
            parse.identity(profile),
            *records(DataPointKind.EMPLOYMENTS, parse.employments(employment)),
            *parse.documents(documents),
            *contribution_records(posted),
            *liability_records(parse.loans(loans)),
            *eincome_records(Agency.PAGIBIG, ((r.month, r.amount) for r in posted)),
        ]
