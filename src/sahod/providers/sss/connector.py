"""The My.SSS connector: identities, employments, documents, contributions, liabilities
and estimated incomes, read from the member pages."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from sahod.agencies.schedules import Agency
from sahod.datapoints.kinds import DataPointKind
from sahod.providers.base import ErrorCode, FetchedRecord
from sahod.providers.html import Page
from sahod.providers.normalize import (
    PostedContribution,
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
        async with pages.together() as group:
            info = group.create_task(pages.read("member info", "/member/info", parse.identity))
            employment = group.create_task(
                pages.read("employment history", "/member/employment", parse.employments)
            )
            documents = group.create_task(
                pages.read("documents", "/member/documents", parse.documents)
            )
            first_year = group.create_task(
                pages.read("contributions", "/member/contributions", _first_year)
            )
            loan_numbers = group.create_task(
                pages.read("loans", "/member/loans", parse.loan_numbers)
            )
            years, posted = await first_year
            # The other years and the loans are asked for as soon as their lists are read,
            # not once every first page is in.
            other_pages = [
                group.create_task(
                    pages.read("contributions", "/member/contributions", _year(y), {"year": y})
                )
                for y in years
            ]
            loans = [
                group.create_task(
                    pages.read("loan details", f"/member/loans/{quote(n)}", parse.loan)
                )
                for n in await loan_numbers
            ]
        for task in other_pages:
            posted.extend(task.result())
        posted.sort(key=lambda r: r.month)
        return [
            info.result(),
            *records(DataPointKind.EMPLOYMENTS, employment.result()),
            *documents.result(),
            *contribution_records(posted),
            *liability_records([task.result() for task in loans]),
            *eincome_records(Agency.SSS, ((r.month, r.amount) for r in posted)),
        ]


def _first_year(page: Page) -> tuple[list[str], list[PostedContribution]]:
    return other_years(page), parse.contributions(page)


def _year(year: str) -> Callable[[Page], list[PostedContribution]]:
    def read(page: Page) -> list[PostedContribution]:
        rows = parse.contributions(page)
        check_year(page, rows, year)
        return rows

    return read
