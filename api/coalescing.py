"""uvicorn's httptools protocol with each response written to the socket once.

uvicorn writes a response's status line and headers, then its body, as two writes of
the transport, and the event loop sends each at once when nothing is queued: two
syscalls on the event loop (a profile of the steady payments: 61 and 26 µs, a tenth of
the interpreter's time a payment) and two packets for the client to wake up for. Here
the writes of one turn of the loop are joined and sent by one write at its next turn
(``call_soon``), before the connection is closed or handed to another protocol, and at
once when they reach ``AT_ONCE`` (a body streamed without a pause is held back by the
transport's flow control as before); everything else is the transport's.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ledger.logs import get_logger

#: queued bytes sent without waiting for the next turn (a response's head and a JSON
#: body are a few hundred bytes; a stream's chunks reach the transport's flow control)
AT_ONCE = 65_536


class CoalescingHttpTools(HttpToolsProtocol):
    """``HttpToolsProtocol`` on a transport that joins a turn's writes."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_Joined(transport, self.loop))


class _Joined(asyncio.Transport):
    """The methods uvicorn's HTTP protocol calls, the transport's but for ``write``
    (queued until the loop's next turn) and ``close`` (the queue sent first)."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._transport = transport
        self._loop = loop
        self._queued: list[bytes] = []
        self._size = 0

    def write(self, data: bytes | bytearray | memoryview[Any]) -> None:
        if not self._queued:
            self._loop.call_soon(self._flush)
        chunk = bytes(data)  # a bytearray or a view may change after the call
        self._queued.append(chunk)
        self._size += len(chunk)
        if self._size >= AT_ONCE:
            self._flush()

    def _flush(self) -> None:
        if not self._queued:
            return
        data = b"".join(self._queued)
        self._queued.clear()
        self._size = 0
        if self._transport.is_closing():
            return
        try:
            self._transport.write(data)
        except Exception as exc:  # the response is lost: the client must not wait for it
            get_logger().error("response_write_failed", error=str(exc))
            self._transport.abort()

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def abort(self) -> None:
        self._queued.clear()
        self._size = 0
        self._transport.abort()

    def write_eof(self) -> None:
        self._flush()
        self._transport.write_eof()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._transport.get_write_buffer_limits()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._flush()
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + self._size
