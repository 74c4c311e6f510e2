"""How fast the read API serves a realistically full database.

Fills a PostgreSQL database with 100k users, 200k accounts and 2M data point rows (reusing
it on the next run when its row counts still match), serves it with ``sahod serve``, and
prints requests/s and p50/p99 latency, each also as a ratio to a bare endpoint of the same
app (``GET /healthz``: a fixed body through the same middleware and envelope), for

* ``GET /v1/liabilities?userId=…&size=50`` over users with at least 50 liabilities,
* the deepest page of ``GET /v1/accounts?size=150`` (and, next to it, the first page, to
  show that a page's cost does not grow with its depth).

    .venv/bin/python bench/read_api.py            # the full run (fills once, then reuses)
    .venv/bin/python bench/read_api.py --quick    # 1/20 of the rows, 5 s a target
    .venv/bin/python bench/read_api.py --refill --explain

Figures go to stdout and, as JSON, to bench/out/read_api.json (read_api_quick.json with
--quick). A benchmark prints figures; it is not a timed test.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import math
import os
import platform
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, cast

import httpx
import psycopg
from psycopg import ClientCursor
from psycopg.types.json import Jsonb

if __package__ in (None, ""):  # run as a script: make `bench` and `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.factories import SAMPLE_PAYLOADS

from bench._common import (
    OUT_DIR,
    LoadResult,
    LoadSettings,
    database_name,
    ensure_database,
    load_generator_name,
    render_table,
    run_load,
    served_app,
    with_database_name,
    wrk_binary,
)
from sahod import migrate
from sahod.datapoints.kinds import DataPointKind
from sahod.datapoints.registry import SPECS
from sahod.db import describe_url, libpq_url
from sahod.kit.crypto import hash_secret
from sahod.kit.pagination import MAX_SIZE, encode_cursor
from sahod.tenants.schemas import TenantMode

# Bump when the generated data changes shape: an older fill is then not reused.
FILL_VERSION = 2

FULL_USERS = 100_000
ACCOUNTS_PER_USER = 2
FULL_DATAPOINTS = 2_000_000
OTHER_TENANT_EVERY = 10
"""Every 10th user (and its accounts and data) belongs to a second tenant."""
HEAVY_EVERY = 50
"""One user in 50 has 50 to 120 liabilities on each SSS/Pag-IBIG account; others 0 to 3."""
LIABILITIES_PAGE = 50
ACCOUNTS_PAGE = MAX_SIZE  # 150

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/sahod_bench"
META_TABLE = "bench.read_api_fill"


# ---------------------------------------------------------------------------------------
# What a fill holds
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    users: int
    datapoints: int

    @property
    def accounts(self) -> int:
        return self.users * ACCOUNTS_PER_USER

    def counts(self) -> dict[str, int]:
        return {"users": self.users, "accounts": self.accounts, "datapoints": self.datapoints}


@dataclass(frozen=True)
class Credentials:
    tenant_id: str
    api_key: str
    api_secret: str

    def basic_header(self) -> str:
        token = base64.b64encode(f"{self.api_key}:{self.api_secret}".encode()).decode()
        return f"Basic {token}"


@dataclass(frozen=True)
class Manifest:
    """Stored in the filled database itself, so a reused database brings its own keys."""

    version: int
    counts: dict[str, int]
    main: Credentials
    other: Credentials
    filled_at: str
    fill_seconds: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        return cls(
            version=data["version"],
            counts=data["counts"],
            main=Credentials(**data["main"]),
            other=Credentials(**data["other"]),
            filled_at=data["filled_at"],
            fill_seconds=data["fill_seconds"],
        )


def connect(url: str, *, autocommit: bool = False) -> psycopg.Connection[Any]:
    # Dates in the generated data are UTC days, as the app reads them.
    return psycopg.connect(libpq_url(url), autocommit=autocommit, options="-c timezone=UTC")


def load_manifest(conn: psycopg.Connection[Any]) -> Manifest | None:
    if conn.execute("SELECT to_regclass(%s)", (META_TABLE,)).fetchone() == (None,):
        return None
    row = conn.execute(f"SELECT manifest FROM {META_TABLE}").fetchone()
    return Manifest.from_json(row[0]) if row else None


def actual_counts(conn: psycopg.Connection[Any]) -> dict[str, int]:
    row = conn.execute(
        "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM accounts),"
        " (SELECT count(*) FROM datapoints)"
    ).fetchone()
    assert row is not None
    return {"users": row[0], "accounts": row[1], "datapoints": row[2]}


def reusable_manifest(url: str, scale: Scale) -> tuple[Manifest | None, str]:
    """The stored fill when it is this scale and this version, with usable keys."""
    with connect(url) as conn:
        manifest = load_manifest(conn)
        if manifest is None:
            return None, "the database was not filled by this benchmark"
        if manifest.version != FILL_VERSION:
            return None, f"it was filled by version {manifest.version} of the generator"
        counts = actual_counts(conn)
        if manifest.counts != scale.counts() or counts != scale.counts():
            return None, f"its rows are {counts}, not {scale.counts()}"
        for keys in (manifest.main, manifest.other):
            row = conn.execute(
                "SELECT secret_hash FROM api_keys WHERE key = %s AND revoked_at IS NULL",
                (keys.api_key,),
            ).fetchone()
            if row is None or row[0] != hash_secret(keys.api_secret):
                return None, "its stored API key no longer works"
    return manifest, ""


# ---------------------------------------------------------------------------------------
# The fill
# ---------------------------------------------------------------------------------------

# Word lists for varied, plausible values; picked by hashes of the row numbers.
WORDS: dict[str, list[str]] = {
    "male_names": ["Jose", "Juan", "Mark", "John", "Michael", "Paolo", "Rommel", "Carlo",
                   "Angelo", "Ramon", "Eduardo", "Francis", "Christian", "Renato", "Arnel",
                   "Jerome", "Ricardo", "Joel", "Noel", "Dennis"],
    "female_names": ["Maria", "Ana", "Kristine", "Jennifer", "Mary Grace", "Rosalie", "Lorna",
                     "Angelica", "Catherine", "Michelle", "Joy", "Camille", "Liza", "Grace",
                     "Marites", "Jocelyn", "Rowena", "Princess", "Divina", "Aileen"],
    "surnames": ["Santos", "Reyes", "Cruz", "Bautista", "Garcia", "Mendoza", "Torres",
                 "Villanueva", "Ramos", "Aquino", "Castillo", "Flores", "Rivera", "Gonzales",
                 "Dela Cruz", "Fernandez", "Lopez", "Del Rosario", "Navarro", "Pascual",
                 "Domingo", "Salazar", "Manalo", "Palomero", "Cimafranca", "Soriano"],
    "marital": ["Single", "Married", "Married", "Single", "Widowed", "Separated"],
    "cities": ["Pasig City", "Quezon City", "Makati City", "Cebu City", "Davao City",
               "Iloilo City", "Baguio City", "Cagayan de Oro", "Taguig City", "Bacolod City"],
    "regions": ["NCR", "NCR", "NCR", "Region VII", "Region XI", "Region VI", "CAR", "Region X",
                "NCR", "Region VI"],
    "zips": ["1600", "1100", "1200", "6000", "8000", "5000", "2600", "9000", "1630", "6100"],
    "streets": ["Maybunga St", "Rizal Ave", "Mabini St", "Bonifacio Dr", "Luna St",
                "Del Pilar St", "Quezon Blvd", "Magsaysay Ave", "Burgos St", "Aguinaldo Hwy"],
    "domains": ["gmail.com", "yahoo.com", "outlook.com", "ymail.com"],
    "employers": ["ABC Corporation", "Jollibee Foods Corp", "SM Supermalls", "Ayala Land Inc",
                  "Concentrix Philippines", "Accenture Inc", "San Miguel Corp", "Globe Telecom",
                  "BDO Unibank", "Robinsons Retail", "Mercury Drug Corp", "TaskUs Philippines"],
    "agencies": ["Department of Education", "Department of Health", "Philippine National Police",
                 "Department of Public Works and Highways", "Bureau of Internal Revenue",
                 "Department of Agriculture", "City Government of Pasig"],
    "error_codes": ["INVALID_CREDENTIALS", "ACCOUNT_LOCKED", "EXPIRED_CREDENTIALS",
                    "SERVICE_UNAVAILABLE", "MFA_TIMEOUT", "SYSTEM_ERROR"],
    "error_messages": ["The member number or password is wrong.",
                       "The provider locked this account after too many attempts.",
                       "The password has expired; the member must set a new one.",
                       "The provider's portal is not answering.",
                       "The one-time code was not entered in time.",
                       "Something went wrong while reading the account."],
    "sss_loans": ["Salary Loan", "Salary Loan", "Calamity Loan", "Emergency Loan"],
    "pagibig_loans": ["Multi-Purpose Loan", "Multi-Purpose Loan", "Calamity Loan",
                      "Housing Loan"],
}  # fmt: skip
RETRIABLE_ERRORS = ["SERVICE_UNAVAILABLE", "SYSTEM_ERROR"]

_FUNCTIONS_SQL = """
CREATE SCHEMA IF NOT EXISTS bench;
CREATE OR REPLACE FUNCTION bench.pick(items text[], h bigint) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT items[(1 + mod(h, cardinality(items)))::int] $$;
-- The app's rule (tests/factories.effective_date): the kind's date field, a YYYY-MM month
-- meaning its first day.
CREATE OR REPLACE FUNCTION bench.as_date(value text) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE WHEN length(value) = 7 THEN (value || '-01')::date
                      ELSE value::date END $$;
