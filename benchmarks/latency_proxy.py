#!/usr/bin/env python3
"""A TCP relay that delays every chunk a client sends by a fixed time, so each request to the
server behind it (S3Proxy) waits a round trip as it would against a remote object store; replies
pass at once, in large reads (the relay's own CPU is shared with the tools it measures). Used by
benchmarks/compare-datamover.sh --latency-ms (docs/performance.md, "Object storage").

  latency_proxy.py LISTEN_PORT UPSTREAM_PORT DELAY_MS      (both on 127.0.0.1)

Prints "ready" once it listens. Counts the connections it accepted and prints their number and
the most open at once to stderr when stopped (SIGTERM or SIGINT).
"""
import asyncio
import signal
import sys

stats = {"accepted": 0, "open": 0, "max_open": 0}


async def pipe(reader, writer, delay, size):
    try:
        while True:
            data = await reader.read(size)
            if not data:
                break
            if delay:
                await asyncio.sleep(delay)
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


async def main(listen, upstream, delay):
    async def handle(client_reader, client_writer):
        stats["accepted"] += 1
        stats["open"] += 1
        stats["max_open"] = max(stats["max_open"], stats["open"])
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", upstream)
            await asyncio.gather(pipe(client_reader, up_writer, delay, 1 << 16),
                                 pipe(up_reader, client_writer, 0, 1 << 20), return_exceptions=True)
        finally:
            stats["open"] -= 1

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    server = await asyncio.start_server(handle, "127.0.0.1", listen)
    print("ready", flush=True)
    async with server:
        await stop.wait()
    print("connections %d, at most %d open" % (stats["accepted"], stats["max_open"]), file=sys.stderr, flush=True)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]) / 1000))
