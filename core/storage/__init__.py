"""Storage: the comparison history (SQLite), what it serves (fallback, replay, the health
window's last minutes after a restart), exports."""

from core.storage._database import HistoryDatabase, HistoryUnavailable
from core.storage._export import export_comparison, write_history_csv, write_history_json
from core.storage._fallback import FallbackQuote, find_fallback
from core.storage._health import RecentHealth, read_recent_health, restore_health
from core.storage._paths import DATA_DIR_VARIABLE, data_dir, default_database_path, legacy_paths
from core.storage._recorder import HistoryRecorder
from core.storage._records import (
    ComparisonRecord,
    HistoryFilter,
    HistorySummary,
    OutcomeRecord,
    StoredComparison,
)
from core.storage._replay import recorded_comparison, replay, replay_document
from core.storage._service import HistoryService

__all__ = [
    "DATA_DIR_VARIABLE",
    "ComparisonRecord",
    "FallbackQuote",
    "HistoryDatabase",
    "HistoryFilter",
    "HistoryRecorder",
    "HistoryService",
    "HistorySummary",
    "HistoryUnavailable",
    "OutcomeRecord",
    "RecentHealth",
    "StoredComparison",
    "data_dir",
    "default_database_path",
    "export_comparison",
    "find_fallback",
    "legacy_paths",
    "read_recent_health",
    "recorded_comparison",
    "replay",
    "replay_document",
    "restore_health",
    "write_history_csv",
    "write_history_json",
]
