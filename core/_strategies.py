"""Aggregation strategies: decide as early as possible, from results as they arrive.

A strategy sees each :class:`SupplierResult` the moment it arrives (``offer``) and says
whether it has decided; the engine then cancels the stragglers. When every queried
destination has finished, or the deadline has passed, ``conclude`` gives the decision on
what arrived. Strategies are generic over the reply type: a :class:`Judging` says which
replies may win, how to rank them and what a vote agrees on.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from core._errors import (
    ComparisonError,
    MinResponsesError,
    NoValidResponsesError,
    QuorumNotReachedError,
)
from core._results import SupplierResult

__all__ = [
    "AllStrategy",
    "BestStrategy",
    "Decision",
    "FirstStrategy",
    "Judging",
    "MajorityStrategy",
    "Strategy",
    "make_strategy",
]

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Judging(Generic[R]):
    usable: Callable[[R], bool]
    """may this reply win at all (e.g. the product is in stock)?"""
    rank: Callable[[SupplierResult[R]], Any]
    """sort key, best first"""
    agreement: Callable[[R], Hashable]
    """what ``majority`` votes on"""
    unavailable: Callable[[], ComparisonError]
    """the error when valid replies arrived but none is usable"""


@dataclass(frozen=True, slots=True)
class Decision(Generic[R]):
    """``winner`` for first/majority/best; ``ranked`` (every valid reply) for all."""

    winner: SupplierResult[R] | None = None
    ranked: tuple[SupplierResult[R], ...] | None = None
    error: ComparisonError | None = None

    @property
    def decided(self) -> bool:
        return self.error is None


def _valid(results: Sequence[SupplierResult[R]]) -> list[SupplierResult[R]]:
    return [r for r in results if r.ok and r.reply is not None]


class Strategy(ABC, Generic[R]):
    name: str
    waits_for_all = False
    """True when only every reply (or the deadline) can decide"""

    def __init__(self, judging: Judging[R]) -> None:
        self.judging = judging
        self.queried = 0
        self.seen = 0

    def begin(self, queried: int) -> None:
        """Called once, with the number of destinations actually called."""
        self.queried = queried

    @property
    def remaining(self) -> int:
        """Results still to come."""
        return self.queried - self.seen

    def offer(self, result: SupplierResult[R]) -> bool:
        """Take one result as it arrives; True once the outcome is settled (a winner, or
        no way left to get one), so the engine can stop waiting."""
        self.seen += 1
        return self._take(result)

    def _take(self, result: SupplierResult[R]) -> bool:
        return False

    def rank_of(self, result: SupplierResult[R]) -> Any:
        """``result``'s rank by the judging (lower is better)."""
        return self.judging.rank(result)

    @property
    def cut_off_reason(self) -> str:
        """Why the calls still in flight are cancelled once :meth:`offer` has settled."""
        return "cancelled: the strategy had decided"

    @abstractmethod
    def conclude(self, results: Sequence[SupplierResult[R]]) -> Decision[R]:
        """Decide on what arrived (every queried destination has a result by now)."""

    def _usable(self, valid: list[SupplierResult[R]]) -> list[SupplierResult[R]]:
        return [r for r in valid if r.reply is not None and self.judging.usable(r.reply)]

    def _no_winner(self, valid: list[SupplierResult[R]]) -> ComparisonError:
        return self.judging.unavailable() if valid else NoValidResponsesError()


class _Waiting(Strategy[R]):
    """Strategies that wait for every reply, with a floor on how many must be valid."""

    waits_for_all = True

    def __init__(self, judging: Judging[R], min_responses: int = 1) -> None:
        super().__init__(judging)
        self.min_responses = min_responses
        self.valid = 0
        # each valid reply's rank, taken while the others are still on their way: the
        # ranking after the last reply then costs a lookup per reply, not a rank
        self._ranks: dict[int, tuple[Any, SupplierResult[R]]] = {}

    def _take(self, result: SupplierResult[R]) -> bool:
        if result.ok and result.reply is not None:
            self.valid += 1
            self._ranks[id(result)] = (self.judging.rank(result), result)
        # waiting longer cannot bring enough valid replies any more
        return self.valid + self.remaining < self.min_responses

    def rank_of(self, result: SupplierResult[R]) -> Any:
        known = self._ranks.get(id(result))
        return known[0] if known is not None else self.judging.rank(result)

    @property
    def cut_off_reason(self) -> str:
        return "cancelled: min responses out of reach"

    def _too_few(self, valid: list[SupplierResult[R]]) -> ComparisonError | None:
        if len(valid) < self.min_responses:
            if not valid:
                return NoValidResponsesError()
            return MinResponsesError(self.min_responses, len(valid))
        return None


