"""Every member persona through every connector, over real HTTP to the sandbox portals.

The expectations come from the persona definitions (``sahod.sandbox.personas``): the
connector only ever sees the HTML the portal rendered from them, so a record that matches
the definition was really read off the page.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest

from sahod.agencies.schedules import Agency, contribution_for
from sahod.datapoints.kinds import DataPointKind as K
from sahod.kit.clock import ManualClock
from sahod.providers.base import (
    Connector,
    ConnectorError,
    Credentials,
    ErrorCode,
    FetchedRecord,
    MfaChallenge,
    PortalSession,
)
from sahod.providers.catalog import PROVIDERS_BY_ID
from sahod.sandbox.personas import PERSONAS_BY_KEY, Persona, month_end, today_in_manila

from .conftest import PORTALS_START, PROVIDERS, SetFaults, SignIn

MakeConnector = Callable[..., Connector]
TODAY = today_in_manila(PORTALS_START)
DOCUMENTED = ("george", "ryan", "christina", "anisha")


def by_kind(records: list[FetchedRecord]) -> dict[K, list[FetchedRecord]]:
    grouped: dict[K, list[FetchedRecord]] = defaultdict(list)
    for record in records:
        grouped[record.kind].append(record)
    return grouped


def check_against_persona(
    provider: str, persona: Persona, records: list[FetchedRecord], today: date = TODAY
) -> None:
    """What the member would see on the portal is what the connector returned."""
    agency = Agency(provider)
    got = by_kind(records)
    supported = set(PROVIDERS_BY_ID[provider].supported)
    assert set(got) <= supported, "a kind the seed does not list for this provider"

    (identity,) = got[K.IDENTITIES]
    who = identity.payload
    assert who["fullName"] == persona.full_name
    assert who["dob"] == persona.born.isoformat()
    assert who["gender"] == persona.gender
    assert who["referenceId"] == persona.member_number(agency)
    assert who["phones"] == [{"number": persona.mobile, "type": "Mobile"}]
    assert who["emails"] == [{"address": persona.email, "type": "Primary"}]
    addresses = who["addresses"]
    assert isinstance(addresses, list) and len(addresses) == 1
    home = addresses[0]
    assert home["zip"] == persona.address.zip
    assert str(home["city"]).lower() == persona.address.city.lower()

    employers = {
        (str(r.payload["employer"]).lower(), r.payload["startDate"]) for r in got[K.EMPLOYMENTS]
    }
    assert employers == {
        (s.employer.name.lower(), s.start.isoformat())
        for s in persona.stints(agency)
        if s.employer is not None
    }

    assert {r.reference for r in got[K.DOCUMENTS]} == {d.number for d in persona.documents(agency)}

    posted = persona.contributions(agency, today)
    if K.CONTRIBUTIONS in supported:
        assert {r.reference: r.payload["amount"] for r in got[K.CONTRIBUTIONS]} == {
            c.reference: float(c.breakdown.total) for c in posted
        }
        for record, contribution in zip(
            sorted(got[K.CONTRIBUTIONS], key=lambda r: str(r.payload["date"])),
            posted,
            strict=True,
        ):
            assert record.payload["date"] == month_end(contribution.month).isoformat()
            assert record.payload["currency"] == "PHP"
    if K.INCOMES in supported:
        assert {r.reference: r.payload["baseAmount"] for r in got[K.INCOMES]} == {
            f"{c.month:%Y-%m}": float(c.salary) for c in posted
        }

    # Each estimated income, run back through the schedule of its month, owes exactly what
    # the member paid: the estimate is consistent with the record it came from.
    paid = {f"{c.month:%Y-%m}": c.breakdown.total for c in posted}
    estimates = {r.reference: r.payload for r in got[K.EINCOMES]}
    assert set(estimates) == set(paid)
    for month, estimate in estimates.items():
        assert estimate["amount"] == estimate["baseAmount"]
        first_day = next(c.month for c in posted if f"{c.month:%Y-%m}" == month)
        income = Decimal(str(estimate["amount"]))
        assert contribution_for(agency, first_day, income).total == paid[month]

    if K.LIABILITIES in supported:
        loans = {r.reference: r.payload for r in got[K.LIABILITIES]}
        states = persona.loan_states(agency, today)
        assert set(loans) == {s.reference for s in states}
        for state in states:
            loan = loans[state.reference]
            assert loan["type"] == state.program.name
            assert loan["startDate"] == state.released.isoformat()
            assert loan["firstAmortizationDate"] == state.first_due.isoformat()
            assert loan["endDate"] == state.last_due.isoformat()
            assert loan["loanAmount"] == float(state.amount)
            assert loan["amortizationAmount"] == float(state.amortization)
            assert loan["outstandingBalance"] == float(state.outstanding)
            assert loan["nextPaymentAmount"] == float(state.next_payment)
            assert loan["overduePaymentAmount"] == float(state.overdue)
            assert loan["amortizationFrequency"] == "Monthly"
            assert loan["currency"] == "PHP"


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("key", DOCUMENTED)
async def test_documented_sandbox_user_connects_and_fetches(
    provider: str, key: str, connector_for: MakeConnector
) -> None:
    persona = PERSONAS_BY_KEY[key]
    connector = connector_for(provider)

    outcome = await connector.login(Credentials(persona.email, persona.password))

    assert isinstance(outcome, MfaChallenge), "the documented users all get a code"
    if provider in ("gsis", "pagibig"):
        assert outcome.method == "email"
        assert outcome.destination.endswith("@smileapi.io")
        assert persona.email not in outcome.destination, "the address is shown masked"
    else:
        assert outcome.method == "sms"
        assert outcome.destination.endswith(persona.mobile[-2:])
    session = await connector.submit_mfa(outcome.pending_state, "1234")
    records = await connector.fetch(session)

    check_against_persona(provider, persona, records)
    kinds = {r.kind for r in records}
    expected = set(PROVIDERS_BY_ID[provider].supported)
    if not persona.loan_states(Agency(provider), TODAY):
        expected.discard(K.LIABILITIES)
    assert kinds == expected


@pytest.mark.parametrize("login", ["33-0000000-8", "3300000008"])
async def test_george_logs_in_to_sss_with_his_ss_number(
    login: str, connector_for: MakeConnector, sign_in: SignIn
) -> None:
    connector = connector_for("sss")
    records = await connector.fetch(await sign_in(connector, login, "123456"))
    (identity,) = [r for r in records if r.kind is K.IDENTITIES]
    assert identity.reference == "3300000008"
    assert identity.payload["fullName"] == "George Cimafranca Palomero, Jr"


async def test_only_sss_takes_a_member_number(connector_for: MakeConnector) -> None:
    with pytest.raises(ConnectorError) as caught:
        await connector_for("gsis").login(Credentials("3300000008", "123456"))
    assert caught.value.code is ErrorCode.INVALID_CREDENTIALS


async def test_sss_contributions_follow_the_published_schedule(
    connector_for: MakeConnector, sign_in: SignIn
) -> None:
    connector = connector_for("sss")
    records = await connector.fetch(await sign_in(connector, "gpalomero1234@smileapi.io", "123456"))
    by_date = {r.payload["date"]: r.payload["amount"] for r in records if r.kind is K.CONTRIBUTIONS}
    # May 2017 at Globe, 32,000 a month: the 2014 table's top MSC of 16,000, 11% = 1,760.
    assert by_date["2017-05-31"] == 1760.00
    # January 2025 at Accenture: the 2025 table's top MSC of 35,000, 15% = 5,250.
    assert by_date["2025-01-31"] == 5250.00
    # Months between Globe and Accenture were never paid, so are not invented.
    assert "2021-09-30" in by_date
    assert len([d for d in by_date if str(d).startswith("2021-")]) == 12


async def test_sss_salary_loan_matches_the_seed_sample_and_overdue_shows(
    connector_for: MakeConnector, sign_in: SignIn
) -> None:
    connector = connector_for("sss")
    records = await connector.fetch(await sign_in(connector, "ryan1234@smileapi.io", "654321"))
    loans = {r.payload["type"]: r.payload for r in records if r.kind is K.LIABILITIES}

    # The Liabilities seed's sample: a 16,000 salary loan amortizes at 738.32 a month.
    salary = loans["Salary Loan"]
    assert salary["loanAmount"] == 16000.0
    assert salary["amortizationAmount"] == 738.32
    assert salary["outstandingBalance"] == 0.0
    # Ryan stopped paying his calamity loan after three installments when he left SSS.
    calamity = {k: v for k, v in loans["Calamity Loan"].items() if isinstance(v, float)}
    assert calamity["overduePaymentAmount"] > 0
    assert calamity["nextPaymentAmount"] == calamity["overduePaymentAmount"]
    assert 0 < calamity["outstandingBalance"] < calamity["loanAmount"]


@pytest.mark.parametrize("provider", ["sss", "pagibig"])
async def test_loans_are_paid_down_as_the_sandbox_clock_moves(
    provider: str,
    connector_for: MakeConnector,
    sign_in: SignIn,
    sandbox_clock: ManualClock,
) -> None:
    connector = connector_for(provider)

    async def balances_and_rows() -> tuple[dict[str, object], int]:
        records = await connector.fetch(
            await sign_in(connector, "gpalomero1234@smileapi.io", "123456")
        )
        loans = {
            r.reference: r.payload["outstandingBalance"] for r in records if r.kind is K.LIABILITIES
        }
        return loans, sum(r.kind is K.CONTRIBUTIONS for r in records)

    before, rows_before = await balances_and_rows()
    sandbox_clock.advance(timedelta(days=31))
    after, rows_after = await balances_and_rows()

    active = [ref for ref, balance in before.items() if balance]
    assert active, "George has a loan being paid down"
    for reference in active:
        assert float(str(after[reference])) < float(str(before[reference]))
    assert rows_after == rows_before + 1, "one more month's contribution got posted"


async def test_member_with_hundreds_of_contribution_rows(
    connector_for: MakeConnector, sign_in: SignIn
) -> None:
    persona = PERSONAS_BY_KEY["longtime"]
    counts = {}
    for provider in PROVIDERS:
        connector = connector_for(provider)
        records = await connector.fetch(await sign_in(connector, persona.email, persona.password))
        check_against_persona(provider, persona, records)
        counts[provider] = sum(r.kind in (K.CONTRIBUTIONS, K.INCOMES) for r in records)
    assert counts["gsis"] > 300, "premiums since 1997, a year page each"
    assert counts["pagibig"] > 190
    assert counts["sss"] > 140


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_member_with_no_loans(
    provider: str, connector_for: MakeConnector, sign_in: SignIn
) -> None:
    persona = PERSONAS_BY_KEY["noloans"]
    connector = connector_for(provider)
    records = await connector.fetch(await sign_in(connector, persona.email, persona.password))
    check_against_persona(provider, persona, records)
    assert not [r for r in records if r.kind is K.LIABILITIES]
    assert [r for r in records if r.kind is K.EINCOMES], "everything else is still there"


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_portal_without_a_one_time_code(provider: str, connector_for: MakeConnector) -> None:
    persona = PERSONAS_BY_KEY["nomfa"]
    connector = connector_for(provider)
    outcome = await connector.login(Credentials(persona.email, persona.password))
    assert isinstance(outcome, PortalSession)
    check_against_persona(provider, persona, await connector.fetch(outcome))


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_cosmetic_page_changes_do_not_change_the_records(
    provider: str,
    connector_for: MakeConnector,
    sign_in: SignIn,
    set_faults: SetFaults,
) -> None:
    connector = connector_for(provider)
    plain = await connector.fetch(await sign_in(connector, "ryan1234@smileapi.io", "654321"))

    # Reordered columns, an extra column, upper-cased headers, padded cells, <dl> items
    # wrapped in <div>s, labelled rows in another order.
    await set_faults(provider, layout_variant=1)
    restyled = await connector.fetch(await sign_in(connector, "ryan1234@smileapi.io", "654321"))

    assert restyled == plain
