"""Per-consumer rate limits (token bucket) and a circuit breaker per upstream."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


class TokenBucket:
    """In-process buckets: right for one process; use RedisTokenBucket for several."""

    def __init__(self, *, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._state: dict[str, tuple[float, float]] = {}

    async def take(self, key: str) -> float:
        """0 when allowed, else the seconds to wait before a token is available."""
        now = time.monotonic()
        tokens, last = self._state.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        if tokens >= 1:
            self._state[key] = (tokens - 1, now)
            return 0.0
        self._state[key] = (tokens, now)
        return (1 - tokens) / self.rate


# Atomic refill-and-take in Redis, shared by every gateway process.
_LUA = """
local tokens = tonumber(redis.call('HGET', KEYS[1], 't') or ARGV[2])
local last = tonumber(redis.call('HGET', KEYS[1], 'l') or ARGV[3])
local rate, burst, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
tokens = math.min(burst, tokens + math.max(0, now - last) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 't', tokens, 'l', now)
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return tostring(wait)
"""


class RedisTokenBucket:
    def __init__(self, *, url: str, rate: float, burst: int) -> None:
        import redis.asyncio as redis

        self.rate = rate
        self.burst = burst
        self._redis: Any = redis.from_url(url)
        self._script = self._redis.register_script(_LUA)

    async def take(self, key: str) -> float:
        wait = await self._script(
            keys=[f"thudo:rate:{key}"], args=[self.rate, self.burst, time.time()]
        )
        return float(wait)


@dataclass
class _Circuit:
    failures: int = 0
    open_until: float = 0.0
    probing: bool = False


@dataclass
class CircuitBreaker:
    """Opens after ``threshold`` consecutive failures of an upstream, for ``cooldown``
    seconds; then lets one request through to probe, and closes when it succeeds."""

    threshold: int
    cooldown: float
    _circuits: dict[int, _Circuit] = field(default_factory=dict)

    def retry_after(self, upstream: int) -> float:
        """0 when a request may go, else seconds until the circuit half-opens."""
        circuit = self._circuits.get(upstream)
        if circuit is None or circuit.failures < self.threshold:
            return 0.0
        now = time.monotonic()
        if now < circuit.open_until:
            return circuit.open_until - now
        if circuit.probing:
            return self.cooldown
        circuit.probing = True
        return 0.0

    def success(self, upstream: int) -> None:
        self._circuits.pop(upstream, None)

    def failure(self, upstream: int) -> None:
        circuit = self._circuits.setdefault(upstream, _Circuit())
        circuit.failures += 1
        circuit.probing = False
        if circuit.failures >= self.threshold:
            circuit.open_until = time.monotonic() + self.cooldown
