"""One supplier's listening socket on 127.0.0.1: closed for an outage, re-bound after.

Closing is synchronous, so the very next connection attempt after an outage is set is
refused. The listener owns its socket and serves it with the fleet's aiohttp protocol
factory (what ``aiohttp.web.SockSite`` does, but a site can only be stopped with an
``await``, which would leave a window in which a connection is still accepted).
"""

from __future__ import annotations

import asyncio
import logging
import socket

from aiohttp import web

__all__ = ["HOST", "Listener"]

HOST = "127.0.0.1"
BACKLOG = 512

log = logging.getLogger("scatterdash.fleet")


def bind(port: int) -> socket.socket:
    """A listening socket on HOST:port (port 0: any free port); OSError if taken."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        # lets the port be bound again while old connections sit in TIME_WAIT; Linux
        # still refuses a second listener on the same port
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, port))
        sock.listen(BACKLOG)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise OSError(exc.errno, f"cannot listen on {HOST}:{port}: {exc.strerror}") from None
    except BaseException:
        sock.close()
        raise
    return sock


class Listener:
    def __init__(self, port: int = 0) -> None:
        self.port = port
        self._web_server: web.Server | None = None
        self._sock: socket.socket | None = None
        """the socket being served, or about to be"""
        self._server: asyncio.Server | None = None
        self._unserved: socket.socket | None = None
        """a socket closed while its serving was under way: still bound, so reopening
        takes it back instead of binding the port a second time (EADDRINUSE)"""
        self._closed_servers: list[asyncio.Server] = []
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def listening(self) -> bool:
        return self._sock is not None

    def bind(self) -> None:
        """Reserve the port (for port 0: choose it). Connections queue until served."""
        if self._sock is None:
            self._sock = bind(self.port)
            self.port = self._sock.getsockname()[1]

    async def start(self, server: web.Server) -> None:
        """Serve the port with aiohttp's protocol factory ``server`` from now on."""
        self._web_server = server
        self.bind()
        sock = self._sock
        assert sock is not None
        await self._serve(sock)

    def reopen(self) -> None:
        """Re-bind the same port now; serving it starts on the next loop iteration."""
        if self._sock is not None:
            return
        if self._web_server is None:
            raise RuntimeError("the listener has not started")
        if self._unserved is not None:  # its serving task is still under way: it serves it
            self._sock, self._unserved = self._unserved, None
            return
        self.bind()
        task = asyncio.get_running_loop().create_task(self._serve(self._sock))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, sock: socket.socket | None) -> None:
        if sock is None or sock is not self._sock:  # closed again before it was served
            if sock is not None:
                self._give_up(sock)
            return
        assert self._web_server is not None
        loop = asyncio.get_running_loop()
        server = await loop.create_server(self._web_server, sock=sock, backlog=BACKLOG)
        if sock is not self._sock:
            self._retire(server)
            self._give_up(sock)
        else:
            self._server = server

    def _give_up(self, sock: socket.socket) -> None:
        if self._unserved is sock:
            self._unserved = None
        sock.close()

    def close(self, *, drop_connections: bool = True) -> None:
        """Stop listening now and (unless told not to) drop every open connection to
        this port."""
        sock, server = self._sock, self._server
        self._sock = self._server = None
        if server is not None:
            self._retire(server)
        elif sock is not None and not self._tasks:
            sock.close()  # bound, never served
        elif sock is not None:
            self._unserved = sock  # its serving task closes it, unless reopened first
        if drop_connections:
            self._drop_connections()

    def _retire(self, server: asyncio.Server) -> None:
        server.close()
        self._closed_servers.append(server)

    def _drop_connections(self) -> None:
        if self._web_server is None:
            return
        for handler in self._web_server.connections:
            transport = handler.transport
            if transport is None:
                continue
            sockname = transport.get_extra_info("sockname")
            if sockname is not None and sockname[1] == self.port:
                handler.force_close()  # as when a server dies: replies in flight are lost

    async def aclose(self) -> None:
        """Close, and wait until the listening sockets are released."""
        self.close(drop_connections=False)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        servers, self._closed_servers = self._closed_servers, []
        for server in servers:
            await server.wait_closed()
