"""A stand-in for the OpenShift OAuth proxy on 127.0.0.1: it forwards every connection to the
app and adds ``X-Forwarded-User`` (and, given one, ``X-Forwarded-Access-Token``) to the request
that opens it, as the real proxy does for the signed-in user — including the WebSocket upgrade
Streamlit reads ``st.context.headers`` from. (A browser's own extra headers do not reach
WebSocket upgrades in every Chromium release.)

    with UserProxy(app_port, "alice@example.com") as url:
        page.goto(url)
"""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType


class UserProxy:
    """Forwards ``127.0.0.1:<port>`` to the app, signing each connection's first request."""

    def __init__(self, target_port: int, user: str, access_token: str | None = None) -> None:
        self.target_port = target_port
        self.header = f"X-Forwarded-User: {user}\r\n".encode()
        if access_token is not None:  # --pass-access-token: the signed-in user's OAuth token
            self.header += f"X-Forwarded-Access-Token: {access_token}\r\n".encode()
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self._server: asyncio.Server | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> str:
        self._thread.start()
        self._ready.wait(10)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()

    async def _shutdown(self) -> None:
        """Close the listener and every open connection before the loop stops."""
        if self._server is not None:
            self._server.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self._server = self.loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self.loop.run_forever()

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            head = await client_r.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            client_w.close()
            return
        line_end = head.index(b"\r\n") + 2
        head = head[:line_end] + self.header + head[line_end:]
        app_r, app_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        app_w.write(head)
        await asyncio.gather(self._pipe(client_r, app_w), self._pipe(app_r, client_w))

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
