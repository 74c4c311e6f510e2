from __future__ import annotations

from sahod.kit.pagination import PageRequest, decode_cursor, position_page


def test_a_short_list_is_walked_page_by_page_to_its_end() -> None:
    items = list("abcde")
    seen: list[str] = []
    after: int | None = None
    while True:
        page = position_page(items, PageRequest(size=2, after_seq=after))
        seen += page.items
        if page.next_cursor is None:
            break
        after = decode_cursor(page.next_cursor)
    assert seen == items


def test_a_page_that_ends_the_list_has_no_next_cursor() -> None:
    assert position_page(list("ab"), PageRequest(size=2, after_seq=None)).next_cursor is None
    assert list(position_page(list("ab"), PageRequest(size=5, after_seq=9)).items) == []
