"""The My PhilHealth Portal connector: identities, employments, documents, contributions
(premium payments) and estimated incomes."""

from __future__ import annotations

from sahod.agencies.schedules import Agency
from sahod.datapoints.kinds import DataPointKind
from sahod.providers.base import ErrorCode, FetchedRecord
from sahod.providers.normalize import check_year, contribution_records, eincome_records, other_years
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
        mdr, employers, first_year, documents = await pages.gather(
            [
                pages.get("member data record", "/member/mdr"),
                pages.get("employers", "/member/employers"),
                pages.get("premium contributions", "/member/premiums"),
                pages.get("documents", "/member/documents"),
            ]
        )
        years = other_years(first_year)
        more = await pages.gather(
            pages.get("premium contributions", "/member/premiums", {"year": y}) for y in years
        )
        posted = parse.premiums(first_year)
        for year, page in zip(years, more, strict=True):
            rows = parse.premiums(page)
            check_year(page, rows, year)
            posted.extend(rows)
        posted.sort(key=lambda r: r.month)
        return [
            parse.identity(mdr),
            *records(DataPointKind.EMPLOYMENTS, parse.employments(employers)),
            *parse.documents(documents),
            *contribution_records(posted),
            *eincome_records(Agency.PHILHEALTH, ((r.month, r.amount) for r in posted)),
        ]