"""

# One row a user, with every per-user value the accounts and data points repeat.
_USER_PLAN_SQL = """
CREATE UNLOGGED TABLE bench.read_api_users AS
SELECT b.i, b.tenant_id, b.tenant_id || '-' || md5('user:' || b.i) AS user_id, b.hu, b.gender,
       %(anchor)s::timestamptz
           - make_interval(days => %(span_days)s)
           + make_interval(secs => b.i::float8 / %(users)s * %(span_days)s * 86400)
           AS user_created_at,
       bench.pick(CASE b.gender WHEN 'Male' THEN %(male_names)s::text[]
                  ELSE %(female_names)s::text[] END, b.hu / 2) AS first_name,
       bench.pick(%(surnames)s::text[], b.hu / 7) AS middle_name,
       bench.pick(%(surnames)s::text[], b.hu / 97) AS last_name,
       CASE WHEN b.gender = 'Male' AND mod(b.hu / 3, 25) = 0 THEN 'Jr' END AS suffix,
       date '1962-01-01' + mod(b.hu / 11, 13000) AS dob,
       bench.pick(%(marital)s::text[], b.hu / 29) AS marital_status,
       mod(b.hu / 53, 300) + 1 || ' ' || bench.pick(%(streets)s::text[], b.hu / 59) AS street,
       (%(cities)s::text[])[b.place] AS city,
       (%(regions)s::text[])[b.place] AS region,
       (%(zips)s::text[])[b.place] AS zip,
       '+639' || lpad(mod(b.hu / 3, 1000000000)::text, 9, '0') AS phone,
       bench.pick(%(domains)s::text[], b.hu / 61) AS domain,
       12000 + 1000 * mod(b.hu / 37, 64) AS salary,
       bench.pick(%(employers)s::text[], b.hu / 41) AS employer,
       bench.pick(%(agencies)s::text[], b.hu / 43) AS agency,
       mod(b.hu / 47, %(heavy_every)s) = 0 AS heavy
FROM (
    SELECT i,
           CASE WHEN mod(i, %(other_every)s) = 0 THEN %(other_tenant)s
                ELSE %(main_tenant)s END AS tenant_id,
           hashint4(i) & 2147483647 AS hu,
           CASE WHEN mod(hashint4(i) & 2147483647, 2) = 0 THEN 'Male' ELSE 'Female' END
               AS gender,
           (1 + mod((hashint4(i) & 2147483647) / 31, cardinality(%(cities)s::text[])))::int
               AS place
    FROM generate_series(1, %(users)s) AS i
) AS b
"""

_INSERT_USERS_SQL = """
INSERT INTO users (id, tenant_id, external_metadata, created_at)
SELECT user_id, tenant_id,
       CASE WHEN mod(hu / 5, 4) = 0 THEN '{}'::jsonb
            ELSE jsonb_build_object('loanId', 'L-' || lpad(i::text, 8, '0'),
                                    'channel', CASE WHEN mod(hu / 9, 3) = 0 THEN 'branch'
                                                    ELSE 'app' END) END,
       user_created_at
FROM bench.read_api_users
ORDER BY i
"""

# Two accounts a user: SSS (GSIS for one in five, the government employees) and Pag-IBIG
# (PhilHealth for one in three). Statuses in realistic shares; data only where the account
# was connected at least once.
_ACCOUNT_PLAN_SQL = """
CREATE UNLOGGED TABLE bench.read_api_accounts AS
SELECT s.*,
       s.has_data::int AS n_ident,
       s.has_data::int * (1 + (mod(s.ha / 7, 4) = 0)::int) AS n_doc,
       s.has_data::int * (1 + mod(s.ha / 11, 2)) AS n_emp,
       s.has_data::int * (s.provider_id = 'gsis')::int * 6 AS n_inc,
       s.has_data::int AS n_einc,
       s.has_data::int * (s.provider_id IN ('sss', 'pagibig'))::int
           * CASE WHEN s.heavy THEN 50 + mod(s.ha / 13, 71) ELSE mod(s.ha / 13, 4) END AS n_lia,
       s.provider_id IN ('sss', 'philhealth', 'pagibig') AS con_capable,
       0 AS n_con
