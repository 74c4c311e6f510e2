"""The PDF export: an account report a credit officer prints and files.

One A4 document: the person, the employers, a chart of monthly contributions (vector bars
drawn by fpdf2, so it prints sharp at any size), the loans with their balances, the
incomes (estimated from contributions, and any reported), and a last section saying where
every figure came from. Each table row names the data point it shows, the id a tenant can
read back through the API (`GET /v1/<kind>/<id>`).

fpdf2's core fonts are Latin-1: text outside it (rare in Philippine names, which Latin-1
covers with ñ and accents) is written with a replacement so rendering never fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from sahod.datapoints.kinds import DataPointKind
from sahod.exports.report import AccountReport, MonthlyTotal, Point
from sahod.kit.clock import PHILIPPINE_TIME

PRODUCER = "Sahod account export"
CHART_MONTHS = 24
INCOME_MONTHS = 12
INK = (15, 23, 42)
MUTED = (71, 85, 105)
BAR = (29, 78, 216)
GRID = (203, 213, 225)
HEAD_FILL = (241, 245, 249)


def money(value: Any) -> str:
    if value is None or value == "":
        return "-"
    amount = Decimal(str(value)).quantize(Decimal("0.01"))
    return f"PHP {amount:,}"


def _text(value: Any) -> str:
    if value is None or value == "":
        return "-"
    return str(value).encode("latin-1", "replace").decode("latin-1")


def _when(value: Any) -> str:
    return _text(value)


class _Report(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.report_title = title
        self.set_auto_page_break(auto=True, margin=16)
        self.set_margins(16, 16, 16)
        self.set_title(title)
        self.set_creator(PRODUCER)
        self.set_producer(PRODUCER)
        self.alias_nb_pages()

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, _text(self.report_title), align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(*INK)


def _heading(pdf: _Report, text: str) -> None:
    if pdf.get_y() > pdf.h - 50:
        pdf.add_page()
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 13)
    pdf.cell(0, 8, _text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(*GRID)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(2)


def _note(pdf: _Report, text: str) -> None:
    pdf.set_font("Helvetica", size=8)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(0, 4, _text(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*INK)
    pdf.ln(1)


def _table(
    pdf: _Report,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    widths: Sequence[float],
    *,
    right: Sequence[int] = (),
    sources: Sequence[Point] = (),
) -> None:
    """A table; with ``sources`` (one record per row) a last column numbers the rows and a
    note under the table names each row's record, whole (an id does not fit a column)."""
    if sources:
        header = (*header, "Ref.")
        widths = (*widths, 10)
        rows = [(*row, f"[{n}]") for n, row in enumerate(rows, start=1)]
    pdf.set_font("Helvetica", size=8.5)
    aligns = tuple("RIGHT" if i in right else "LEFT" for i in range(len(header)))
    with pdf.table(
        col_widths=tuple(widths),
        text_align=aligns,
        line_height=5,
        first_row_as_headings=True,
        borders_layout="HORIZONTAL_LINES",
        headings_style=FontFace(emphasis="BOLD", color=INK, fill_color=HEAD_FILL),
    ) as table:
        head = table.row()
        for name in header:
            head.cell(_text(name))
        for values in rows:
            row = table.row()
            for value in values:
                row.cell(_text(value))
    if sources:
        kind = sources[0].kind.path
        # A no-break space keeps each number with its id when the note wraps.
        listed = "   ".join(f"[{n}]\u00a0{p.id}" for n, p in enumerate(sources, start=1))
        _note(pdf, f"Source records (GET /v1/{kind}/<id>): {listed}")
    else:
        pdf.ln(1)


