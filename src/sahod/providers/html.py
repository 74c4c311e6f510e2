"""Reading portal pages: forms, and tables read by header text rather than position."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser, LexborNode

from sahod.providers.base import PageNotUnderstood

# ---------------------------------------------------------------------------------------
# HTML: pages, forms, tables read by header text
# ---------------------------------------------------------------------------------------

_NOT_WORD = re.compile(r"[^0-9a-z%]+")
_CELLS = frozenset({"td", "th"})


def clean(text: str | None) -> str:
    """Collapse whitespace (portals pad cells with newlines and non-breaking spaces)."""
    # str.split() splits on every Unicode space, non-breaking ones included, as \s+ does,
    # at a fifth of a regular expression's cost; a My.SSS fetch cleans some 1,700 strings.
    return " ".join(text.split()) if text else ""


def header_key(text: str | None) -> str:
    """A label's identity for matching: case, punctuation and spacing do not count."""
    return _header_key(text) if text else ""


@lru_cache(maxsize=4096)
def _header_key(text: str) -> str:
    # The same few hundred labels and aliases, keyed ~400 times a My.SSS fetch: a
    # regular expression each time was a tenth of the fetch's CPU.
    return _NOT_WORD.sub(" ", clean(text).lower()).strip()


def node_text(node: LexborNode | None) -> str:
    return clean(node.text(separator=" ")) if node is not None else ""


@dataclass(frozen=True)
class Form:
    action: str
    """Absolute URL the form posts to."""
    fields: dict[str, str]
    """Hidden inputs, to send back as the portal expects (CSRF tokens and the like)."""
    inputs: dict[str, str]
    """Every named input and its type (``text``, ``email``, ``password``, ``checkbox``…)."""

    def first_of_type(self, *types: str) -> str | None:
        for name, kind in self.inputs.items():
            if kind in types:
                return name
        return None