FROM (
    SELECT b.*,
           b.status IN ('CONNECTED', 'ERROR', 'DISCONNECTED') AS has_data,
           CASE WHEN b.status = 'ERROR' THEN (%(error_codes)s::text[])[b.error_index] END
               AS error_code,
           CASE WHEN b.status = 'ERROR' THEN (%(error_messages)s::text[])[b.error_index] END
               AS error_message,
           CASE b.status
               WHEN 'DISCONNECTED' THEN 'CUSTOMER_DISABLED'
               WHEN 'ERROR' THEN
                   CASE WHEN (%(error_codes)s::text[])[b.error_index] = ANY(%(retriable)s::text[])
                        THEN 'ACTIVE' ELSE 'USER_ACTION_REQUIRED' END
               ELSE 'ACTIVE' END AS monitor_status,
           CASE WHEN b.status IN ('ERROR', 'DISCONNECTED')
                THEN least(b.account_created_at + make_interval(days => 1 + mod(b.ha / 7, 200)),
                           %(anchor)s::timestamptz)
                ELSE b.account_created_at + interval '1 minute' END AS connection_updated_at,
           CASE b.provider_id
               WHEN 'sss' THEN lpad(mod(b.hu, 100)::text, 2, '0') || '-'
                   || lpad(mod(b.i * 7, 10000000)::text, 7, '0') || '-' || mod(b.i, 10)
               WHEN 'gsis' THEN lpad((2000000000 + b.i)::text, 11, '0')
               WHEN 'philhealth' THEN lpad(mod(b.hu / 3, 100)::text, 2, '0') || '-'
                   || lpad((100000000 + b.i)::text, 9, '0') || '-' || mod(b.i / 10, 10)
               ELSE '1210-' || lpad(mod(b.i / 10000, 10000)::text, 4, '0') || '-'
                   || lpad(mod(b.i, 10000)::text, 4, '0') END AS member_number,
           regexp_replace(lower(b.first_name || '.' || b.last_name), '[^a-z.]', '', 'g')
               || mod(b.i, 1000) || '@' || b.domain AS email,
           CASE WHEN b.provider_id = 'gsis' THEN b.agency ELSE b.employer END
               AS current_employer,
           b.account_created_at::date AS link_date
    FROM (
        SELECT u.*, k.k,
               2 * (u.i - 1) + k.k + 1 AS j,
               'a-' || md5('account:' || u.i || ':' || k.k) AS account_id,
               CASE WHEN k.k = 0 THEN CASE WHEN mod(u.hu / 13, 5) = 0 THEN 'gsis' ELSE 'sss' END
                    ELSE CASE WHEN mod(u.hu / 17, 3) = 0 THEN 'philhealth' ELSE 'pagibig' END
               END AS provider_id,
               u.user_created_at + make_interval(mins => 2 + 40 * k.k, secs => mod(u.hu, 60))
                   AS account_created_at,
               x.ha,
               CASE WHEN mod(x.ha, 100) < 84 THEN 'CONNECTED'
                    WHEN mod(x.ha, 100) < 90 THEN 'ERROR'
                    WHEN mod(x.ha, 100) < 96 THEN 'DISCONNECTED'
                    WHEN mod(x.ha, 100) < 98 THEN 'PENDING'
                    ELSE 'AWAITING_MFA' END AS status,
               (1 + mod(x.ha / 100, cardinality(%(error_codes)s::text[])))::int AS error_index
        FROM bench.read_api_users AS u
        CROSS JOIN (VALUES (0), (1)) AS k(k)
        CROSS JOIN LATERAL (SELECT hashint4(2 * u.i + k.k + 1000000) & 2147483647 AS ha) AS x
    ) AS b
) AS s
"""

_INSERT_ACCOUNTS_SQL = """
INSERT INTO accounts (id, tenant_id, user_id, provider_id, login_name, created_at,
                      connection_status, error_code, error_message, connection_updated_at,
                      monitor_status, monitor_updated_at)
SELECT account_id, tenant_id, user_id, provider_id,
       CASE WHEN provider_id = 'sss' AND mod(hu / 67, 2) = 0 THEN member_number ELSE email END,
       account_created_at, status, error_code, error_message, connection_updated_at,
       monitor_status,
       -- Null until the monitor status first changes (the Accounts seed).
       CASE WHEN monitor_status <> 'ACTIVE' THEN connection_updated_at END
FROM bench.read_api_accounts
ORDER BY j
"""

# Spreads the data points left over once every other kind is planned across the accounts
# that report contributions, so that the table holds exactly the wanted number of rows.
_PLAN_CONTRIBUTIONS_SQL = """
UPDATE bench.read_api_accounts AS a
SET n_con = %(base)s + (r.rank <= %(extra)s)::int
FROM (SELECT j, row_number() OVER (ORDER BY j) AS rank
      FROM bench.read_api_accounts WHERE has_data AND con_capable) AS r
