from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from sahod.datapoints.kinds import DataPointKind
from sahod.datapoints.schemas import DataPointMetadata
from sahod.kit.envelope import WireModel


class TaskType(StrEnum):
    LINK_ACCOUNT = "LINK_ACCOUNT"
    UPDATE_ACCOUNT = "UPDATE_ACCOUNT"
    # Reading an uploaded archive (sahod.archives): classifying it is part of the same
    # run, so Sahod never opens the contract's CLASSIFY_ARCHIVE on its own.
    ANALYZE_ARCHIVE = "ANALYZE_ARCHIVE"


class TaskStatus(StrEnum):
    STARTED = "Started"
    FINISHED = "Finished"


class TaskOutcome(StrEnum):
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class TaskOut(WireModel):
    id: str
    type: Literal["LINK_ACCOUNT", "ANALYZE_ARCHIVE", "CLASSIFY_ARCHIVE", "UPDATE_ACCOUNT"]
    started_at: datetime
    finished_at: datetime | None
    status: Literal["Started", "Finished"]
    datapoints: list[DataPointKind]
    metadata: DataPointMetadata
