"""Scatterdash's core: the scatter-gather engine, its strategies, breakers and transports.

Qt-free by contract (import-linter): the GUI, the CLI and the tests all build on this.
"""

import os

# Before numpy loads (core.health and pyqtgraph import it): Scatterdash's numpy work is on
# small arrays, and OpenBLAS's worker threads, idle between calls, spin on a CPU the event
# loop needs (perf under tests/bench/bench_gui.py --sustained: ~2 % of the GUI's core).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from core._addresses import host_port, public_url
from core._breaker import BreakerState, CircuitBreaker, Outcome
from core._broker_config import display_address, mask_url
from core._comparator import MAX_QUANTITY, PriceComparator
from core._comparison import Comparison, PricedQuote
from core._config import (
    STRATEGIES,
    BreakerSettings,
    Config,
    Defaults,
    FallbackSettings,
    HealthSettings,
    HistorySettings,
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
from core._file_limit import lift_file_limit
from core._gc import tune_gc
from core._progress import ProgressCounts
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
from core.health import (
    HealthMonitor,
    HealthStore,
    HealthTracker,
    HealthWindow,
    MemoryHealthStore,
    SupplierHealth,
    WindowStats,
)
from core.storage import (
    FallbackQuote,
    HistoryDatabase,
    HistoryFilter,
    HistoryRecorder,
    HistoryService,
    HistorySummary,
    HistoryUnavailable,
    StoredComparison,
    export_comparison,
)
from core.transports._base import Endpoint, Transport
from core.transports.http import HttpTransport

__all__ = [
    "MAX_QUANTITY",
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
    "ComparisonStarted",
    "Config",
    "ConfigError",
    "Decision",
    "Defaults",
    "Destination",
    "Emitter",
    "Endpoint",
    "Event",
    "FallbackQuote",
    "FallbackSettings",
    "FirstStrategy",
    "HealthMonitor",
    "HealthSettings",
    "HealthStore",
    "HealthTracker",
    "HealthWindow",
    "HistoryDatabase",
    "HistoryFilter",
    "HistoryRecorder",
    "HistoryService",
    "HistorySettings",
    "HistorySummary",
    "HistoryUnavailable",
    "HttpTransport",
    "InvalidReplyError",
    "Judging",
    "MajorityStrategy",
    "MemoryHealthStore",
    "MinResponsesError",
    "NoAvailableSupplierError",
    "NoValidResponsesError",
    "Outcome",
    "PriceComparator",
    "PriceRequest",
    "PricedQuote",
    "ProbeCompleted",
    "ProgressCounts",
    "QuorumNotReachedError",
    "Quote",
    "QuoteCodec",
    "ScatterGather",
    "ScatterOutcome",
    "ScatterdashError",
    "Status",
    "StoredComparison",
    "Strategy",
    "StrategyName",
    "SupplierConfig",
    "SupplierHealth",
    "SupplierResult",
    "Transport",
    "TransportError",
    "WindowStats",
    "display_address",
    "export_comparison",
    "host_port",
    "lift_file_limit",
    "load_config",
    "make_strategy",
    "mask_url",
    "parse_config",
    "public_url",
    "resource",
    "tune_gc",
]
