"""Virtual Pag-IBIG, the Home Development Mutual Fund's member portal.

Its registration: catalogue entry, connector, agency, sandbox portal and logo.
"""

from __future__ import annotations

from pathlib import Path

from sahod.agencies.schedules import Agency
from sahod.datapoints.kinds import DataPointKind as K
from sahod.providers.pagibig.connector import PagibigConnector
from sahod.providers.pagibig.sandbox_portal import create_app
from sahod.providers.registration import ProviderInfo, ProviderRegistration

PROVIDER = ProviderRegistration(
    info=ProviderInfo(
        id="pagibig",
        name="Virtual Pag-IBIG",
        long_name="Home Development Mutual Fund (Pag-IBIG Fund)",
        login_label="E-mail address",
        login_kind="email",
        supported=(
            K.IDENTITIES,
            K.EMPLOYMENTS,
            K.DOCUMENTS,
            K.CONTRIBUTIONS,
            K.LIABILITIES,
            K.EINCOMES,
        ),
    ),
    connector=PagibigConnector,
    agency=Agency.PAGIBIG,
    sandbox_portal=create_app,
    logo=Path(__file__).with_name("logo.svg"),
)