class AllStrategy(_Waiting[R]):
    """Every valid reply (usable or not), ranked; waits for all or the deadline."""

    name = "all"

    def conclude(self, results: Sequence[SupplierResult[R]]) -> Decision[R]:
        valid = _valid(results)
        error = self._too_few(valid)
        if error is not None:
            return Decision(error=error)
        return Decision(ranked=tuple(sorted(valid, key=self.rank_of)))


class BestStrategy(_Waiting[R]):
    """The best-ranked usable reply; waits for all or the deadline."""

    name = "best"

    def conclude(self, results: Sequence[SupplierResult[R]]) -> Decision[R]:
        valid = _valid(results)
        error = self._too_few(valid)
        if error is not None:
            return Decision(error=error)
        usable = self._usable(valid)
        if not usable:
            return Decision(error=self._no_winner(valid))
        return Decision(winner=min(usable, key=self.rank_of))


class FirstStrategy(Strategy[R]):
    """The first usable reply to arrive."""

    name = "first"

    def __init__(self, judging: Judging[R]) -> None:
        super().__init__(judging)
        self.winner: SupplierResult[R] | None = None

    def _take(self, result: SupplierResult[R]) -> bool:
        usable = result.ok and result.reply is not None and self.judging.usable(result.reply)
        if self.winner is None and usable:
            self.winner = result
        return self.winner is not None

    def conclude(self, results: Sequence[SupplierResult[R]]) -> Decision[R]:
        if self.winner is not None:
            return Decision(winner=self.winner)
        return Decision(error=self._no_winner(_valid(results)))


class MajorityStrategy(Strategy[R]):
    """The first agreement that ``quorum`` usable replies reach; its earliest reply wins.

    The default quorum is more than half of the destinations actually queried.
    """

    name = "majority"

    def __init__(self, judging: Judging[R], quorum: int | None = None) -> None:
        super().__init__(judging)
        self.requested_quorum = quorum
        self.quorum = quorum or 1
        self._votes: Counter[Hashable] = Counter()
        self._earliest: dict[Hashable, SupplierResult[R]] = {}
        self.winner: SupplierResult[R] | None = None

    def begin(self, queried: int) -> None:
        super().begin(queried)
        self.quorum = self.requested_quorum or queried // 2 + 1

    def _take(self, result: SupplierResult[R]) -> bool:
        if self.winner is not None:
            return True
        if result.ok and result.reply is not None and self.judging.usable(result.reply):
            key = self.judging.agreement(result.reply)
            self._votes[key] += 1
            self._earliest.setdefault(key, result)
            if self._votes[key] >= self.quorum:
                self.winner = self._earliest[key]
                return True
        # even if every reply still to come agreed with the largest group, too few
        return self.best_agreement + self.remaining < self.quorum

    @property
    def cut_off_reason(self) -> str:
        if self.winner is None:
            return "cancelled: quorum out of reach"
        return "cancelled: the strategy had decided"

    @property
    def best_agreement(self) -> int:
        return max(self._votes.values(), default=0)

    def conclude(self, results: Sequence[SupplierResult[R]]) -> Decision[R]:
        if self.winner is not None:
            return Decision(winner=self.winner)
        return Decision(error=QuorumNotReachedError(self.quorum, self.best_agreement))


def make_strategy(
    name: str, judging: Judging[R], *, quorum: int | None = None, min_responses: int = 1
) -> Strategy[R]:
    if name == "all":
        return AllStrategy(judging, min_responses)
    if name == "best":
        return BestStrategy(judging, min_responses)
    if name == "first":
        return FirstStrategy(judging)
    if name == "majority":
        return MajorityStrategy(judging, quorum)
    raise ValueError(f"unknown strategy {name!r} (expected all, first, majority or best)")