def _person(pdf: _Report, report: AccountReport) -> None:
    _heading(pdf, "The person")
    identity = report.identity
    if identity is None:
        _note(pdf, f"{report.provider_name} showed no identity record for this account.")
        return
    p = identity.payload
    emails = ", ".join(str(e.get("address")) for e in p.get("emails") or [] if e.get("address"))
    phones = ", ".join(str(e.get("number")) for e in p.get("phones") or [] if e.get("number"))
    addresses = [a.get("fullAddress") for a in p.get("addresses") or [] if a.get("fullAddress")]
    rows: list[tuple[Any, ...]] = [
        ("Name", p.get("fullName")),
        ("Date of birth", p.get("dob")),
        ("Gender", p.get("gender")),
        ("Civil status", p.get("maritalStatus")),
        ("Member number", p.get("referenceId")),
        ("E-mail", emails or None),
        ("Phone", phones or None),
        ("Address", addresses[0] if addresses else None),
    ]
    pdf.set_font("Helvetica", size=9.5)
    for label, value in rows:
        pdf.set_font("Helvetica", "B", 9.5)
        pdf.cell(36, 5.5, label)
        pdf.set_font("Helvetica", size=9.5)
        pdf.multi_cell(0, 5.5, _text(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _note(pdf, f"Source: identity record {identity.id}, read from {report.provider_name}.")


def _employers(pdf: _Report, report: AccountReport) -> None:
    _heading(pdf, "Employers")
    points = sorted(
        report.of(DataPointKind.EMPLOYMENTS),
        key=lambda e: str(e.payload.get("startDate") or ""),
        reverse=True,
    )
    if not points:
        _note(pdf, f"{report.provider_name} showed no employers for this account.")
        return
    rows: list[tuple[Any, ...]] = [
        (
            e.payload.get("employer"),
            e.payload.get("employerNumber"),
            e.payload.get("status"),
            _when(e.payload.get("startDate")),
            _when(e.payload.get("endDate")),
        )
        for e in points
    ]
    _table(
        pdf,
        ("Employer", "Employer no.", "Status", "From", "To"),
        rows,
        (70, 30, 20, 22, 22),
        sources=points,
    )


def _chart(pdf: _Report, months: Sequence[MonthlyTotal]) -> None:
    """Monthly totals as bars, with a scale, drawn as PDF vector paths."""
    left, width, height = pdf.l_margin + 22, pdf.w - pdf.l_margin - pdf.r_margin - 22, 52
    if pdf.get_y() + height + 20 > pdf.h - pdf.b_margin:
        pdf.add_page()
    top = pdf.get_y() + 2
    bottom = top + height
    highest = max((m.amount for m in months), default=Decimal(0))
    scale = highest if highest > 0 else Decimal(1)
    pdf.set_font("Helvetica", size=7)
    pdf.set_draw_color(*GRID)
    pdf.set_line_width(0.2)
    for step in range(5):
        value = scale * step / 4
        y = bottom - float(value / scale) * height
        pdf.line(left, y, left + width, y)
        pdf.set_xy(pdf.l_margin, y - 2)
        pdf.set_text_color(*MUTED)
        pdf.cell(20, 4, f"{value:,.0f}", align="R")
    slot = width / max(len(months), 1)
    pdf.set_fill_color(*BAR)
    for index, month in enumerate(months):
        bar = float(month.amount / scale) * height
        x = left + index * slot + slot * 0.15
        if bar > 0:
            pdf.rect(x, bottom - bar, slot * 0.7, bar, style="F")
        if index % 3 == 0 or index == len(months) - 1:
            pdf.set_xy(left + index * slot - 4, bottom + 1)
            pdf.cell(slot + 8, 4, f"{month.month:%b %Y}", align="C")
    pdf.set_text_color(*INK)
    pdf.set_fill_color(255, 255, 255)
    pdf.set_xy(pdf.l_margin, bottom + 7)


def _contributions(pdf: _Report, report: AccountReport) -> None:
    _heading(pdf, "Monthly contributions")
    months = report.monthly_contributions()
    if not months:
        _note(pdf, f"{report.provider_name} showed no posted contributions for this account.")
        return
    shown = months[-CHART_MONTHS:]
    _chart(pdf, shown)
    total = sum((m.amount for m in shown), Decimal(0))
    pdf.set_font("Helvetica", size=9.5)
    pdf.multi_cell(
        0,
        5,
        _text(
            f"{len(shown)} months from {shown[0].month:%B %Y} to {shown[-1].month:%B %Y}: "
            f"{money(total)} in all, {money(total / len(shown))} a month on average; "
            f"latest month {money(shown[-1].amount)}."
        ),
        align="L",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    records = sum(len(m.record_ids) for m in shown)
    _note(
        pdf,
        f"Source: {records} contribution records posted on {report.provider_name} "
        f"(first {shown[0].record_ids[0]}, last {shown[-1].record_ids[-1]}); the amounts "
        "in pesos, summed per month.",
    )


def _loans(pdf: _Report, report: AccountReport) -> None:
    _heading(pdf, "Loans")
    points = report.of(DataPointKind.LIABILITIES)
    if not points:
        _note(pdf, f"{report.provider_name} showed no loans for this account.")
        return
    rows: list[tuple[Any, ...]] = [
        (
            loan.payload.get("type"),
            loan.payload.get("referenceId"),
            _when(loan.payload.get("startDate")),
            money(loan.payload.get("loanAmount")),
            money(loan.payload.get("amortizationAmount")),
            money(loan.payload.get("outstandingBalance")),
        )
        for loan in points
    ]
    _table(
        pdf,
        ("Loan", "Reference", "Granted", "Amount", "Monthly", "Balance"),
        rows,
        (28, 36, 20, 26, 24, 26),
        right=(3, 4, 5),
        sources=points,
    )
    balance = sum(
        (Decimal(str(p.payload.get("outstandingBalance") or 0)) for p in points), Decimal(0)
    )
    pdf.set_font("Helvetica", "B", 9.5)
    pdf.cell(0, 6, f"Outstanding balance of all loans: {money(balance)}")
    pdf.ln(7)


def _incomes(pdf: _Report, report: AccountReport) -> None:
    _heading(pdf, "Income")
    estimates = sorted(
        report.of(DataPointKind.EINCOMES), key=lambda e: str(e.payload.get("month"))
    )[-INCOME_MONTHS:]
    if estimates:
        latest = estimates[-1]
        pdf.set_font("Helvetica", "B", 10)
        pdf.multi_cell(
            0,
            5.5,
            _text(
                f"Estimated monthly income, {latest.payload.get('month')}: "
                f"{money(latest.payload.get('amount'))}"
            ),
            align="L",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        rows: list[tuple[Any, ...]] = [
            (
                e.payload.get("month"),
                money(e.payload.get("amount")),
                (report.schedule_of(str(e.payload.get("month"))) or ("-",))[0],
            )
            for e in reversed(estimates)
        ]
        _table(
            pdf,
            ("Month", "Estimated income", "Contribution schedule it was read back through"),
            rows,
            (24, 40, 100),
            right=(1,),
            sources=list(reversed(estimates)),
        )
        schedules = dict(
            found
            for found in (report.schedule_of(str(e.payload.get("month"))) for e in estimates)
            if found is not None
        )
        _note(
            pdf,
            "Estimated by Sahod from this account's contributions: each month's contribution "
            "is read back through the schedule in force that month to the salary it is owed "
            "on. Where a ceiling applies, the figure is the ceiling, a floor on the true income. "
            + " ".join(f"{key}: {citation}." for key, citation in sorted(schedules.items())),
        )
    reported = report.of(DataPointKind.INCOMES)
    if reported:
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(
            0, 6, f"Incomes {report.provider_name} reported", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        rows = [
            (
                i.payload.get("employer"),
                f"{_when(i.payload.get('startDate'))} to {_when(i.payload.get('endDate'))}",
                i.payload.get("frequency"),
                money(i.payload.get("grossAmount")),
                money(i.payload.get("netAmount")),
            )
            for i in reported
        ]
        _table(
            pdf,
            ("Reported by", "Period", "Frequency", "Gross", "Net"),
            rows,
            (46, 46, 20, 26, 26),
            right=(3, 4),
            sources=reported,
        )
    if not estimates and not reported:
        _note(pdf, "No income could be read or estimated for this account.")


def _sources(pdf: _Report, report: AccountReport) -> None:
    _heading(pdf, "Where each figure came from")
    counts = ", ".join(
        f"{len(report.of(kind))} {kind.value.lower()}" for kind in DataPointKind if report.of(kind)
    )
    _note(
        pdf,
        f"Every figure above was read by Sahod from the member portal {report.provider_name} "
        f"({report.provider_long_name}) with the member's consent, for account "
        f"{report.account_id} (user {report.user_id}), connected on "
        f"{_local(report.connected_at)}. The account holds {counts or 'no'} records; the "
        "source records under each table are the rows' ids in Sahod's API, where each record "
        "shows when it was read. Estimated incomes are Sahod's computation from the "
        "contributions through the agencies' published schedules named in their rows; "
        "nothing else is computed.",
    )


def _local(moment: Any) -> str:
    return f"{moment.astimezone(PHILIPPINE_TIME):%d %B %Y, %H:%M} Philippine time"


def render_pdf(report: AccountReport) -> bytes:
    title = f"Sahod account report: {report.provider_name} account {report.account_id}"
    pdf = _Report(title)
    pdf.set_creation_date(report.generated_at)
    pdf.add_page()
    pdf.set_text_color(*INK)
    pdf.set_font("Helvetica", "B", 17)
    pdf.cell(0, 9, "Account report", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=9.5)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(
        0,
        5,
        _text(
            f"{report.provider_name} ({report.provider_long_name}), account "
            f"{report.account_id}. Generated {_local(report.generated_at)}."
        ),
        align="L",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_text_color(*INK)
    _person(pdf, report)
    _employers(pdf, report)
    _contributions(pdf, report)
    _loans(pdf, report)
    _incomes(pdf, report)
    _sources(pdf, report)
    return bytes(pdf.output())