class Page:
    """One HTML page as a connector reads it; ``name`` is how errors refer to it."""

    def __init__(self, name: str, url: str, html: str) -> None:
        self.name = name
        self.url = url
        self._html = html

    @cached_property
    def tree(self) -> LexborHTMLParser:
        # Parsed when first read, not when fetched: a fetch holds its pages until it has
        # all of them, and 200 fetches in flight holding ~3,000 parsed trees made every
        # parse twice as slow (page faults, cache misses). Parsing late keeps the live
        # trees to the few a fetch reads before its last pages arrive.
        return LexborHTMLParser(self._html)

    def release(self) -> None:
        """Drop the parsed tree once everything wanted is read (parsed again if asked)."""
        self.__dict__.pop("tree", None)

    def not_understood(self, what: str) -> PageNotUnderstood:
        return PageNotUnderstood(self.name, what)

    def texts(self, selector: str) -> list[str]:
        return [t for t in (node_text(n) for n in self.tree.css(selector)) if t]

    def find_form(self, *, with_input_type: str) -> Form | None:
        for node in self.tree.css("form"):
            inputs: dict[str, str] = {}
            fields: dict[str, str] = {}
            for field_node in node.css("input, select, textarea"):
                name = field_node.attributes.get("name")
                if not name:
                    continue
                kind = (field_node.attributes.get("type") or field_node.tag or "text").lower()
                inputs[name] = kind
                if kind == "hidden":
                    fields[name] = field_node.attributes.get("value") or ""
            if with_input_type in inputs.values():
                action = node.attributes.get("action") or self.url
                return Form(action=urljoin(self.url, action), fields=fields, inputs=inputs)
        return None

    def select_options(self, name: str) -> tuple[list[str], str | None]:
        """The values of a ``<select>``'s options, and the selected one."""
        values: list[str] = []
        selected: str | None = None
        for option in self.tree.css(f'select[name="{name}"] option'):
            value = clean(option.attributes.get("value") or option.text())
            values.append(value)
            if "selected" in option.attributes:
                selected = value
        return values, selected

    def table(
        self,
        columns: Mapping[str, Sequence[str]],
        *,
        optional: Iterable[str] = (),
        scope: LexborNode | None = None,
    ) -> list[dict[str, str]]:
        """The rows of the table whose headers carry ``columns``, keyed by our field names.

        ``columns`` maps a field to the header texts portals use for it. Columns are found
        by header text, so reordered, re-cased, padded or additional columns change
        nothing. A table lacking a required column is not the one we want; no such table
        on the page means the page is not what we expected, and that is an error.
        """
        wanted = {f: {header_key(a) for a in aliases} for f, aliases in columns.items()}
        needed = set(columns) - set(optional)
        for table in (scope or self.tree).css("table"):
            headers = _header_cells(table)
            positions: dict[str, int] = {}
            for index, text in enumerate(headers):
                key = header_key(text)
                for field_name, aliases in wanted.items():
                    if key in aliases and field_name not in positions:
                        positions[field_name] = index
            if not needed <= positions.keys():
                continue
            rows: list[dict[str, str]] = []
            width = len(headers)
            picked = list(positions.items())
            for tr in _row_candidates(table):
                # The row's own cells, walked once (a CSS query per row costs four times
                # as much, and a My.SSS fetch reads some 300 rows).
                cells: list[LexborNode] = []
                has_data = False
                for node in tr.iter():
                    tag = node.tag
                    if tag == "td":
                        has_data = True
                        cells.append(node)
                    elif tag == "th":
                        cells.append(node)
                if len(cells) < width or not has_data:
                    # A cell spanning the row ("No records found", a total), or a row of
                    # headers: not a record.
                    continue
                rows.append({f: clean(cells[i].text(separator=" ")) for f, i in picked})
            return rows
        missing = ", ".join(sorted(columns[f][0] for f in needed))
        raise self.not_understood(f"no table with the columns {missing}")

    def labelled_values(self, scope: LexborNode | None = None) -> dict[str, str]:
        """Label → value pairs from ``<dl>`` lists and two-cell ``<th>``/``<td>`` rows,
        keyed by ``header_key`` of the label."""
        found: dict[str, str] = {}
        root = scope or self.tree.body
        if root is None:
            return found
        for dl in root.css("dl"):
            label: str | None = None
            for node in dl.css("dt, dd"):
                if node.tag == "dt":
                    label = header_key(node_text(node))
                elif label is not None:
                    found.setdefault(label, node_text(node))
                    label = None
        for tr in root.css("tr"):
            cells = _cells(tr)
            th = [c for c in cells if c.tag == "th"]
            td = [c for c in cells if c.tag == "td"]
            if len(th) == 1 and len(td) == 1:
                found.setdefault(header_key(node_text(th[0])), node_text(td[0]))
        return found


class Values:
    """Labelled values read off a page, looked up by any of a field's known labels."""

    def __init__(self, page: Page, values: Mapping[str, str]) -> None:
        self.page = page
        self._values = values

    def __bool__(self) -> bool:
        return bool(self._values)

    def get(self, *labels: str) -> str | None:
        for label in labels:
            value = self._values.get(header_key(label))
            if value is not None:
                return None if value in {"", "-", "—", "N/A", "n/a"} else value
        return None

    def require(self, *labels: str) -> str:
        value = self.get(*labels)
        if value is None:
            raise self.page.not_understood(f"no '{labels[0]}' value")
        return value


def _header_cells(table: LexborNode) -> list[str]:
    head = table.css("thead tr")
    if head:
        return [node_text(c) for c in head[-1].css("th, td")]
    first = table.css_first("tr")
    if first is not None and first.css("th") and not first.css("td"):
        return [node_text(c) for c in first.css("th")]
    return []


def _row_candidates(table: LexborNode) -> list[LexborNode]:
    bodies = table.css("tbody")
    return [tr for body in bodies for tr in body.css("tr")] if bodies else table.css("tr")


def _cells(tr: LexborNode) -> list[LexborNode]:
    # A row's own cells, walked rather than selected: a CSS query per row costs four
    # times as much, and a My.SSS fetch walks some 300 rows.
    return [node for node in tr.iter() if node.tag in _CELLS]
