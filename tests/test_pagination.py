"""absher.pagination.page_of: what Paginator.get_page shows, without its COUNT while one page holds all."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from absher.pagination import page_of

pytestmark = pytest.mark.django_db


def _shown(page):
    return (list(page.object_list), page.number, page.paginator.count, page.paginator.num_pages,
            page.has_previous(), page.has_next(), page.has_other_pages())


@pytest.mark.parametrize("number", [None, "", "1", "2", "3", "0", "word", "999"])
@pytest.mark.parametrize("per_page", [5, 10_000])
def test_the_same_page_as_the_paginator(number, per_page):
    rows = ContentType.objects.order_by("id")
    assert rows.count() > 10  # several pages of 5
    assert _shown(page_of(rows, per_page, number)) == _shown(Paginator(rows, per_page).get_page(number))


def test_a_list_that_fits_on_its_first_page_is_not_counted():
    rows = ContentType.objects.order_by("id")
    with CaptureQueriesContext(connection) as queries:
        page = page_of(rows, 10_000, None)
        assert page.paginator.num_pages == 1 and not page.has_other_pages()
    assert len(queries) == 1 and "COUNT" not in queries[0]["sql"]
    with CaptureQueriesContext(connection) as queries:
        page = page_of(ContentType.objects.none(), 10, None)
        assert page.paginator.count == 0 and list(page.object_list) == []
    assert len(queries) == 0
