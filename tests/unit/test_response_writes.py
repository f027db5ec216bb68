"""A response's writes joined into one (``api/coalescing.py``): the writes of a turn of
the event loop reach the socket's transport as one write at the next turn, in order,
and nothing queued is lost or sent after the connection is closed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from ledger.api.coalescing import AT_ONCE, _Joined


class Transport(asyncio.Transport):
    """A socket's transport as the protocol sees it: what it was asked to send."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[bytes] = []
        self.closed = False
        self.aborted = False
        self.reading = True
        self.refuse = False
        self.protocol: Any = None

    def write(self, data: Any) -> None:
        if self.refuse:
            raise RuntimeError("the handle is closed")
        self.sent.append(bytes(data))

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self.protocol = protocol

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 5000)}.get(name, default)

    def get_write_buffer_size(self) -> int:
        return 0


def joined(body: Callable[[_Joined, Transport], None]) -> Transport:
    """Runs ``body(joined, socket)`` on a loop (the joined transport and the socket's
    beneath it) and then one more turn of it."""
    transport = Transport()

    async def run() -> None:
        body(_Joined(transport, asyncio.get_running_loop()), transport)
        await asyncio.sleep(0)  # the next turn

    asyncio.run(run())
    return transport


def test_a_responses_head_and_body_written_in_one_turn_are_sent_as_one_write() -> None:
    def respond(t: _Joined, socket: Transport) -> None:
        t.write(b"HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\n")
        t.write(memoryview(b"{}"))
        assert t.get_write_buffer_size() > 0  # queued, not sent yet

    transport = joined(respond)

    assert transport.sent == [b"HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\n{}"]


def test_writes_of_two_turns_are_two_writes_in_order() -> None:
    transport = Transport()

    async def run() -> None:
        t = _Joined(transport, asyncio.get_running_loop())
        t.write(b"a")
        await asyncio.sleep(0)
        t.write(b"b")
        t.write(b"c")
        await asyncio.sleep(0)

    asyncio.run(run())

    assert transport.sent == [b"a", b"bc"]


def test_closing_sends_what_is_queued_first() -> None:
    def respond_and_close(t: _Joined, socket: Transport) -> None:
        t.write(b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n")
        t.close()
        assert t.is_closing()

    transport = joined(respond_and_close)

    assert transport.sent == [b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n"]
    assert transport.closed


def test_nothing_is_sent_after_the_connection_closed_or_was_aborted() -> None:
    def lost(t: _Joined, socket: Transport) -> None:
        t.write(b"late")
        socket.close()  # the peer went away before the next turn

    def aborted(t: _Joined, socket: Transport) -> None:
        t.write(b"dropped")
        t.abort()

    assert joined(lost).sent == []
    gone = joined(aborted)
    assert gone.sent == []
    assert gone.aborted


def test_another_protocol_taking_the_connection_gets_it_after_what_was_queued() -> None:
    new = asyncio.Protocol()

    def upgrade(t: _Joined, socket: Transport) -> None:
        t.write(b"HTTP/1.1 101 Switching Protocols\r\n\r\n")
        t.set_protocol(new)
        assert socket.sent == [b"HTTP/1.1 101 Switching Protocols\r\n\r\n"]  # at once

    transport = joined(upgrade)

    assert transport.sent == [b"HTTP/1.1 101 Switching Protocols\r\n\r\n"]
    assert transport.protocol is new


def test_the_transports_other_answers_are_the_sockets() -> None:
    def ask(t: _Joined, socket: Transport) -> None:
        assert t.get_extra_info("peername") == ("127.0.0.1", 5000)
        assert t.get_extra_info("sslcontext") is None

    joined(ask)


def test_a_bytearray_changed_after_it_was_written_is_sent_as_it_was() -> None:
    def reuse(t: _Joined, socket: Transport) -> None:
        buffer = bytearray(b"first")
        t.write(buffer)
        buffer[:] = b"later"

    assert joined(reuse).sent == [b"first"]


def test_writes_reaching_the_bound_are_sent_at_once_for_the_transports_flow_control() -> None:
    chunk = b"x" * (AT_ONCE // 2)

    def stream(t: _Joined, socket: Transport) -> None:
        t.write(b"head")
        t.write(chunk)
        assert socket.sent == []
        t.write(chunk)  # the bound reached: sent in this turn
        assert socket.sent == [b"head" + chunk + chunk]
        t.write(b"tail")

    assert joined(stream).sent == [b"head" + chunk + chunk, b"tail"]


def test_a_write_the_socket_refuses_aborts_the_connection_instead_of_leaving_it_open() -> None:
    def refused(t: _Joined, socket: Transport) -> None:
        socket.refuse = True
        t.write(b"HTTP/1.1 201 Created\r\n\r\n")

    transport = joined(refused)

    assert transport.aborted
    assert transport.sent == []


def test_reading_is_paused_and_resumed_on_the_socket() -> None:
    def pause(t: _Joined, socket: Transport) -> None:
        t.pause_reading()
        assert not socket.reading
        t.resume_reading()
        assert socket.reading

    joined(pause)