WHERE a.j = r.j
"""

# Per kind: the plan column holding how many rows an account gets, the extra FROM items that
# name per-row values, and the fields that vary (merged over the kind's sample payload from
# tests/factories.py, so every row has the sample's shape). ``a`` is the account plan row,
# ``g`` the row's number within its account and kind (1 = newest).
_MONTH = """LATERAL (SELECT (date_trunc('month', a.account_created_at)
                             - make_interval(months => g))::date AS m) AS s"""
KIND_SQL: dict[DataPointKind, tuple[str, str, str]] = {
    DataPointKind.IDENTITIES: (
        "n_ident",
        "",
        """jsonb_build_object(
            'fullName', concat_ws(' ', a.first_name, a.middle_name, a.last_name)
                        || coalesce(', ' || a.suffix, ''),
            'firstName', a.first_name, 'middleName', a.middle_name, 'lastName', a.last_name,
            'suffix', a.suffix, 'gender', a.gender, 'dob', a.dob,
            'maritalStatus', a.marital_status, 'referenceId', a.member_number,
            'emails', jsonb_build_array(jsonb_build_object('address', a.email,
                                                           'type', 'Primary')),
            'phones', jsonb_build_array(jsonb_build_object('number', a.phone,
                                                           'type', 'Mobile')),
            'addresses', jsonb_build_array(
                (%(tpl_IDENTITIES)s::jsonb -> 'addresses' -> 0) || jsonb_build_object(
                    'fullAddress', concat_ws(', ', a.street, a.city, a.region, a.zip, 'PH'),
                    'line1', a.street, 'city', a.city, 'region', a.region, 'zip', a.zip)))""",
    ),
    DataPointKind.EMPLOYMENTS: (
        "n_emp",
        # Job g started about three years before job g - 1 and ended before it began.
        """, LATERAL (SELECT a.link_date - ((g - 1) * 1100 + 60 + mod(a.ha / 3, 1000))
                      AS start) AS s""",
        """jsonb_build_object(
            'employer', CASE WHEN g = 1 THEN a.current_employer
                             ELSE bench.pick(%(employers)s::text[], a.ha / g) END,
            'employerNumber', lpad(mod(a.ha / g, 100)::text, 2, '0') || '-'
                || lpad(mod(a.ha / (g + 7), 10000000)::text, 7, '0') || '-' || mod(a.ha, 10),
            'status', CASE WHEN g = 1 AND a.status <> 'DISCONNECTED' THEN 'Active'
                           ELSE 'Separated' END,
            'startDate', s.start,
            'endDate', CASE WHEN g > 1 THEN s.start + 1000 END,
            'reportedDate', s.start + 14)""",
    ),
    DataPointKind.INCOMES: (
        "n_inc",
        ", " + _MONTH,
        """jsonb_build_object(
            'employer', a.current_employer,
            'startDate', s.m,
            'endDate', (s.m + interval '1 month' - interval '1 day')::date,
            'frequency', 'Monthly',
            'baseAmount', round(a.salary::numeric, 2),
            'grossAmount', round(a.salary + 2000.0, 2),
            'netAmount', CASE WHEN mod(a.ha, 3) <> 0
                              THEN round((a.salary + 2000) * 0.82, 2) END)""",
    ),
    DataPointKind.EINCOMES: (
        "n_einc",
        ", " + _MONTH,
        """jsonb_build_object(
            'month', to_char(s.m, 'YYYY-MM'),
            'baseAmount', round(a.salary::numeric, 2),
            'amount', round(a.salary * (0.95 + mod(a.ha / g, 11) / 100.0), 2))""",
    ),
    DataPointKind.CONTRIBUTIONS: (
        "n_con",
        ", " + _MONTH,
        """jsonb_build_object(
            'date', (s.m + interval '1 month' - interval '1 day')::date,
            'amount', CASE a.provider_id
                WHEN 'sss' THEN round(least(greatest(a.salary, 5000), 35000) * 0.15, 2)
                WHEN 'philhealth' THEN round(least(greatest(a.salary, 10000), 100000) * 0.025, 2)
                ELSE 200.00 END,
            'referenceId', CASE a.provider_id WHEN 'sss' THEN 'PRN-'
                                              WHEN 'philhealth' THEN 'PHIC-'
                                              ELSE 'MC-' END || to_char(s.m, 'YYYY-MM'))""",
    ),
    DataPointKind.DOCUMENTS: (
        "n_doc",
        "",
        """CASE WHEN g = 1 THEN jsonb_build_object(
                'name', CASE a.provider_id WHEN 'sss' THEN 'SS Number Slip'
                                           WHEN 'gsis' THEN 'GSIS UMID eCard'
                                           WHEN 'philhealth' THEN 'PhilHealth Member Data Record'
                                           ELSE 'Pag-IBIG MID Number Slip' END,
                'docId', a.member_number, 'status', 'VALID', 'documentType', 'IDENTIFICATION',
                'issueDate', a.link_date - (400 + mod(a.ha / 17, 5000)))
            ELSE jsonb_build_object(
                'name', 'Certificate of Contributions',
                'docId', 'COC-' || upper(left(md5(a.account_id), 10)), 'status', 'VALID',
                'documentType', 'CERTIFICATE',
                'issueDate', a.link_date - mod(a.ha / 19, 300),
                'expiryDate', a.link_date - mod(a.ha / 19, 300) + 90) END""",
    ),
    DataPointKind.LIABILITIES: (
        "n_lia",
        # Loan g was taken about g * 35 days before the account was linked.
        """, LATERAL (SELECT hashint4(a.j * 257 + g) & 2147483647 AS hl) AS h,
            LATERAL (SELECT a.link_date - (g * 35 + mod(h.hl, 30)) AS start,
                            (4 + mod(h.hl / 30, 37)) * 1000.00 AS loan) AS s,
            LATERAL (SELECT round(s.loan * 1.1 / 24, 2) AS amort,
                            least(24, greatest(0, (a.link_date - s.start - 60) / 30 + 1))
                                AS paid) AS p""",
        """jsonb_build_object(
            'type', CASE WHEN a.provider_id = 'sss'
                         THEN bench.pick(%(sss_loans)s::text[], h.hl / 7)
                         ELSE bench.pick(%(pagibig_loans)s::text[], h.hl / 7) END,
            'referenceId', CASE WHEN a.provider_id = 'sss' THEN 'SL' ELSE 'MPL' END
                || to_char(s.start, 'YYYYMMDD') || lpad(mod(h.hl / 11, 10000000)::text, 7, '0'),
            'startDate', s.start,
            'endDate', (s.start + interval '24 months')::date,
            'firstAmortizationDate', (s.start + interval '2 months')::date,
            'amortizationFrequency', 'Monthly',
            'currency', 'PHP',
            'loanAmount', s.loan,
            'amortizationAmount', p.amort,
            'outstandingBalance', greatest(0.00, round(s.loan * 1.1 - p.paid * p.amort, 2)),
            'nextPaymentAmount', CASE WHEN p.paid < 24 THEN p.amort ELSE 0.00 END,
            'overduePaymentAmount', CASE WHEN p.paid < 24 AND mod(h.hl / 13, 20) = 0
                                         THEN p.amort ELSE 0.00 END)""",
    ),
}
assert set(KIND_SQL) == set(DataPointKind), "every kind needs a generator"


def insert_datapoints_sql() -> str:
    branches = [
        f"SELECT '{kind.value}'::text AS kind, '{kind.id_prefix}'::text AS prefix, g,"
        f" %(tpl_{kind.value})s::jsonb || {payload} AS payload"
        f" FROM generate_series(1, a.{count}) AS g{extra_from}"
        for kind, (count, extra_from, payload) in KIND_SQL.items()
    ]
    # effective_date as the app stores it: the kind's date field (SPECS), parsed.
    dated = [
        f"WHEN '{kind.value}' THEN bench.as_date(d.payload ->> '{spec.date_field}')"
        for kind, spec in SPECS.items()
        if spec.date_field is not None
    ]
    return f"""
INSERT INTO datapoints (id, tenant_id, user_id, account_id, provider_id, kind, reference,
                        effective_date, payload, account_created_at, created_at, updated_at)
SELECT d.prefix || '-' || md5(a.account_id || ':' || d.kind || ':' || d.g),
       a.tenant_id, a.user_id, a.account_id, a.provider_id, d.kind,
       md5('reference:' || a.account_id || ':' || d.kind || ':' || d.g),
       CASE d.kind {" ".join(dated)} END,
       d.payload,
       a.account_created_at,
       -- The first sync, a couple of minutes after the link.
       a.account_created_at + make_interval(mins => 2, secs => d.g / 1000.0),
       a.account_created_at + make_interval(mins => 2, secs => d.g / 1000.0)
