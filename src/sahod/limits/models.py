from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sahod.db import Base


class RateCounter(Base):
    """Hits of one bucket (a client address, a key, a token…) in one fixed window.

    UNLOGGED: no WAL for a row written on every request; a crash empties it, which only
    forgives the last few seconds of counting."""

    __tablename__ = "rate_counters"
    __table_args__ = ({"prefixes": ("UNLOGGED",)},)

    bucket: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
