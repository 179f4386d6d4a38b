"""Storage: the history of finished comparisons, and exports of one comparison."""

from core.storage._history import ComparisonHistory, export_comparison

__all__ = ["ComparisonHistory", "export_comparison"]
