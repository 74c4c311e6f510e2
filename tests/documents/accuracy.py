"""Field-by-field comparison of what the reader found with what a document states, and the
accuracy table the extraction tests print."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field


@dataclass
class Accuracy:
    right: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    expected: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    misses: list[str] = field(default_factory=list)

    def compare(
        self, label: str, kind: str, found: dict[str, object], expected: dict[str, object]
    ) -> int:
        """Counts the fields of ``expected`` that ``found`` has exactly; returns the misses."""
        missed = 0
        for key, value in expected.items():
            self.expected[kind] += 1
            if found.get(key) == value:
                self.right[kind] += 1
            else:
                missed += 1
                self.misses.append(f"{label}: {key} = {found.get(key)!r}, expected {value!r}")
        return missed

    def ratio(self, kind: str) -> float:
        return self.right[kind] / self.expected[kind] if self.expected[kind] else 0.0

    def total(self) -> float:
        expected = sum(self.expected.values())
        return sum(self.right.values()) / expected if expected else 0.0

    def table(self, title: str) -> str:
        rows = [f"{title}", f"  {'document kind':<28}{'right':>7}{'expected':>10}{'accuracy':>10}"]
        for kind in sorted(self.expected):
            rows.append(
                f"  {kind:<28}{self.right[kind]:>7}{self.expected[kind]:>10}"
                f"{100 * self.ratio(kind):>9.1f}%"
            )
        rows.extend(f"  miss: {m}" for m in self.misses[:40])
        return "\n".join(rows)
