"""eGSIS Member Online, the Government Service Insurance System's member portal.

Its registration: catalogue entry, connector, agency, sandbox portal and logo.
"""

from __future__ import annotations

from pathlib import Path

from sahod.agencies.schedules import Agency
from sahod.datapoints.kinds import DataPointKind as K
from sahod.providers.gsis.connector import GsisConnector
from sahod.providers.gsis.sandbox_portal import create_app
from sahod.providers.registration import ProviderInfo, ProviderRegistration

PROVIDER = ProviderRegistration(
    info=ProviderInfo(
        id="gsis",
        name="eGSIS MO",
        long_name="Government Service Insurance System",
        login_label="E-mail address",
        login_kind="email",
        supported=(K.IDENTITIES, K.EMPLOYMENTS, K.DOCUMENTS, K.INCOMES, K.EINCOMES),
    ),
    connector=GsisConnector,
    agency=Agency.GSIS,
    sandbox_portal=create_app,
    logo=Path(__file__).with_name("logo.svg"),
)
