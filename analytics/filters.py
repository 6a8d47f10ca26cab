"""The selection every page and query shares: months, regions, divisions, units, departments."""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Filters:
    """A selection of unit × months; empty tuples mean "all"."""

    period_from: str | None = None
    period_to: str | None = None
    regions: tuple[str, ...] = field(default_factory=tuple)
    divisions: tuple[str, ...] = field(default_factory=tuple)
    units: tuple[str, ...] = field(default_factory=tuple)
    departments: tuple[str, ...] = field(default_factory=tuple)

    def with_period(self, period: str) -> Filters:
        """The same selection restricted to one month."""
        return replace(self, period_from=period, period_to=period)

    def is_everything(self) -> bool:
        return self == Filters()


ALL = Filters()
