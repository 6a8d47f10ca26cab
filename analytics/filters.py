"""The selection every page and query shares: months, regions, divisions, units, departments."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

# A unit id no load can create (ids are trimmed, non-empty text): a scoped selection
# that leaves no unit must match nothing, never fall back to "all units".
NO_UNIT = ("\x00",)


@dataclass(frozen=True)
class Filters:
    """A selection of unit × months; empty tuples mean "all".

    ``scope`` (None = every unit) is the set of units a reader may see at all, e.g. a
    manager's units. It survives ``dataclasses.replace``: ``units`` is always narrowed
    to the scope, and an empty ``units`` becomes the whole scope, so code that widens a
    selection with ``replace(f, units=())`` stays within it.
    """

    period_from: str | None = None
    period_to: str | None = None
    regions: tuple[str, ...] = field(default_factory=tuple)
    divisions: tuple[str, ...] = field(default_factory=tuple)
    units: tuple[str, ...] = field(default_factory=tuple)
    departments: tuple[str, ...] = field(default_factory=tuple)
    scope: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.scope is None:
            return
        scope = tuple(sorted(set(self.scope)))
        if self.units == NO_UNIT:
            units = NO_UNIT
        else:
            units = tuple(u for u in self.units if u in scope) if self.units else scope
        object.__setattr__(self, "scope", scope)
        object.__setattr__(self, "units", units or NO_UNIT)

    def with_period(self, period: str) -> Filters:
        """The same selection restricted to one month."""
        return replace(self, period_from=period, period_to=period)

    def within(self, units: tuple[str, ...] | list[str]) -> Filters:
        """The same selection, never reaching beyond ``units`` (intersected with any scope)."""
        scope = tuple(units) if self.scope is None else tuple(
            u for u in units if u in self.scope)
        return replace(self, scope=scope)

    def is_everything(self) -> bool:
        return self == Filters()


ALL = Filters()
