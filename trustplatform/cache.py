"""Django's Redis cache, with Redis errors read as a miss: the cache is an optimisation only.

When Redis is down or slow (the socket timeouts in settings), a read finds nothing and a write
keeps nothing, logged, and the page carries on; nothing that must be remembered is kept here
(sessions and sign-in lockouts live in PostgreSQL).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def _unavailable(operation: str, error: RedisError) -> None:
    logger.warning("cache %s skipped: Redis unavailable (%s)", operation, type(error).__name__)


class ForgivingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        """One client per connection pool, made once: Django makes a new one on each call, and
        a redis client fills a table of some 170 reply parsers as it is made (about 0.4 ms of
        CPU per recorded concern). A client over a pool is safe to share between threads."""
        # Django's own private helpers (not in its type stubs): which pool, and the pool itself.
        index: int = self._get_connection_pool_index(write)  # type: ignore[attr-defined]
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
            client = self._clients[index] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client

    def add(self, key: Any, value: Any, timeout: Any) -> bool:
        try:
            return bool(super().add(key, value, timeout))
        except RedisError as error:
            _unavailable("add", error)
            return False

    def get(self, key: Any, default: Any) -> Any:
        try:
            return super().get(key, default)
        except RedisError as error:
            _unavailable("get", error)
            return default

    def set(self, key: Any, value: Any, timeout: Any) -> None:
        try:
            super().set(key, value, timeout)
        except RedisError as error:
            _unavailable("set", error)

    def touch(self, key: Any, timeout: Any) -> bool:
        try:
            return bool(super().touch(key, timeout))
        except RedisError as error:
            _unavailable("touch", error)
            return False

    def delete(self, key: Any) -> bool:
        try:
            return bool(super().delete(key))
        except RedisError as error:
            _unavailable("delete", error)
            return False

    def get_many(self, keys: Any) -> dict[Any, Any]:
        try:
            return dict(super().get_many(keys))
        except RedisError as error:
            _unavailable("get_many", error)
            return {}

    def has_key(self, key: Any) -> bool:
        try:
            return bool(super().has_key(key))
        except RedisError as error:
            _unavailable("has_key", error)
            return False

    def incr(self, key: Any, delta: int) -> int:
        try:
            return int(super().incr(key, delta))
        except RedisError as error:
            _unavailable("incr", error)
            return delta

    def set_many(self, data: Any, timeout: Any) -> None:
        try:
            super().set_many(data, timeout)
        except RedisError as error:
            _unavailable("set_many", error)

    def delete_many(self, keys: Any) -> None:
        try:
            super().delete_many(keys)
        except RedisError as error:
            _unavailable("delete_many", error)

    def clear(self) -> bool:
        try:
            return bool(super().clear())
        except RedisError as error:
            _unavailable("clear", error)
            return False


class ForgivingRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ForgivingRedisCacheClient
