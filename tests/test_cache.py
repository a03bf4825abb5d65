"""The portal's Redis cache backend (absher/cache.py): Django's, with one client a connection pool."""

import os

import pytest
import redis

from absher.cache import RedisCache

REDIS = os.environ.get("ABSHER_TEST_CACHE_REDIS", "redis://127.0.0.1:6379/7")


@pytest.fixture
def cache():
    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping()
    except redis.ConnectionError:
        if os.environ.get("CI"):
            pytest.fail(f"CI runs the cache tests against Redis at {REDIS}")
        pytest.skip(f"no Redis at {REDIS} (CI runs it)")
    backend = RedisCache(REDIS, {"KEY_PREFIX": "absher-cache-test"})
    backend.clear()
    yield backend
    backend.clear()


def test_one_client_serves_every_call_of_a_pool(cache):
    client = cache._cache
    assert client.get_client() is client.get_client()
    assert client.get_client(write=True) is client.get_client(write=False)  # one server: one pool
    assert client.get_client().connection_pool is client._pools[0]


def test_it_is_still_the_cache_the_sessions_and_throttles_use(cache):
    assert cache.get("missing") is None
    cache.set("session", {"user": 7}, 60)
    assert cache.get("session") == {"user": 7}
    assert cache.add("session", "other") is False
    assert cache.add("count", 1) is True
    assert cache.incr("count") == 2
    cache.delete("session")
    assert cache.get("session") is None
    assert cache.get_many(["count", "none"]) == {"count": 2}
