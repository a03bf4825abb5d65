from rest_framework.pagination import PageNumberPagination


class Page(PageNumberPagination):
    """?page=N, 20 a page (at most 100 with ?page_size=)."""

    page_size_query_param = "page_size"
    max_page_size = 100
