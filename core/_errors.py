"""Scatterdash's exceptions.

    ScatterdashError
    ├── ConfigError                 a config file (or CLI value) is unusable
    ├── TransportError              a supplier call failed before a valid reply
    │   └── InvalidReplyError       a reply arrived but is not acceptable
    └── ComparisonError             a comparison ended undecided (carried in its result)
        ├── NoValidResponsesError
        ├── QuorumNotReachedError
        ├── MinResponsesError
        ├── NoAvailableSupplierError
        └── AllCircuitsOpenError

Every message is one line: it is shown as is in the CLI, the GUI and JSON output.
"""

from __future__ import annotations

__all__ = [
    "AllCircuitsOpenError",
    "ComparisonError",
    "ConfigError",
    "InvalidReplyError",
    "MinResponsesError",
    "NoAvailableSupplierError",
    "NoValidResponsesError",
    "QuorumNotReachedError",
    "ScatterdashError",
    "TransportError",
]


def one_line(text: str) -> str:
    """Fold whitespace so a message never spans lines."""
    return " ".join(text.split())


class ScatterdashError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(one_line(message))

    @property
    def message(self) -> str:
        return str(self)


class ConfigError(ScatterdashError):
    """A config file, or a value given on the command line, is unusable."""


class TransportError(ScatterdashError):
    """A supplier call failed: refused, reset, HTTP error status, broker error…"""


class InvalidReplyError(TransportError):
    """A reply arrived but is malformed, of the wrong shape, implausible or too large."""


class ComparisonError(ScatterdashError):
    """Why a comparison stayed undecided."""


class NoValidResponsesError(ComparisonError):
    def __init__(self) -> None:
        super().__init__("no valid responses received")


class QuorumNotReachedError(ComparisonError):
    def __init__(self, required: int, best_agreement: int) -> None:
        self.required = required
        self.best_agreement = best_agreement
        super().__init__(
            f"quorum not reached: required {required}, best agreement {best_agreement}"
        )


class MinResponsesError(ComparisonError):
    def __init__(self, required: int, received: int) -> None:
        self.required = required
        self.received = received
        super().__init__(f"too few valid responses: required {required}, received {received}")


class NoAvailableSupplierError(ComparisonError):
    def __init__(self, product_id: str) -> None:
        self.product_id = product_id
        super().__init__(f"no available supplier for product {product_id}")


class AllCircuitsOpenError(ComparisonError):
    def __init__(self) -> None:
        super().__init__("all circuit breakers are open")
