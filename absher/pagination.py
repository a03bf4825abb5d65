"""A page of a list without the COUNT when the list fits on its first page.

Django's Paginator counts the rows (a COUNT query) before it slices them, to number the pages. A
citizen's own lists (their requests, their travel record) mostly fit on one page: asking for one
row more than the page shows tells, when that row is missing, that this page is the only one and
how many rows there are, so the count is known without asking. When the extra row is there, the
count is asked for as Paginator would (one query each, as before: never more queries than it).
"""

from django.core.paginator import Page, Paginator


def page_of(queryset, per_page: int, number, *, row=None) -> Page:
    """Paginator(queryset, per_page).get_page(number), its object_list a list already: of
    `row(item)` for each item of the page when `row` is given (plain rows from `.values()`, shaped
    as the page reads them), else of the items."""
    paginator = Paginator(queryset, per_page)
    if number not in (None, "", "1"):
        page = paginator.get_page(number)
        items = list(page.object_list)
    else:
        items = list(queryset[: per_page + 1])
        if len(items) <= per_page:
            # count is a cached_property: setting it is what Paginator would have cached.
            paginator.count = len(items)
        items = items[:per_page]
        page = Page(items, 1, paginator)
    page.object_list = [row(item) for item in items] if row else items
    return page
