"""My.SSS, the Social Security System's member portal.

Its registration: catalogue entry, connector, agency, sandbox portal and logo.
"""

from __future__ import annotations

from pathlib import Path

from sahod.agencies.schedules import Agency
from sahod.datapoints.kinds import DataPointKind as K
from sahod.providers.registration import ProviderInfo, ProviderRegistration
from sahod.providers.sss.connector import SssConnector
from sahod.providers.sss.sandbox_portal import create_app

PROVIDER = ProviderRegistration(
    info=ProviderInfo(
        id="sss",
        name="My.SSS",
        long_name="Social Security System",
        login_label="User ID, e-mail or SS number",
        login_kind="member_number_or_email",
        supported=(
            K.IDENTITIES,
            K.EMPLOYMENTS,
            K.DOCUMENTS,
            K.CONTRIBUTIONS,
            K.LIABILITIES,
            K.EINCOMES,
        ),
    ),
    connector=SssConnector,
    agency=Agency.SSS,
    sandbox_portal=create_app,
    logo=Path(__file__).with_name("logo.svg"),
)
