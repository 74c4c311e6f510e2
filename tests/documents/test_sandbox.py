"""The sandbox documents agree with what the sandbox portals say about the same persona,
and are the same bytes in every process (a tenant's test can pin their digests)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from datetime import date

import pytest

from sahod.agencies.schedules import Agency
from sahod.documents.sandbox import (
    current_stint,
    documents_for,
    payslip_facts,
    sandbox_personas,
    tax_certificate_facts,
)
from sahod.sandbox.personas import PERSONAS_BY_KEY, Sector

# The portals have posted October's contributions by the first of December.
TODAY = date(2026, 12, 1)
MONTH = date(2026, 10, 1)


@pytest.mark.parametrize("key", [p.key for p in sandbox_personas()])
def test_a_payslip_deducts_what_the_portals_posted(key: str) -> None:
    persona = PERSONAS_BY_KEY[key]
    facts = payslip_facts(persona, MONTH)
    stint = current_stint(persona)
    pension = Agency.GSIS if stint.sector == Sector.GOVERNMENT else Agency.SSS
    for agency, deducted in (
        (pension, facts.pension),
        (Agency.PHILHEALTH, facts.philhealth),
        (Agency.PAGIBIG, facts.pagibig),
    ):
        posted = [
            c for c in persona.contributions(agency, TODAY) if c.month == MONTH and c.stint == stint
        ]
        assert len(posted) == 1, (key, agency)
        assert posted[0].breakdown.employee == deducted, (key, agency)
        assert posted[0].salary == facts.basic_pay
    assert facts.employer == stint.employer.name  # type: ignore[union-attr]
    assert facts.gross - facts.total_deductions == facts.net


def test_a_2316_adds_up_the_year() -> None:
    persona = PERSONAS_BY_KEY["christina"]
    facts = tax_certificate_facts(persona, 2025)
    stint = current_stint(persona)
    salaries = sum(stint.salary_for(date(2025, m, 1)) for m in range(1, 13))
    # Twelve months of basic pay and rice allowance, plus a 13th month of a twelfth.
    assert facts.gross == salaries + 12 * 2000 + (salaries / 12).quantize(facts.gross)
    assert 0 < facts.taxable < facts.gross
    assert facts.period_start == date(2025, 1, 1)


def _digests(today: date) -> list[str]:
    return [hashlib.sha256(d.data()).hexdigest() for d in documents_for("george", today)]


@pytest.mark.slow
def test_documents_are_the_same_bytes_in_another_process() -> None:
    script = (
        "import hashlib, datetime\n"
        "from sahod.documents.sandbox import documents_for\n"
        "for d in documents_for('george', datetime.date(2026, 12, 1)):\n"
        "    print(hashlib.sha256(d.data()).hexdigest())\n"
    )
    other = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    ).stdout.split()
    assert other == _digests(TODAY)
