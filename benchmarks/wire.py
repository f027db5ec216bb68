"""A lean HTTP/1.1 load client over asyncio streams: keep-alive connections, no parsing
beyond the status line and Content-Length.

httpx costs about a millisecond of CPU per request; on a machine of two cores shared
with the server and PostgreSQL, the load generator would take the CPU it is meant to
measure. This client spends tens of microseconds per request, so the figures are the
server's. It speaks just enough HTTP for ``ledger serve`` (uvicorn always sends
Content-Length for these responses); it is a benchmark tool, not a general client.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> Answer:
        head = [f"{method} {path} HTTP/1.1", "Host: bench"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        if body or method == "POST":
            head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("the server closed the connection")
        status = int(status_line.split(b" ", 2)[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        return Answer(status, await self.reader.readexactly(length))

    def close(self) -> None:
        self.writer.close()


class Pool:
    """Connections reused as they come free; new ones opened while none is free.

    A connection left idle for ``IDLE`` seconds is closed here rather than reused: uvicorn
    closes a keep-alive connection after 5 s without a request, and a request written
    into one it has just closed fails ("the server closed the connection"). An open loop
    opens extra connections while the server stalls; when it is fast again the last-freed
    ones serve every request and those extra ones sit idle, so without this the failures
    were the client's (seen once reads got faster than the rate asked for)."""

    #: under uvicorn's default keep-alive timeout (5 s)
    IDLE = 4.0

    def __init__(self, host: str, port: int, limit: int) -> None:
        self.host, self.port = host, port
        #: free connections and when each was freed, the last freed last
        self.free: list[tuple[Connection, float]] = []
        self.opened = 0
        self.limit = limit
        self.available = asyncio.Condition()

    async def take(self) -> Connection:
        async with self.available:
            while not self.free and self.opened >= self.limit:
                await self.available.wait()
            stale = time.monotonic() - self.IDLE
            while self.free and self.free[0][1] < stale:  # the longest idle come first
                connection, _ = self.free.pop(0)
                connection.close()
                self.opened -= 1
            if self.free:
                return self.free.pop()[0]
            self.opened += 1
        return await Connection.open(self.host, self.port)

    async def give(self, connection: Connection | None) -> None:
        async with self.available:
            if connection is None:
                self.opened -= 1
            else:
                self.free.append((connection, time.monotonic()))
            self.available.notify()

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> Answer:
        connection = await self.take()
        try:
            answer = await connection.request(method, path, headers, body)
        except BaseException:
            connection.close()
            await self.give(None)
            raise
        await self.give(connection)
        return answer

    def close(self) -> None:
        for connection, _ in self.free:
            connection.close()
