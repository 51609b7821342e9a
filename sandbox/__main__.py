"""``python -m sandbox [--host H] [--port P]``: serve the Bot API stand-in until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

from sandbox.server import start_sandbox


async def _serve(host: str, port: int) -> None:
    """Run the sandbox until SIGINT or SIGTERM."""
    _, runner, bound = await start_sandbox(host, port)
    shown = f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{bound}"
    print(f"Telegram Bot API sandbox listening on {base}", flush=True)
    print(f"  point the bot at it:  TELEGRAM_API_BASE={base}  (any token like 123456:TEST)")
    print(f"  chat page:            {base}/")
    print(f"  control API:          {base}/api/sandbox/", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        # Not available on Windows, where Ctrl+C raises KeyboardInterrupt instead.
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve."""
    parser = argparse.ArgumentParser(
        prog="python -m sandbox", description="A local stand-in for the Telegram Bot API."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8081, help="port (0 picks a free one)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    # One access-log line per long poll would drown the violations.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.host, args.port))


if __name__ == "__main__":
    main()
