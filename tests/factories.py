"""Rows for read-side tests, written through the ORM (the linking pipeline comes later)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.accounts.models import Account
from sahod.accounts.schemas import ConnectionStatus, MonitorStatus
from sahod.datapoints.kinds import DataPointKind
from sahod.datapoints.models import DataPoint
from sahod.datapoints.registry import SPECS
from sahod.files import service as files_service
from sahod.files.models import StoredFile
from sahod.kit.crypto import Sealer
from sahod.kit.ids import ACCOUNT, TASK, new_id, random_hex
from sahod.providers.base import Credentials
from sahod.runtime import Runtime
from sahod.sync.service import link_account
from sahod.tasks.models import Task
from sahod.tasks.schemas import TaskOutcome, TaskStatus, TaskType
from sahod.users.models import User

SAMPLE_PAYLOADS: dict[DataPointKind, dict[str, Any]] = {
    DataPointKind.IDENTITIES: {
        "fullName": "George Cimafranca Palomero, Jr",
        "firstName": "George",
        "middleName": "Cimafranca",
        "lastName": "Palomero",
        "suffix": "Jr",
        "gender": "Male",
        "dob": "1970-08-24",
        "maritalStatus": "Married",
        "countryResidence": "PH",
        "citizenship": "Citizen",
        "photoUrl": None,
        "referenceId": "33-0000000-8",
        "profileUrl": None,
        "emails": [{"address": "gpalomero1234@smileapi.io", "type": "Primary"}],
        "phones": [{"number": "+639559991234", "type": "Mobile"}],
        "socialProfiles": [],
        "addresses": [
            {
                "fullAddress": "12 Maybunga St, Pasig City, NCR, 1600, PH",
                "line1": "12 Maybunga St",
                "line2": None,
                "city": "Pasig City",
                "region": "NCR",
                "zip": "1600",
                "country": "PH",
                "latitude": None,
                "longitude": None,
                "type": "Primary",
                "tags": [],
            }
        ],
    },
    DataPointKind.EMPLOYMENTS: {
        "name": None,
        "jobTitle": None,
        "department": None,
        "employeeNumber": None,
        "employerNumber": "03-9876543-2",
        "employer": "ABC Corporation",
        "status": "Active",
        "startDate": "2016-02-24",
        "endDate": None,
        "reportedDate": "2016-03-01",
    },
    DataPointKind.INCOMES: {
        "workItem": None,
        "employer": "Department of Education",
        "startDate": "2024-06-01",
        "endDate": "2024-06-30",
        "currency": "PHP",
        "frequency": "Monthly",
        "baseAmount": 30024.0,
        "grossAmount": 30024.0,
        "netAmount": None,
    },
    DataPointKind.EINCOMES: {
        "month": "2024-06",
        "currency": "PHP",
        "baseAmount": 20000.0,
        "amount": 20000.0,
    },
    DataPointKind.CONTRIBUTIONS: {
        "date": "2024-06-30",
        "currency": "PHP",
        "amount": 2800.0,
        "referenceId": "PRN-2024-06",
    },
    DataPointKind.DOCUMENTS: {
        "name": "SS Number Slip",
        "docId": "33-0000000-8",
        "status": "VALID",
        "documentType": "IDENTIFICATION",
        "issueDate": "2010-01-15",
        "expiryDate": None,
        "fileUrl": None,
        "remarks": None,
    },
    DataPointKind.LIABILITIES: {
        "type": "Salary Loan",
        "referenceId": "SL201601011234567",
        "startDate": "2022-10-06",
        "endDate": "2024-10-06",
        "firstAmortizationDate": "2022-12-06",
        "amortizationFrequency": "Monthly",
        "currency": "PHP",
        "loanAmount": 16000.0,
        "amortizationAmount": 738.32,
        "outstandingBalance": 14599.76,
        "nextPaymentAmount": 738.32,
        "overduePaymentAmount": 0.0,
    },
}


async def make_user(session: AsyncSession, tenant_id: str, created_at: datetime) -> User:
    user = User(
        id=f"{tenant_id}-{random_hex()}",
        tenant_id=tenant_id,
        external_metadata={},
        created_at=created_at,
    )
    session.add(user)
    await session.flush()
    return user


async def make_account(
    session: AsyncSession,
    user: User,
    created_at: datetime,
    *,
    provider_id: str = "sss",
    status: str = "CONNECTED",
    monitor: str = "ACTIVE",
) -> Account:
    account = Account(
        id=new_id(ACCOUNT),
        tenant_id=user.tenant_id,
        user_id=user.id,
        provider_id=provider_id,
        login_name="gpalomero1234@smileapi.io",
        created_at=created_at,
        connection_status=ConnectionStatus(status),
        connection_updated_at=created_at,
        monitor_status=MonitorStatus(monitor),
        monitor_updated_at=created_at if monitor == "ACTIVE" else None,
    )
    session.add(account)
    await session.flush()
    return account


def effective_date(kind: DataPointKind, payload: dict[str, Any]) -> date | None:
    field = SPECS[kind].date_field
    if field is None or payload.get(field) is None:
        return None
    value = str(payload[field])
    return date.fromisoformat(value + "-01" if len(value) == 7 else value)


async def make_datapoint(
    session: AsyncSession,
    account: Account,
    kind: DataPointKind,
    created_at: datetime,
    **overrides: Any,
) -> DataPoint:
    payload = {**SAMPLE_PAYLOADS[kind], **overrides}
    SPECS[kind].payload_model.model_validate(payload)  # test data must be contract-shaped
    datapoint = DataPoint(
        id=new_id(kind.id_prefix),
        tenant_id=account.tenant_id,
        user_id=account.user_id,
        account_id=account.id,
        provider_id=account.provider_id,
        kind=kind.value,
        reference=random_hex(),
        effective_date=effective_date(kind, payload),
        payload=payload,
        account_created_at=account.created_at,
        created_at=created_at,
        updated_at=created_at,
    )
    session.add(datapoint)
    await session.flush()
    return datapoint


async def make_task(session: AsyncSession, account: Account, started_at: datetime) -> Task:
    task = Task(
        id=new_id(TASK),
        tenant_id=account.tenant_id,
        user_id=account.user_id,
        account_id=account.id,
        provider_id=account.provider_id,
        account_created_at=account.created_at,
        type=TaskType.LINK_ACCOUNT,
        status=TaskStatus.FINISHED,
        outcome=TaskOutcome.SUCCEEDED,
        datapoints=[k.value for k in DataPointKind],
        started_at=started_at,
        finished_at=started_at + timedelta(seconds=3),
    )
    session.add(task)
    await session.flush()
    return task


async def seed_connected_user(
    session: AsyncSession, tenant_id: str, now: datetime
) -> tuple[User, Account, dict[DataPointKind, DataPoint]]:
    """One user with one connected SSS account holding one data point of every kind."""
    user = await make_user(session, tenant_id, now - timedelta(days=2))
    account = await make_account(session, user, now - timedelta(days=1))
    points = {kind: await make_datapoint(session, account, kind, now) for kind in DataPointKind}
    await make_task(session, account, now - timedelta(hours=1))
    await session.commit()
    return user, account, points


async def link_and_commit(
    session: AsyncSession,
    *,
    tenant_id: str,
    user_id: str,
    provider_id: str,
    credentials: Credentials,
    sealer: Sealer,
    now: datetime,
) -> tuple[Account, str]:
    """An account linked as the Link API links it, committed, and its LINK_ACCOUNT task's
    id: what a test needs to run the pipeline on it."""
    account = await link_account(
        session,
        tenant_id=tenant_id,
        user_id=user_id,
        provider_id=provider_id,
        credentials=credentials,
        sealer=sealer,
        now=now,
    )
    await session.commit()
    task_id = (
        await session.execute(select(Task.id).where(Task.account_id == account.id))
    ).scalar_one()
    return account, task_id


async def store_file(
    session: AsyncSession,
    runtime: Runtime,
    tenant_id: str,
    now: datetime,
    *,
    name: str,
    file_format: str,
    data: bytes,
    owner_id: str,
) -> StoredFile:
    """One file through the files service into ``runtime``'s store, kept 60 days (as an
    archive's or an export's are); not committed."""
    [row] = await files_service.store_files(
        session,
        runtime.extras,
        runtime.settings,
        tenant_id=tenant_id,
        owner_id=owner_id,
        files=[files_service.NewFile(name=name, format=file_format, data=data)],
        now=now,
        expires_at=now + timedelta(days=60),
    )
    return row
