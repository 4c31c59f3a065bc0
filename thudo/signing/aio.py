"""Running pyHanko's coroutines from synchronous code, whatever the calling thread.

pyHanko's synchronous API calls ``asyncio.run()``, which fails in a thread where an event
loop is already running (an async caller, Playwright's sync API in a test). The
coroutine then runs to completion in a thread of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pyhanko") as pool:
        return pool.submit(asyncio.run, coroutine).result()
