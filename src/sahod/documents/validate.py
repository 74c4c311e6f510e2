"""ArchiveValidation: does the document add up, is it the user's, and was it edited?

- ``computation``: a payslip's gross less its deductions is its net, and its SSS (or GSIS),
  PhilHealth and Pag-IBIG deductions are what the agencies' schedules prescribe for its
  basic pay in its month (``sahod.agencies.schedules``, the tables the portals use).
- ``identity``: the name on the document is one of the names the user's connected accounts
  carry, whatever the order, case, punctuation or middle initials.
- ``metadata``: a PDF whose producer is an editing tool, that was saved again after it was
  made (incremental updates), or whose modification date differs from its creation date;
  an image an editor saved.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sahod.agencies.schedules import Agency, contribution_for
from sahod.documents import DocumentType, KnownPerson
from sahod.documents.extract import PayslipReading, parse_iso
from sahod.documents.reading import ReadText

TOLERANCE = Decimal("1.00")
"""Rounding a payslip may show (centavos dropped per line)."""


def result(code: str, score: float | None, message: str) -> dict[str, object]:
    out: dict[str, object] = {"resultCode": code, "resultMessage": message}
    if score is not None:
        out["score"] = round(score, 1)
    return out


def no_data(message: str) -> dict[str, object]:
    return result("NO_DATA", None, message)


# ---------------------------------------------------------------------------------------
# Computation
# ---------------------------------------------------------------------------------------

_AGENCY_OF = {
    "SSS": Agency.SSS,
    "GSIS": Agency.GSIS,
    "PHILHEALTH": Agency.PHILHEALTH,
    "PAGIBIG": Agency.PAGIBIG,
}
_NAMES = {"SSS": "SSS", "GSIS": "GSIS", "PHILHEALTH": "PhilHealth", "PAGIBIG": "Pag-IBIG"}


def computation(reading: PayslipReading) -> dict[str, object]:
    checks: list[tuple[bool, str]] = []
    gross, net = reading.gross, reading.net
    if gross is not None and net is not None:
        # The printed total includes deductions the reader does not name (loans, dues);
        # without one, the named deductions are all there is.
        total = (
            reading.deductions_total
            if reading.deductions_total is not None
            else sum(reading.deductions.values(), Decimal(0))
        )
        ok = abs(gross - total - net) <= TOLERANCE
        checks.append(
            (
                ok,
                f"gross {gross:,.2f} - deductions {total:,.2f} = {gross - total:,.2f}"
                + ("" if ok else f", not the net {net:,.2f}"),
            )
        )
    month = parse_iso(reading.analysis.get("startDate"))
    salary = reading.basic or (gross if not reading.deductions else None)
    if month is not None and salary is not None:
        # A semi-monthly payslip carries half the month's contribution (or all of it on
        # one of the two cut-offs); both readings are accepted.
        months_share = (Decimal(1), Decimal("0.5"), Decimal(0))
        monthly_salary = salary * 2 if reading.frequency == "Semimonthly" else salary
        for key, printed in reading.deductions.items():
            agency = _AGENCY_OF.get(key)
            if agency is None:
                continue
            try:
                due = contribution_for(agency, date(month.year, month.month, 1), monthly_salary)
            except (LookupError, ValueError):
                continue
            shares = months_share if reading.frequency == "Semimonthly" else (Decimal(1),)
            ok = any(abs(printed - due.employee * share) <= TOLERANCE for share in shares)
            checks.append(
                (
                    ok,
                    f"{_NAMES[key]} {printed:,.2f}"
                    + (
                        " matches the schedule"
                        if ok
                        else f", the schedule says {due.employee:,.2f} for "
                        f"{monthly_salary:,.2f} in {month:%B %Y}"
                    ),
                )
            )
    if not checks:
        return no_data("the payslip shows no amounts to check")
    passed = sum(ok for ok, _ in checks)
    failed = [message for ok, message in checks if not ok]
    message = "; ".join(failed) if failed else "; ".join(message for _, message in checks)
    return result("PASSED" if not failed else "FAILED", 100 * passed / len(checks), message)


def tax_computation(analysis: dict[str, object]) -> dict[str, object]:
    gross, base = analysis.get("grossAmount"), analysis.get("baseAmount")
    if not isinstance(gross, float) or not isinstance(base, float):
        return no_data("the form shows no compensation to check")
    ok = 0 <= base <= gross
    return result(
        "PASSED" if ok else "FAILED",
        100.0 if ok else 0.0,
        "taxable compensation is within the gross compensation"
        if ok
        else f"taxable compensation {base:,.2f} exceeds the gross {gross:,.2f}",
    )


# ---------------------------------------------------------------------------------------
# Identity
# ---------------------------------------------------------------------------------------

_SUFFIXES = {"jr", "sr", "ii", "iii", "iv", "v"}
_TITLES = {"mr", "ms", "mrs", "miss", "dr", "engr", "atty"}


def name_tokens(name: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    tokens = re.findall(r"[a-z]+", plain)
    return [t for t in tokens if t not in _SUFFIXES and t not in _TITLES]


def name_score(document_name: str, known_name: str) -> float:
    """0-100: how well two spellings of a name agree, ignoring order, case, punctuation;
    an initial matches the name it abbreviates."""
    ours, theirs = name_tokens(document_name), name_tokens(known_name)
    if not ours or not theirs:
        return 0.0
    remaining = list(theirs)
    matched = 0.0
    for token in ours:
        if token in remaining:
            remaining.remove(token)
            matched += 1
            continue
        initial = next(
            (
                t
                for t in remaining
                if (len(token) == 1 and t.startswith(token))
                or (len(t) == 1 and token.startswith(t))
            ),
            None,
        )
        if initial is not None:
            remaining.remove(initial)
            matched += 0.9
    # Every part of the shorter name must be found; extra middle names cost a little.
    shorter = min(len(ours), len(theirs))
    longer = max(len(ours), len(theirs))
    if matched < shorter - 0.2 or shorter < 2:
        return 100 * matched / longer * 0.6
    return 100 * (matched / shorter) * (0.85 + 0.15 * shorter / longer)


def document_name(file_type: DocumentType, analysis: dict[str, object]) -> str | None:
    for key in ("employeeName", "fullName"):
        value = analysis.get(key)
        if isinstance(value, str) and value:
            return value
    parts = [analysis.get(k) for k in ("firstName", "middleName", "lastName")]
    joined = " ".join(p for p in parts if isinstance(p, str) and p)
    return joined or None


def identity(
    file_type: DocumentType, analysis: dict[str, object], person: KnownPerson
) -> dict[str, object]:
    name = document_name(file_type, analysis)
    if not name:
        return no_data("the document shows no name")
    if not person.full_names:
        return no_data("the user has no connected account to compare the name with")
    best = max(name_score(name, known) for known in person.full_names)
    born = analysis.get("dateOfBirth")
    if (
        best >= 80
        and isinstance(born, str)
        and person.birth_dates
        and born not in person.birth_dates
    ):
        return result(
            "FAILED",
            best / 2,
            f"{name} matches the user's name, but the date of birth {born} is not the user's",
        )
    if best >= 80:
        return result("PASSED", best, f"{name} matches the user's name")
    return result(
        "FAILED",
        best,
        f"{name} does not match the user's name ({', '.join(person.full_names)})",
    )


# ---------------------------------------------------------------------------------------
# Metadata
# ---------------------------------------------------------------------------------------

EDITING_TOOLS = (
    "photoshop",
    "gimp",
    "illustrator",
    "inkscape",
    "pdfescape",
    "sejda",
    "ilovepdf",
    "smallpdf",
    "pdf-xchange editor",
    "foxit phantompdf",
    "foxit pdf editor",
    "nitro pro",
    "pdfelement",
    "pdf editor",
    "canva",
    "acrobat pro",
    "paint.net",
    "pixelmator",
    "snapseed",
    "picsart",
)


def _date_part(value: str | None) -> str | None:
    if not value:
        return None
    digits = re.sub(r"[^\d]", "", value)
    return digits[:14] or None


def metadata(read: ReadText) -> dict[str, object]:
    signs: list[str] = []
    if read.pdf is not None:
        pdf = read.pdf
        for role, tool in (("producer", pdf.producer), ("creator", pdf.creator)):
            if tool and any(t in tool.lower() for t in EDITING_TOOLS):
                signs.append(f"the PDF's {role} is an editor ({tool})")
        if pdf.revisions > 1:
            signs.append(f"the PDF was saved {pdf.revisions - 1} more time(s) after it was made")
        created, modified = _date_part(pdf.created), _date_part(pdf.modified)
        if created and modified and created != modified:
            signs.append("the PDF was modified after it was created")
        checked = "PDF producer, creator, dates and revisions"
    elif read.image_software is not None:
        software = read.image_software
        if any(t in software.lower() for t in EDITING_TOOLS):
            signs.append(f"the image was saved by an editor ({software})")
        checked = f"image software ({software})"
    else:
        return no_data("the file carries no metadata to check")
    if signs:
        return result("FAILED", max(0.0, 100 - 40 * len(signs)), "; ".join(signs))
    return result("PASSED", 100.0, f"no sign of editing in the {checked}")


def validate(
    file_type: DocumentType,
    analysis: dict[str, object],
    read: ReadText,
    person: KnownPerson,
    *,
    payslip: PayslipReading | None = None,
) -> dict[str, object]:
    if file_type == "PAYSLIP" and payslip is not None:
        computed = computation(payslip)
    elif file_type == "TAX_DOCUMENT":
        computed = tax_computation(analysis)
    else:
        computed = no_data("this kind of document has no amounts to check")
    return {
        "fileType": file_type,
        "metadata": metadata(read),
        "computation": computed,
        "identity": identity(file_type, analysis, person),
    }


def names_of(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(v for v in values if v)
