"""Scatterdash's core: the scatter-gather engine, its strategies, breakers and transports.

Qt-free by contract (import-linter): the GUI, the CLI and the tests all build on this.
"""

from core._breaker import BreakerState, CircuitBreaker, Outcome
from core._comparator import PriceComparator
from core._comparison import Comparison, PricedQuote
from core._config import (
    STRATEGIES,
    BreakerSettings,
    Config,
    Defaults,
    StrategyName,
    SupplierConfig,
    load_config,
    parse_config,
)
from core._engine import Destination, ScatterGather, ScatterOutcome
from core._errors import (
    AllCircuitsOpenError,
    ComparisonError,
    ConfigError,
    InvalidReplyError,
    MinResponsesError,
    NoAvailableSupplierError,
    NoValidResponsesError,
    QuorumNotReachedError,
    ScatterdashError,
    TransportError,
)
from core._events import (
    BreakerTransition,
    CallResult,
    CallSent,
    ComparisonFinished,
    ComparisonStarted,
    Emitter,
    Event,
    ProbeCompleted,
)
from core._gc import tune_gc
from core._quotes import PriceRequest, Quote, QuoteCodec
from core._resources import resource
from core._results import Status, SupplierResult
from core._strategies import (
    AllStrategy,
    BestStrategy,
    Decision,
    FirstStrategy,
    Judging,
    MajorityStrategy,
    Strategy,
    make_strategy,
)
from core.health import HealthTracker, SupplierHealth
from core.storage import ComparisonHistory, export_comparison
from core.transports._base import Endpoint, Transport
from core.transports.http import HttpTransport

__all__ = [
    "STRATEGIES",
    "AllCircuitsOpenError",
    "AllStrategy",
    "BestStrategy",
    "BreakerSettings",
    "BreakerState",
    "BreakerTransition",
    "CallResult",
    "CallSent",
    "CircuitBreaker",
    "Comparison",
    "ComparisonError",
    "ComparisonFinished",
    "ComparisonHistory",
    "ComparisonStarted",
    "Config",
    "ConfigError",
    "Decision",
    "Defaults",
    "Destination",
    "Emitter",
    "Endpoint",
    "Event",
    "FirstStrategy",
    "HealthTracker",
    "HttpTransport",
    "InvalidReplyError",
    "Judging",
    "MajorityStrategy",
    "MinResponsesError",
    "NoAvailableSupplierError",
    "NoValidResponsesError",
    "Outcome",
    "PriceComparator",
    "PriceRequest",
    "PricedQuote",
    "ProbeCompleted",
    "QuorumNotReachedError",
    "Quote",
    "QuoteCodec",
    "ScatterGather",
    "ScatterOutcome",
    "ScatterdashError",
    "Status",
    "Strategy",
    "StrategyName",
    "SupplierConfig",
    "SupplierHealth",
    "SupplierResult",
    "Transport",
    "TransportError",
    "export_comparison",
    "load_config",
    "make_strategy",
    "parse_config",
    "resource",
    "tune_gc",
]
