"""What kind of document a text is, from what it says (never from its file name).

Each type has phrases that only it prints (a 2316 names itself; a certificate of employment
"certifies that"), weighted, matched on a normalised text so that OCR's stray punctuation and
case do not matter. The best score wins when it clears a floor; otherwise ``OTHERS``.
"""

from __future__ import annotations

import re

from sahod.documents import DocumentType

_SIGNS: dict[DocumentType, tuple[tuple[str, float], ...]] = {
    "TAX_DOCUMENT": (
        ("bir form no 2316", 5),
        ("2316", 2),
        ("certificate of compensation payment", 5),
        ("tax withheld", 2),
        ("bureau of internal revenue", 2),
        ("taxable compensation income", 2),
        ("gross compensation income", 2),
    ),
    "EMPLOYMENT_CERTIFICATE": (
        ("certificate of employment", 5),
        ("certification of employment", 5),
        ("this is to certify that", 2),
        ("has been employed", 2),
        ("is employed with", 2),
        ("is currently employed", 2),
        ("up to the present", 1),
        ("this certification is issued", 2),
    ),
    "CLEARANCE_NBI": (
        ("nbi clearance", 5),
        ("national bureau of investigation", 5),
        ("no derogatory record", 3),
        ("no criminal record", 2),
    ),
    "PAYSLIP": (
        ("payslip", 5),
        ("pay slip", 5),
        ("payroll", 2),
        ("net pay", 3),
        ("take home pay", 3),
        ("gross pay", 2),
        ("gross earnings", 2),
        ("total deductions", 2),
        ("basic pay", 1),
        ("pay period", 2),
        ("earnings", 1),
        ("deductions", 1),
    ),
}

MIN_SCORE = 4.0


def normalise(text: str) -> str:
    text = text.lower().replace("-", " ")
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return f" {text.strip()} "


def scores(text: str) -> dict[DocumentType, float]:
    flat = normalise(text)
    return {
        kind: sum(weight for phrase, weight in signs if f" {phrase} " in flat)
        for kind, signs in _SIGNS.items()
    }


def classify(text: str) -> DocumentType:
    by_kind = scores(text)
    kind, score = max(by_kind.items(), key=lambda item: item[1])
    return kind if score >= MIN_SCORE else "OTHERS"