FROM bench.read_api_accounts AS a
CROSS JOIN LATERAL ({" UNION ALL ".join(branches)}) AS d
WHERE a.j BETWEEN %(first)s AND %(last)s
"""


def fill_parameters(anchor: datetime, scale: Scale, main: str, other: str) -> dict[str, Any]:
    params: dict[str, Any] = {
        **WORDS,
        "retriable": RETRIABLE_ERRORS,
        "anchor": anchor,
        "span_days": 720,
        "users": scale.users,
        "other_every": OTHER_TENANT_EVERY,
        "heavy_every": HEAVY_EVERY,
        "main_tenant": main,
        "other_tenant": other,
    }
    for kind, payload in SAMPLE_PAYLOADS.items():
        params[f"tpl_{kind.value}"] = Jsonb(payload)
    return params


def bulk_session(conn: psycopg.Connection[Any]) -> None:
    """Session settings for a bulk load: nothing here outlives the connection."""
    conn.execute("SET synchronous_commit = off")
    conn.execute("SET maintenance_work_mem = '256MB'")
    conn.execute("SET work_mem = '64MB'")
    # The generator's cost estimates are large enough to trigger JIT compilation, which
    # costs about a second a statement and saves nothing here.
    conn.execute("SET jit = off")
    # Skips the foreign-key triggers (three lookups a data point); the generated rows are
    # consistent by construction, and check_consistency proves it after the load.
    try:
        conn.execute("SET session_replication_role = replica")
    except psycopg.errors.InsufficientPrivilege:
        conn.rollback()
    conn.commit()


async def create_tenants(url: str, now: datetime) -> tuple[Credentials, Credentials]:
    """Through the app's own service, so that the keys are issued and hashed as in production."""
    from sahod.db import create_engine, create_session_factory, session_scope
    from sahod.tenants.service import create_tenant

    engine = create_engine(url, pool_size=1)
    try:
        issued = []
        async with session_scope(create_session_factory(engine)) as session:
            for name in ("Bench Lender", "Bench Other Tenant"):
                keys = await create_tenant(session, name, TenantMode.PRODUCTION, now)
                issued.append(Credentials(keys.tenant_id, keys.api_key, keys.api_secret))
        return issued[0], issued[1]
    finally:
        await engine.dispose()


def timed(label: str) -> Callable[[Callable[[], int]], tuple[int, float]]:
    """Runs a step that returns a row count; prints and returns its count and seconds."""

    def run(step: Callable[[], int]) -> tuple[int, float]:
        started = time.perf_counter()
        rows = step()
        seconds = time.perf_counter() - started
        figures = f"{rows:>10,} rows, {rows / seconds:>9,.0f} rows/s" if rows else ""
        print(f"  {label:<30} {seconds:6.1f} s  {figures}".rstrip(), flush=True)
        return rows, seconds

    return run


def fill(url: str, scale: Scale, jobs: int) -> Manifest:
    started = time.perf_counter()
    anchor = datetime.now(UTC).replace(microsecond=0)
    print(f"filling {describe_url(url)}: {scale.counts()}", flush=True)
    with connect(url) as conn:
        # The (then empty) manifest table marks the database as the benchmark's from here
        # on, so that a fill that fails halfway can be retried.
        owned = conn.execute("SELECT to_regclass(%s)", (META_TABLE,)).fetchone() != (None,)
        if not owned and actual_counts(conn)["users"] > 0:
            raise SystemExit(
                f"{describe_url(url)} holds users this benchmark did not write; "
                "point --database-url at a database of its own"
            )
        conn.execute(_FUNCTIONS_SQL)
        conn.execute(f"CREATE TABLE IF NOT EXISTS {META_TABLE} (manifest jsonb NOT NULL)")
        conn.execute(f"DELETE FROM {META_TABLE}")
        # Cascades to every table that hangs off a tenant: keys, users, accounts, data.
        conn.execute("TRUNCATE tenants RESTART IDENTITY CASCADE")
        conn.commit()

    main, other = asyncio.run(create_tenants(url, anchor))
    params = fill_parameters(anchor, scale, main.tenant_id, other.tenant_id)

    with connect(url) as conn:
        bulk_session(conn)
        conn.execute("DROP TABLE IF EXISTS bench.read_api_users, bench.read_api_accounts")

        def plan() -> int:
            conn.execute(_USER_PLAN_SQL, params)
            conn.execute(_ACCOUNT_PLAN_SQL, params)
            conn.execute("CREATE INDEX ON bench.read_api_accounts (j)")
            conn.execute("ANALYZE bench.read_api_accounts")
            row = conn.execute(
                "SELECT sum(n_ident + n_doc + n_emp + n_inc + n_einc + n_lia),"
                " count(*) FILTER (WHERE has_data AND con_capable)"
                " FROM bench.read_api_accounts"
            ).fetchone()
            assert row is not None
            planned, capable = int(row[0]), int(row[1])
            base, extra = divmod(scale.datapoints - planned, capable)
            if base < 1:
                raise SystemExit(f"the plan leaves no room for contributions ({planned:,})")
            conn.execute(_PLAN_CONTRIBUTIONS_SQL, {"base": base, "extra": extra})
            conn.commit()
            return 0

        timed("planning")(plan)

        def users() -> int:
            count = conn.execute(_INSERT_USERS_SQL).rowcount
            conn.commit()
            return count

        def accounts() -> int:
            count = conn.execute(_INSERT_ACCOUNTS_SQL).rowcount
            conn.commit()
            return count

        timed("users")(users)
        timed("accounts")(accounts)

    timed(f"datapoints ({jobs} connections)")(lambda: insert_datapoints(url, scale, params, jobs))

    def finish() -> int:
        with connect(url, autocommit=True) as conn:
            check_consistency(conn, scale)
            # VACUUM as well as ANALYZE: sets the visibility map and hint bits now, as
            # autovacuum would have in a live database, instead of during the measurement.
            for table in ("tenants", "api_keys", "users", "accounts", "datapoints"):
                conn.execute(f"VACUUM (ANALYZE) {table}")
            conn.execute("DROP TABLE bench.read_api_users, bench.read_api_accounts")
        return 0

    timed("check, vacuum, analyze")(finish)

    seconds = time.perf_counter() - started
    manifest = Manifest(
        version=FILL_VERSION,
        counts=scale.counts(),
        main=main,
        other=other,
        filled_at=anchor.isoformat(),
        fill_seconds=round(seconds, 1),
    )
    with connect(url) as conn:
        conn.execute(f"INSERT INTO {META_TABLE} VALUES (%s)", (Jsonb(manifest.to_json()),))
    total = sum(scale.counts().values())
    print(f"  filled {total:,} rows in {seconds:.1f} s ({total / seconds:,.0f} rows/s)")
    return manifest


