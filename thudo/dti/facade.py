"""What other modules (and the demo builder) may call in the DTI module."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["demo_build"]


def demo_build(
    *,
    codes: Mapping[str, str],
    say: Callable[[str], None] = lambda _line: None,
    officials: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Load the shipped frameworks and the demo's rounds into the demo city (idempotent);
    ``codes`` maps the demo's agency keys to agency codes. Returns what credentials.json
    shows under ``"dti"``; ``officials`` is the demo's plan (standing body, council, the
    units that self-assess and who does it)."""
    from thudo.dti import demo

    return demo.build(codes=codes, say=say, officials=officials)
