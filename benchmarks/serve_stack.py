"""``ledger serve`` (one process) with uvicorn's HTTP parser and event loop named, for
``bench_api --phases stack``: the same app on h11 + asyncio (uvicorn's pure-Python
defaults, the baseline) and on httptools + uvloop (what it picks by itself when they are
installed, as the lock installs them); ``--http joined`` is httptools as ``ledger
serve`` runs it, each response written to the socket once (``api/coalescing.py``).

    python -m benchmarks.serve_stack --port 8765 --http h11 --loop asyncio
"""

from __future__ import annotations

import argparse

import uvicorn

from ledger.api.app import create_app
from ledger.api.coalescing import CoalescingHttpTools
from ledger.settings import Settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--http", choices=("auto", "h11", "httptools", "joined"), default="auto")
    parser.add_argument("--loop", choices=("auto", "asyncio", "uvloop"), default="auto")
    args = parser.parse_args(argv)
    uvicorn.run(
        create_app(Settings()),
        host="127.0.0.1",
        port=args.port,
        access_log=False,
        http=CoalescingHttpTools if args.http == "joined" else args.http,
        loop=args.loop,
    )


if __name__ == "__main__":
    main()
