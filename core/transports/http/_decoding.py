"""Content decoding of reply bodies, chunk by chunk, under a cap on the decoded size.

gzip (one member or several), deflate as zlib data (RFC 9110) or raw deflate (what some
servers send instead), identity. A compressed body that stops before its end is
``invalid``: a truncated quote must never parse as a shorter one.
"""

from __future__ import annotations

import zlib

from core._errors import InvalidReplyError

__all__ = ["CappedDecoder"]

_GZIP = zlib.MAX_WBITS | 16
_ZLIB = zlib.MAX_WBITS
_RAW_DEFLATE = -zlib.MAX_WBITS


class CappedDecoder:
    """Decodes one body, refusing to produce more than ``cap`` bytes."""

    def __init__(self, encoding: str, cap: int) -> None:
        self.cap = cap
        self.size = 0
        encoding = encoding.strip().lower()
        self._wbits: int | None
        if encoding in ("", "identity"):
            self._wbits = None
        elif encoding in ("gzip", "x-gzip"):
            self._wbits = _GZIP
        elif encoding == "deflate":
            self._wbits = _ZLIB
        else:
            raise InvalidReplyError(f"unsupported content encoding {encoding[:32]!r}")
        self._zlib = zlib.decompressobj(self._wbits) if self._wbits is not None else None
        self._started = False
        self._fed = b""  # zlib "deflate" input until output starts, to replay as raw deflate
        #: compressed bytes taken in: deflate never grows data by more than a few bytes a
        #: block, so past twice the cap it is a stream that decodes to little or nothing
        #: (empty blocks), which would otherwise run until the call's timeout
        self.compressed = 0
        self._compressed_cap = 2 * cap + 1024

    def feed(self, chunk: bytes) -> bytes:
        if self._zlib is None:
            return self._count(chunk)
        self.compressed += len(chunk)
        if self.compressed > self._compressed_cap:
            raise InvalidReplyError(f"compressed reply larger than {self._compressed_cap} bytes")
        out = self._inflate(chunk)
        # gzip allows several members back to back; each needs a fresh decompressor
        while self._wbits == _GZIP and self._zlib.eof and self._zlib.unused_data:
            rest = self._zlib.unused_data
            self._zlib = zlib.decompressobj(_GZIP)
            out += self._inflate(rest)
        return out

    def finish(self) -> bytes:
        """The end of the body: a compressed stream must have reached its own end."""
        if self._zlib is None or not self._started:
            return b""
        if not self._zlib.eof:
            raise InvalidReplyError("truncated compressed body")
        return self._count(self._zlib.flush())

    def _inflate(self, chunk: bytes) -> bytes:
        assert self._zlib is not None
        if chunk:
            self._started = True
        if self._wbits == _ZLIB and self.size == 0:
            self._fed += chunk
        try:
            # ask for one byte more than the cap allows: enough to know it is too large
            out = self._zlib.decompress(chunk, self.cap - self.size + 1)
        except zlib.error as exc:
            if self._wbits == _ZLIB and self.size == 0:
                # "deflate" without the zlib wrapper: start again as raw deflate
                fed, self._fed = self._fed, b""
                self._wbits = _RAW_DEFLATE
                self._zlib = zlib.decompressobj(_RAW_DEFLATE)
                return self._inflate(fed)
            raise InvalidReplyError(f"corrupt compressed body: {exc}") from None
        if out:
            self._fed = b""
        return self._count(out)

    def _count(self, out: bytes) -> bytes:
        self.size += len(out)
        if self.size > self.cap:
            raise InvalidReplyError(f"reply larger than {self.cap} bytes")
        return out
