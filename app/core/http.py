"""The HTTP/1.1 protocol `serve` runs: uvicorn's httptools parser, with a bounded head.

httptools (llhttp, in C) parses a request several times faster than h11 (pure Python),
which is most of what an answer costs once the application is quick (issue 13). But it
hands uvicorn a header only once the header is complete, buffering it meanwhile: a
client sending a 10 MB header would make the process hold 10 MB per connection.
`BoundedHttpToolsProtocol` feeds the parser at most `MAX_HEAD_BYTES` of a request's
head (request line and headers); a head still incomplete by then is answered 431 and
the connection closed, without reading the rest. Within the bound, the application
answers an `Authorization` header over 8 KiB with 431 problem+json
(`HeaderLimitMiddleware`).
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEAD_BYTES = 64 * 1024

_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"content-length: 36\r\n"
    b"connection: close\r\n"
    b"\r\n"
    b"The request's headers are too large."
)


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """httptools with a request head of at most `MAX_HEAD_BYTES` (see the module)."""

    _in_head = True  # reading a request's line and headers (or waiting for one)
    _head_bytes = 0

    def data_received(self, data: bytes) -> None:
        while data:
            if not self._in_head:
                super().data_received(data)
                return
            room = MAX_HEAD_BYTES - self._head_bytes
            if room <= 0:
                self._refuse_head()
                return
            chunk, data = data[:room], data[room:]
            self._head_bytes += len(chunk)
            super().data_received(chunk)
            if self.transport.is_closing():
                return

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head, self._head_bytes = True, 0

    def _refuse_head(self) -> None:
        # Debug only: a flood of such requests must not become a flood of log lines.
        self.logger.debug("Request head over %d bytes refused.", MAX_HEAD_BYTES)
        self.transport.write(_TOO_LARGE)
        self.transport.close()
