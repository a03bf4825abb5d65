"""Django's Redis cache, keeping one Redis client a connection pool.

Django's RedisCacheClient builds a new `redis.Redis` object for every cache call (its constructor
sets up a response-callback table of some hundred entries): a signed-in page reads its session
and the sign-in throttles through the cache, and the profile of a page under gunicorn showed
~0.7 ms of every request in those constructors. A client is only a handle on its pool, and the
pool is what holds connections (thread-safe), so one client a pool serves every call.
"""

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            if index not in self._pools:
                self._pools[index] = self._pool_class.from_url(self._servers[index], **self._pool_options)
            client = self._clients[index] = self._client(connection_pool=self._pools[index])
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
