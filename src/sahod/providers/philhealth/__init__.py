"""My PhilHealth Portal, the Philippine Health Insurance Corporation's member portal.

Its registration: catalogue entry, connector, agency, sandbox portal and logo.
"""

from __future__ import annotations

from pathlib import Path

from sahod.agencies.schedules import Agency
from sahod.datapoints.kinds import DataPointKind as K
from sahod.providers.philhealth.connector import PhilhealthConnector
from sahod.providers.philhealth.sandbox_portal import create_app
from sahod.providers.registration import ProviderInfo, ProviderRegistration

PROVIDER = ProviderRegistration(
    info=ProviderInfo(
        id="philhealth",
        name="My PhilHealth Portal",
        long_name="Philippine Health Insurance Corporation",
        login_label="E-mail address",
        login_kind="email",
        supported=(K.IDENTITIES, K.EMPLOYMENTS, K.DOCUMENTS, K.CONTRIBUTIONS, K.EINCOMES),
    ),
    connector=PhilhealthConnector,
    agency=Agency.PHILHEALTH,
    sandbox_portal=create_app,
    logo=Path(__file__).with_name("logo.svg"),
)
