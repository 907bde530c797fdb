#!/usr/bin/env python3
"""A TCP proxy that delays every chunk a client sends by a fixed time, so each request to the
server behind it (S3Proxy) waits a round trip as it would against a remote object store; replies
pass at once. Used to measure qcow2-restore's behaviour under request latency
(docs/performance.md, "Object storage").

  latency_proxy.py LISTEN_PORT UPSTREAM_PORT DELAY_MS      (both on 127.0.0.1)
"""
import asyncio
import sys


async def pipe(reader, writer, delay):
    try:
        while True:
            data = await reader.read(1 << 16)
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
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", upstream)
        await asyncio.gather(pipe(client_reader, up_writer, delay), pipe(up_reader, client_writer, 0),
                             return_exceptions=True)

    server = await asyncio.start_server(handle, "127.0.0.1", listen)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]) / 1000))
