"""The tier badge of one turn: the tier, the router's scores (or "fixed"), the adapter and the swap time.

Non-goals: deciding anything; it shows what the TurnStarted / ModelCall* / TierChanged events say.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label


class TierBadge(Horizontal):
    """Filled in as the turn's events arrive; a handoff shows the route from the first tier to the new one."""

    def __init__(self) -> None:
        super().__init__(classes="tier-badge")
        self.tiers: list[str] = []
        self.scores: dict[str, float] = {}
        self.overridden = False
        self.adapter: str | None = None
        self.swap_ms: float | None = None
        self._tier_label = Label("routing…", markup=False, classes="tier-name")
        self._detail = Label("", markup=False, classes="tier-detail")

    def compose(self) -> ComposeResult:
        yield self._tier_label
        yield self._detail

    def set_route(self, tier: str, scores: dict[str, float], overridden: bool) -> None:
        self.tiers, self.scores, self.overridden = [tier], dict(scores), overridden
        self._show()

    def set_handoff(self, tier: str) -> None:
        """A handoff: the adapter and swap time shown from now on are the new tier's."""
        self.tiers.append(tier)
        self.adapter = self.swap_ms = None
        self._show()

    def set_adapter(self, label: str) -> None:
        self.adapter = label
        self._show()

    def set_swap(self, swap_ms: float | None) -> None:
        """The swap of the tier's first call (later calls on the same tier find its adapter in place)."""
        if swap_ms is not None and self.swap_ms is None:
            self.swap_ms = swap_ms
            self._show()

    @property
    def text(self) -> str:
        """What the badge says, as plain text."""
        if not self.tiers:
            return "routing…"
        return f"{' → '.join(self.tiers)} {self._detail_text()}"

    def _detail_text(self) -> str:
        parts = []
        if self.adapter is not None:
            parts.append(f"adapter {self.adapter}")
        if self.swap_ms is not None:
            parts.append(f"swap {self.swap_ms:.1f} ms")
        if self.overridden or not self.scores:
            parts.append("fixed tier")
        else:
            ranked = sorted(self.scores.items(), key=lambda kv: -kv[1])
            parts.append("router " + " ".join(f"{t} {s:.2f}" for t, s in ranked))
        return " · ".join(parts)

    def _show(self) -> None:
        if not self.tiers:
            return
        self._tier_label.update(" → ".join(self.tiers))
        for cls in list(self._tier_label.classes):
            if cls.startswith("tier-") and cls != "tier-name":
                self._tier_label.remove_class(cls)
        self._tier_label.add_class(f"tier-{self.tiers[-1]}")
        self._detail.update(self._detail_text())
