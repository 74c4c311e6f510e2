"""The CSV export: one row per data point of the account, every field of every kind.

Columns: the record's kind, id and times, then every payload field any record has (in the
contract's order as first seen); nested values (e-mails, addresses) are JSON. Text that a
spreadsheet would run as a formula (starting with = + - @, a tab or a carriage return) is
prefixed with an apostrophe, the OWASP advice for CSV injection; numbers are left as they are.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from sahod.exports.report import AccountReport
from sahod.kit.clock import iso_z

FIXED = ("kind", "id", "accountId", "providerId", "createdAt", "updatedAt")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def render_csv(report: AccountReport) -> bytes:
    fields: list[str] = []
    for point in report.points:
        for name in point.payload:
            if name not in fields and name not in FIXED:
                fields.append(name)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*FIXED, *fields])
    for point in report.points:
        writer.writerow(
            [
                point.kind.value,
                point.id,
                report.account_id,
                report.provider_id,
                iso_z(point.created_at),
                iso_z(point.updated_at),
                *(_cell(point.payload.get(name)) for name in fields),
            ]
        )
    # A byte-order mark, so spreadsheet programs read the names' accents as UTF-8.
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")
