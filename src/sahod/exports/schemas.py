from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from sahod.kit.envelope import WireModel


class ExportExtensionType(StrEnum):
    PDF = "PDF"
    CSV = "CSV"


class AccountExportGenerate(WireModel):
    export_extension_type: ExportExtensionType = Field(
        description="PDF: a printable report; CSV: every data point of the account."
    )


class AccountExportOut(WireModel):
    id: str
    created_at: str
    account_id: str
    export_extension_type: ExportExtensionType
    md5: str = Field(description="MD5 of the file's bytes, hex.")
    download_url: str = Field(
        description="A signed link to the file; it works until the file expires."
    )
