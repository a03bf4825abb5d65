"""A page of a list without the COUNT when the list fits on its first page.

Django's Paginator counts the rows (a COUNT query) before it slices them, to number the pages. A
citizen's own lists (their requests, their travel record) mostly fit on one page: asking for one
row more than the page shows tells, when that row is missing, that this page is the only one and
how many rows there are, so the count is known without asking. When the extra row is there, the
count is asked for as Paginator would (one query each, as before: never more queries than it).
"""

from django.core.paginator import Page, Paginator


def page_of(queryset, per_page: int, number) -> Page:
    """Paginator(queryset, per_page).get_page(number), its object_list a list already."""
    paginator = Paginator(queryset, per_page)
    if number not in (None, "", "1"):
        page = paginator.get_page(number)
        page.object_list = list(page.object_list)
        return page
    rows = list(queryset[: per_page + 1])
    if len(rows) <= per_page:
        # count is a cached_property: setting it is what Paginator would have cached.
        paginator.count = len(rows)
    return Page(rows[:per_page], 1, paginator)
