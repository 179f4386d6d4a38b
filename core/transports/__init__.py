"""Transports: how a request body reaches one destination and its reply comes back.

``_base`` holds the interface every transport implements; each transport lives in a
module (or package) of its own, and is the only place that imports its client library.
"""

from core.transports._base import EagerTransport, Endpoint, Transport
from core.transports.http import HttpTransport

__all__ = ["EagerTransport", "Endpoint", "HttpTransport", "Transport"]
