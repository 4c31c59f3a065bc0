"""What other modules (and the demo builder) may call in the open-data portal."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["demo_build", "indicators_publish"]


def demo_build(
    *,
    codes: Mapping[str, str],
    say: Callable[[str], None] = lambda _line: None,
    officials: Mapping[str, str] | None = None,
    base_url: str = "",
) -> dict[str, Any]:
    """Themes, publishers, datasets with loaded tables, the Decree 47 list and the
    published indicators of the demo city (idempotent); ``codes`` maps the demo's agency
    keys to agency codes. Returns what credentials.json shows under ``"opendata"``."""
    from thudo.opendata import demo

    return demo.build(codes=codes, say=say, officials=officials, base_url=base_url)


def indicators_publish() -> int:
    """Publish the reporting module's approved indicators as open data now (the platform
    acting); returns how many indicator datasets are published."""
    from thudo.opendata import services

    return len(services.indicators_publish(actor=None))