def insert_datapoints(url: str, scale: Scale, params: dict[str, Any], jobs: int) -> int:
    """In chunks of accounts, over ``jobs`` connections at once (the server has cores)."""
    statement = insert_datapoints_sql()
    chunk = max(1000, scale.accounts // 40)
    ranges = [
        (first, min(first + chunk - 1, scale.accounts))
        for first in range(1, scale.accounts + 1, chunk)
    ]
    done = {"rows": 0, "chunks": 0}
    lock = threading.Lock()
    started = time.perf_counter()

    def work(bounds: list[tuple[int, int]]) -> None:
        with connect(url) as conn:
            bulk_session(conn)
            for first, last in bounds:
                rows = conn.execute(statement, {**params, "first": first, "last": last}).rowcount
                conn.commit()
                with lock:
                    done["rows"] += rows
                    done["chunks"] += 1
                    if done["chunks"] % max(1, len(ranges) // 4) == 0:
                        elapsed = time.perf_counter() - started
                        print(
                            f"    {done['chunks']:>3}/{len(ranges)} chunks,"
                            f" {done['rows']:>10,} rows, {done['rows'] / elapsed:,.0f} rows/s",
                            flush=True,
                        )

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for future in [pool.submit(work, ranges[n::jobs]) for n in range(jobs)]:
            future.result()
    return done["rows"]


def check_consistency(conn: psycopg.Connection[Any], scale: Scale) -> None:
    """The counts asked for, and no row the skipped foreign keys would have refused."""
    counts = actual_counts(conn)
    if counts != scale.counts():
        raise SystemExit(f"the fill wrote {counts}, not {scale.counts()}")
    orphans = conn.execute(
        """SELECT
             (SELECT count(*) FROM accounts a WHERE NOT EXISTS
                (SELECT 1 FROM users u WHERE u.id = a.user_id AND u.tenant_id = a.tenant_id)),
             (SELECT count(*) FROM datapoints d WHERE NOT EXISTS
                (SELECT 1 FROM accounts a WHERE a.id = d.account_id AND a.user_id = d.user_id
                                            AND a.tenant_id = d.tenant_id))"""
    ).fetchone()
    if orphans != (0, 0):
        raise SystemExit(f"the fill wrote rows with no parent: {orphans}")
    # Every kind's sample rows must still be what the contract's payload model accepts.
    for kind, spec in SPECS.items():
        for (payload,) in conn.execute(
            "SELECT payload FROM datapoints TABLESAMPLE SYSTEM (1) WHERE kind = %s LIMIT 200",
            (kind.value,),
        ):
            spec.payload_model.model_validate(payload)


# ---------------------------------------------------------------------------------------
# What is measured
# ---------------------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    paths: list[str]
    expected_items: int | None
    """Items on every page (checked once before the load); None for the bare endpoint."""
    note: str = ""
    body_bytes: int = 0
    result: LoadResult | None = None


def prepare_targets(url: str, manifest: Manifest) -> tuple[list[Target], dict[str, Any]]:
    tenant = manifest.main.tenant_id
    with connect(url) as conn:
        per_user = conn.execute(
            """SELECT user_id, count(*) FROM datapoints
               WHERE tenant_id = %s AND kind = 'LIABILITIES' GROUP BY user_id""",
            (tenant,),
        ).fetchall()
        total_accounts = conn.execute(
            "SELECT count(*) FROM accounts WHERE tenant_id = %s", (tenant,)
        ).fetchone()
        assert total_accounts is not None
        accounts = int(total_accounts[0])
        pages = math.ceil(accounts / ACCOUNTS_PAGE)
        if pages < 2:
            raise SystemExit(f"{accounts} accounts make one page: there is no deep page")

        def cursor_before(page: int) -> str:
            """The nextCursor of page ``page - 1``: the seq of its last item, newest first."""
            row = conn.execute(
                "SELECT seq FROM accounts WHERE tenant_id = %s ORDER BY seq DESC OFFSET %s LIMIT 1",
                (tenant, (page - 1) * ACCOUNTS_PAGE - 1),
            ).fetchone()
            assert row is not None
            return encode_cursor(int(row[0]))

        other_user = conn.execute(
            "SELECT user_id FROM datapoints WHERE tenant_id = %s AND kind = 'LIABILITIES' LIMIT 1",
            (manifest.other.tenant_id,),
        ).fetchone()
        deepest_cursor = cursor_before(pages)
        before_deepest_cursor = cursor_before(pages - 1) if pages > 2 else None

    counts = sorted(n for _, n in per_user)
    # In a fixed shuffled order, so that consecutive requests ask for unrelated index ranges.
    heavy = sorted(
        (user for user, n in per_user if n >= LIABILITIES_PAGE), key=lambda u: hash_secret(u)
    )
    if not heavy:
        raise SystemExit("no user has 50 liabilities: the fill is too small")
    stats = {
        "tenantAccounts": accounts,
        "accountPages": pages,
        "usersWithLiabilities": len(counts),
        "liabilitiesPerUserMedian": counts[len(counts) // 2],
        "liabilitiesPerUserMax": counts[-1],
        "usersWith50Liabilities": len(heavy),
    }
    last_items = accounts - (pages - 1) * ACCOUNTS_PAGE
    targets = [
        Target("bare GET /healthz", ["/healthz"], None, "fixed body, same middleware"),
        Target(
            f"liabilities userId, size={LIABILITIES_PAGE}",
            [f"/v1/liabilities?userId={user}&size={LIABILITIES_PAGE}" for user in heavy],
            LIABILITIES_PAGE,
            f"{len(heavy):,} users with >= {LIABILITIES_PAGE} liabilities",
        ),
        Target(
            f"accounts page 1, size={ACCOUNTS_PAGE}",
            [f"/v1/accounts?size={ACCOUNTS_PAGE}"],
            min(ACCOUNTS_PAGE, accounts),
            "first page",
        ),
        Target(
            f"accounts page {pages:,}, size={ACCOUNTS_PAGE}",
            [f"/v1/accounts?size={ACCOUNTS_PAGE}&cursor={deepest_cursor}"],
            last_items,
            f"deepest page of {pages:,}",
        ),
    ]
    stats["beforeDeepestPath"] = (
        f"/v1/accounts?size={ACCOUNTS_PAGE}&cursor={before_deepest_cursor}"
        if before_deepest_cursor
        else None
    )
    stats["deepestCursor"] = deepest_cursor
    stats["otherTenantPath"] = (
        f"/v1/liabilities?userId={other_user[0]}&size={LIABILITIES_PAGE}" if other_user else None
    )
    return targets, stats


def check_targets(
    base_url: str, keys: Credentials, targets: list[Target], stats: dict[str, Any]
) -> None:
    """One request a target before the load: a wrong page would make fast figures meaningless."""
    headers = {"Authorization": keys.basic_header()}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30.0) as client:
        for target in targets:
            response = client.get(target.paths[0])
            if response.status_code != 200:
                raise SystemExit(
                    f"{target.paths[0]} answered {response.status_code}: {response.text}"
                )
            target.body_bytes = len(response.content)
            if target.expected_items is not None:
                items = response.json()["data"]["items"]
                if len(items) != target.expected_items:
                    raise SystemExit(
                        f"{target.paths[0]} gave {len(items)} items, not {target.expected_items}"
                    )
        # The deepest cursor computed in SQL is the one the API hands out on the page before,
        # and the deepest page is the last: as if the cursors had been walked.
        if stats["beforeDeepestPath"]:
            before = client.get(stats["beforeDeepestPath"]).json()["data"]
            assert before["nextCursor"] == stats["deepestCursor"], "deepest cursor mismatch"
        deepest = client.get(targets[-1].paths[0]).json()["data"]
        assert deepest["nextCursor"] is None, "the deepest page is not the last"
        # Tenant scoping: the other tenant's user has liabilities, none of them visible here.
        if stats["otherTenantPath"]:
            foreign = client.get(stats["otherTenantPath"]).json()["data"]["items"]
            assert foreign == [], "another tenant's data points are visible"


def measure(
    base_url: str,
    server_pid: int,
    keys: Credentials,
    targets: list[Target],
    generator: str,
    settings: LoadSettings,
) -> None:
    # The same Authorization header on every target, the bare one included, so that the
    # requests differ only in what the app does with them.
    headers = {"Authorization": keys.basic_header()}
    for number, target in enumerate(targets):
        print(f"  {target.name:<34} ", end="", flush=True)
        target.result = run_load(
            generator,
            base_url,
            target.paths,
            headers,
            settings,
            OUT_DIR / "read_api_load" / str(number),
            server_pid=server_pid,
        )
        result = target.result
        print(
            f"{result.rps:9,.0f} req/s  p50 {result.p50_ms:7.2f} ms  p99 {result.p99_ms:7.2f} ms"
            + (f"  app CPU {result.server_cpu:.2f}" if result.server_cpu is not None else "")
            + (f"  ERRORS {result.errors}" if result.errors else ""),
            flush=True,
        )


# ---------------------------------------------------------------------------------------
# EXPLAIN of the app's own queries (--explain)
# ---------------------------------------------------------------------------------------


async def app_statements(
    url: str, tenant_id: str, user_id: str, after_seq: int
) -> list[tuple[str, str, dict[str, Any]]]:
    """The SQL the repositories send for the measured lists, captured as they send it."""
    from sahod.accounts import repository as accounts_repository
    from sahod.datapoints import repository as datapoints_repository
    from sahod.datapoints.repository import DataPointFilter
    from sahod.kit.pagination import PageRequest

    captured: list[tuple[str, dict[str, Any]]] = []

    class Recording:
        """The driver connection the reads run on, noting each statement it is given."""

        def __init__(self, connection: psycopg.AsyncConnection[Any]) -> None:
            self.connection = connection

        async def execute(self, sql: bytes, params: dict[str, Any]) -> Any:
            captured.append((sql.decode(), dict(params)))
            return await self.connection.execute(sql, params)

    async with await psycopg.AsyncConnection.connect(libpq_url(url), autocommit=True) as driver:
        connection = cast(Any, Recording(driver))
        await datapoints_repository.list_datapoints_json(
            connection,
            tenant_id,
            DataPointKind.LIABILITIES,
            PageRequest(size=LIABILITIES_PAGE, after_seq=None),
            DataPointFilter(user_id=user_id),
        )
        await accounts_repository.list_accounts(
            connection,
            tenant_id,
            PageRequest(size=ACCOUNTS_PAGE, after_seq=after_seq),
            user_id=None,
            created_from=None,
            created_before=None,
        )
    # Only the two list queries: the engine's first connect runs a few statements of its own.
    lists = [(sql, params) for sql, params in captured if "LIMIT" in sql]
    names = ["liabilities of one user", "deepest accounts page"]
    return [(name, sql, params) for name, (sql, params) in zip(names, lists, strict=True)]


def _placeholder(names: list[str], match: re.Match[str]) -> str:
    """``%(name)s`` as the ``$n`` a PREPARE takes."""
    return f"${names.index(match.group(1)) + 1}"


def explain(url: str, manifest: Manifest, targets: list[Target], stats: dict[str, Any]) -> None:
    """Each query as the app runs it: a custom plan, then the generic plan that a prepared
    statement (psycopg prepares a query on its fifth run on a connection) may settle on."""
    user_id = targets[1].paths[0].split("userId=")[1].split("&")[0]
    padded = stats["deepestCursor"] + "=" * (-len(stats["deepestCursor"]) % 4)
    after_seq = int(base64.urlsafe_b64decode(padded).decode().split(":")[1])
    statements = asyncio.run(app_statements(url, manifest.main.tenant_id, user_id, after_seq))
    with connect(url, autocommit=True) as conn:
        cursor = ClientCursor(conn)
        for name, statement, params in statements:
            print(f"\n-- {name}\n{statement % {k: repr(v) for k, v in params.items()}}")
            print("-- custom plan:")
            for (line,) in cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", params):
                print("   ", line)
            names = list(params)
            numbered = re.sub(r"%\((\w+)\)s", partial(_placeholder, names), statement)
            cursor.execute("DEALLOCATE ALL")
            cursor.execute(f"PREPARE bench_q AS {numbered}")
            cursor.execute("SET plan_cache_mode = force_generic_plan")
            placeholders = ", ".join(["%s"] * len(names))
            print("-- generic plan:")
            for (line,) in cursor.execute(
                f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_q({placeholders})",
                [params[n] for n in names],
            ):
                print("   ", line)
            cursor.execute("RESET plan_cache_mode")


# ---------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--database-url",
        default=None,
        help="default: $SAHOD_BENCH_DATABASE_URL, else " + DEFAULT_DATABASE_URL
        + " (with --quick, that database's name + '_quick', so the full fill is kept)",
    )  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="1/20 of the rows, 5 s a target")
    parser.add_argument("--refill", action="store_true", help="fill even if the data matches")
    parser.add_argument("--duration", type=float, default=None, help="seconds a target (15)")
    parser.add_argument("--warmup", type=float, default=None, help="seconds before each (3)")
    parser.add_argument("--connections", type=int, default=32, help="concurrency (32)")
    parser.add_argument(
        "--api-workers", type=int, default=1,
        help="API processes (`sahod serve --workers N`; 1, the default, is one process)",
    )  # fmt: skip
    parser.add_argument(
        "--fill-jobs", type=int, default=min(2, os.cpu_count() or 1),
        help="connections inserting data points at once (2)",
    )  # fmt: skip
    parser.add_argument(
        "--load-generator", choices=["auto", "wrk", "python"], default="auto",
        help="auto (default): wrk when installed, else an asyncio client process",
    )  # fmt: skip
    parser.add_argument("--explain", action="store_true", help="EXPLAIN the measured queries")
    parser.add_argument(
        "--json", type=Path, default=None,
        help="where to write the figures (bench/out/read_api[_quick].json)",
    )  # fmt: skip
    return parser.parse_args()


