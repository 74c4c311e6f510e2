"""Keyset pagination: ``size`` and an opaque ``cursor``, the same on every list.

A cursor names the last row seen by its internal sequence number, so fetching page N
costs one index range scan, however large N is.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from sqlalchemy import BigInteger, Integer, Select, bindparam, func, literal_column, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import InstrumentedAttribute

from sahod.errors import InvalidParameters

DEFAULT_SIZE = 10
MAX_SIZE = 150
_CURSOR_PREFIX = "c1:"

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PageRequest:
    size: int
    after_seq: int | None


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        raise InvalidParameters("cursor is not a cursor this API returned") from None
    if not text.startswith(_CURSOR_PREFIX) or not text[len(_CURSOR_PREFIX) :].isdigit():
        raise InvalidParameters("cursor is not a cursor this API returned")
    return int(text[len(_CURSOR_PREFIX) :])


async def page_request(
    size: Annotated[
        int,
        Query(ge=1, le=MAX_SIZE, description="How many items a page holds (1 to 150)."),
    ] = DEFAULT_SIZE,
    cursor: Annotated[
        str | None,
        Query(max_length=200, description="The `nextCursor` of the previous page."),
    ] = None,
) -> PageRequest:
    # async: a plain def dependency would be sent to the thread pool on every list call.
    return PageRequest(size=size, after_seq=decode_cursor(cursor) if cursor else None)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: Sequence[T]
    next_cursor: str | None


def page_of(rows: Sequence[T], request: PageRequest, seq_of: Callable[[T], int]) -> Page[T]:
    """Rows were fetched with ``limit size + 1``; the extra row only says there is more."""
    if len(rows) > request.size:
        kept = rows[: request.size]
        return Page(items=kept, next_cursor=encode_cursor(seq_of(kept[-1])))
    return Page(items=rows, next_cursor=None)


def position_page(items: Sequence[T], request: PageRequest) -> Page[T]:
    """A page of a short list built in memory (the file types, the provider catalogue):
    its cursor is a position in the list, not a row's seq."""
    start = request.after_seq or 0
    end = start + request.size
    more = end < len(items)
    return Page(items=items[start:end], next_cursor=encode_cursor(end) if more else None)


SelectT = TypeVar("SelectT", bound=Select[Any])


def keyset(
    statement: SelectT, seq_column: InstrumentedAttribute[int], request: PageRequest
) -> SelectT:
    """Newest first; one row more than the page, to learn whether another page follows."""
    if request.after_seq is not None:
        statement = statement.where(seq_column < request.after_seq)
    return statement.order_by(seq_column.desc()).limit(request.size + 1)


def keyset_json(
    statement: Select[Any],
    seq_column: InstrumentedAttribute[int],
    json_column: InstrumentedAttribute[str],
    *,
    after: bool,
) -> Select[Any]:
    """The page of ``keyset`` as one row: its items' stored JSON joined by commas in page
    order (``items``, null when empty), the rows fetched (``fetched``: one more than the
    page says another follows) and the last item's ``seq``.

    ``statement`` keeps its WHERE (the tenant scope and filters); its columns are replaced.
    PostgreSQL does the joining, so Python never touches an item. The page itself comes
    in as parameters (``json_page_parameters``), so one statement, built once, serves
    every page of its shape (``after``: a cursor was given): building it costs more than
    running it.
    """
    position = func.row_number().over(order_by=seq_column.desc()).label("position")
    rows = statement.with_only_columns(seq_column.label("seq"), json_column.label("item"), position)
    if after:
        rows = rows.where(seq_column < bindparam("page_after_seq", type_=BigInteger))
    page_rows = (
        rows.order_by(seq_column.desc())
        .limit(bindparam("page_limit", type_=Integer))
        .subquery("page_rows")
    )
    on_page = page_rows.c.position <= bindparam("page_size", type_=Integer)
    return select(
        func.string_agg(
            page_rows.c.item, aggregate_order_by(literal_column("','"), page_rows.c.seq.desc())
        )
        .filter(on_page)
        .label("items"),
        func.count().label("fetched"),
        func.min(page_rows.c.seq).filter(on_page).label("last_seq"),
    )


def json_page_parameters(request: PageRequest) -> dict[str, int]:
    """The values of ``keyset_json``'s page parameters: as ``keyset``, one row more than
    the page, after the cursor's row."""
    parameters = {"page_size": request.size, "page_limit": request.size + 1}
    if request.after_seq is not None:
        parameters["page_after_seq"] = request.after_seq
    return parameters


@dataclass(frozen=True, slots=True)
class JsonPage:
    items_json: str
    """The items, comma-separated JSON objects (no brackets); empty for an empty page."""
    next_cursor: str | None


def json_page_of(row: Sequence[Any], request: PageRequest) -> JsonPage:
    """``keyset_json``'s row (``items``, ``fetched``, ``last_seq``) as a page."""
    items, fetched, last_seq = row[0], row[1], row[2]
    more = int(fetched) > request.size
    return JsonPage(
        items_json=items or "",
        next_cursor=encode_cursor(int(last_seq)) if more else None,
    )
