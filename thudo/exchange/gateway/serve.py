"""Run the gateway on its own: ``python -m thudo.exchange.gateway.serve --port 8001``.

``make demo`` serves it together with the rest of the platform (config/asgi.py); a
deployment can also run it as a separate, stateless tier.
"""

from __future__ import annotations

import argparse
import os


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Thủ Đô Số exchange gateway")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")  # noqa: TID251
    import uvicorn

    uvicorn.run(
        "thudo.exchange.gateway.asgi:application",
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