def database_url(args: argparse.Namespace) -> str:
    if args.database_url:
        return str(args.database_url)
    url = os.environ.get("SAHOD_BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    if args.quick:
        url = with_database_name(url, f"{database_name(url)}_quick")
    return url


@contextmanager
def section(title: str) -> Iterator[None]:
    print(f"\n== {title}", flush=True)
    started = time.perf_counter()
    yield
    print(f"   ({time.perf_counter() - started:.1f} s)", flush=True)


def main() -> None:
    args = parse_args()
    scale = (
        Scale(FULL_USERS // 20, FULL_DATAPOINTS // 20)
        if args.quick
        else Scale(FULL_USERS, FULL_DATAPOINTS)
    )
    url = database_url(args)
    load = LoadSettings(
        connections=args.connections,
        duration=args.duration or (5.0 if args.quick else 15.0),
        warmup=args.warmup if args.warmup is not None else (1.0 if args.quick else 3.0),
    )
    generator = args.load_generator
    if generator == "auto":
        generator = "wrk" if wrk_binary() else "python"
    json_path = args.json or OUT_DIR / ("read_api_quick.json" if args.quick else "read_api.json")
    OUT_DIR.mkdir(parents=True, exist_ok=True)

    with section(f"database {describe_url(url)}"):
        if ensure_database(url):
            print("  created the database")
        migrate.upgrade(url)
        manifest, why_not = (None, "--refill") if args.refill else reusable_manifest(url, scale)
        reused = manifest is not None
        if manifest is not None:
            print(
                f"  reusing the fill of {manifest.filled_at} ({manifest.counts}; it took"
                f" {manifest.fill_seconds:.0f} s); --refill to fill again"
            )
        else:
            print(f"  filling: {why_not}")
            manifest = fill(url, scale, max(1, args.fill_jobs))

    targets, stats = prepare_targets(url, manifest)
    print(
        f"  tenant {manifest.main.tenant_id}: {stats['tenantAccounts']:,} accounts"
        f" ({stats['accountPages']:,} pages of {ACCOUNTS_PAGE}),"
        f" {stats['usersWith50Liabilities']:,} users with >= {LIABILITIES_PAGE} liabilities"
        f" (median {stats['liabilitiesPerUserMedian']} among"
        f" {stats['usersWithLiabilities']:,} users with any)"
    )
    if args.explain:
        with section("EXPLAIN"):
            explain(url, manifest, targets, stats)

    generator_name = load_generator_name(generator)
    with (
        section(
            f"load: {generator_name}, {load.connections} connections,"
            f" {load.warmup:g} s warm-up + {load.duration:g} s a target"
        ),
        served_app(
            url,
            log_path=OUT_DIR / "read_api_server.log",
            # All the load comes from one address: the abuse limits (sahod.limits, with
            # their own counters in PostgreSQL) would answer 429 or add their own cost;
            # this measures the read path, as the bare endpoint (outside them) is.
            extra_env={"SAHOD_RATE_LIMIT_PER_IP": "0", "SAHOD_AUTH_FAILURES_PER_MINUTE": "0"},
            api_workers=args.api_workers,
        ) as app,
    ):
        workers = f" --workers {args.api_workers}" if args.api_workers > 1 else ""
        print(f"  sahod serve --no-worker{workers} at {app.base_url} (pid {app.pid})")
        check_targets(app.base_url, manifest.main, targets, stats)
        started = time.perf_counter()
        measure(app.base_url, app.pid, manifest.main, targets, generator, load)
        stats["measureSeconds"] = round(time.perf_counter() - started, 1)
        # Other work on the machine skews the figures: our own share is about 2 (the app,
        # PostgreSQL, wrk), so a clearly higher 1-minute load means a busy machine.
        stats["loadAverage1m"] = round(os.getloadavg()[0], 2)

    report(args, url, scale, manifest, reused, stats, targets, generator_name, load, json_path)


def report(
    args: argparse.Namespace,
    url: str,
    scale: Scale,
    manifest: Manifest,
    reused: bool,
    stats: dict[str, Any],
    targets: list[Target],
    generator_name: str,
    load: LoadSettings,
    json_path: Path,
) -> None:
    bare = targets[0].result
    assert bare is not None
    headers = ["target", "req/s", "p50 ms", "p99 ms", "req/s ÷ bare", "p50 ÷ bare",
               "p99 ÷ bare", "app CPU", "items", "body", "note"]  # fmt: skip
    rows = []
    figures = []
    for target in targets:
        r = target.result
        assert r is not None
        ratios = (r.rps / bare.rps, r.p50_ms / bare.p50_ms, r.p99_ms / bare.p99_ms)
        rows.append(
            [
                target.name,
                f"{r.rps:,.0f}",
                f"{r.p50_ms:.2f}",
                f"{r.p99_ms:.2f}",
                f"{ratios[0]:.3f}",
                f"{ratios[1]:.2f}x",
                f"{ratios[2]:.2f}x",
                "-" if r.server_cpu is None else f"{r.server_cpu:.2f}",
                "-" if target.expected_items is None else str(target.expected_items),
                f"{target.body_bytes / 1024:.1f} KiB",
                target.note + (f"; {r.errors} ERRORS" if r.errors else ""),
            ]
        )
        figures.append(
            {
                "target": target.name,
                "path": target.paths[0],
                "distinctPaths": len(target.paths),
                "items": target.expected_items,
                "bodyBytes": target.body_bytes,
                "requests": r.requests,
                "seconds": round(r.seconds, 3),
                "errors": r.errors,
                "rps": round(r.rps, 1),
                "p50Ms": round(r.p50_ms, 3),
                "p90Ms": round(r.p90_ms, 3),
                "p99Ms": round(r.p99_ms, 3),
                "maxMs": round(r.max_ms, 3),
                "appCpuCores": None if r.server_cpu is None else round(r.server_cpu, 3),
                "rpsRatioToBare": round(ratios[0], 4),
                "p50RatioToBare": round(ratios[1], 3),
                "p99RatioToBare": round(ratios[2], 3),
            }
        )
    print()
    print(render_table(headers, rows))
    fill_line = (
        f"reused the fill of {manifest.filled_at} (it took {manifest.fill_seconds:.0f} s)"
        if reused
        else f"filled in {manifest.fill_seconds:.0f} s"
        f" ({sum(scale.counts().values()) / manifest.fill_seconds:,.0f} rows/s)"
    )
    print(
        f"\n{scale.users:,} users, {scale.accounts:,} accounts, {scale.datapoints:,} data points"
        f" ({100 - 100 // OTHER_TENANT_EVERY}% in the measured tenant); {fill_line}."
        f"\nload: {generator_name}, {load.connections} connections, {load.duration:g} s a"
        f" target after {load.warmup:g} s of warm-up; "
        + (
            f"`sahod serve --workers {args.api_workers}` ({args.api_workers} API processes);"
            if args.api_workers > 1
            else "one `sahod serve` process;"
        )
        + f" {os.cpu_count()} CPUs shared by the app, PostgreSQL and the load generator"
        f" (1-minute load average at the end: {stats['loadAverage1m']});"
        f" measuring took {stats['measureSeconds']:.0f} s."
    )
    document = {
        "benchmark": "read_api",
        "quick": bool(args.quick),
        "measuredAt": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": describe_url(url),
        "rows": scale.counts(),
        "fill": {
            "reused": reused,
            "filledAt": manifest.filled_at,
            "seconds": manifest.fill_seconds,
            "rowsPerSecond": round(sum(scale.counts().values()) / manifest.fill_seconds),
        },
        "data": {
            k: v
            for k, v in stats.items()
            if k not in ("beforeDeepestPath", "otherTenantPath", "measureSeconds", "loadAverage1m")
        },
        "load": {
            "seconds": stats["measureSeconds"],
            "loadAverage1mAtEnd": stats["loadAverage1m"],
            "generator": generator_name,
            "connections": load.connections,
            "apiProcesses": args.api_workers,
            "durationSeconds": load.duration,
            "warmupSeconds": load.warmup,
        },
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "targets": figures,
    }
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(document, indent=2) + "\n")
    print(f"figures written to {json_path}")


if __name__ == "__main__":
    main()
