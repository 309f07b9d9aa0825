"""The bottom status line: state, context use (tokens / n_ctx), decode speed, tier mode, plan mode, queue."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label

BAR_CELLS = 10
WARN_AT, FULL_AT = 0.6, 0.85


def _k(n: int) -> str:
    return f"{n / 1000:.1f}k" if n >= 1000 else str(n)


def context_text(used: int, n_ctx: int) -> str:
    share = min(max(used / n_ctx, 0.0), 1.0) if n_ctx > 0 else 0.0
    filled = round(share * BAR_CELLS)
    return f"ctx {'▰' * filled}{'▱' * (BAR_CELLS - filled)} {_k(used)}/{_k(n_ctx)}"


class StatusBar(Horizontal):
    def __init__(self, *, model: str, n_ctx: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.n_ctx = n_ctx
        self.used = 0
        self._labels = {
            name: Label("", markup=False, id=f"status-{name}")
            for name in ("state", "context", "speed", "tier", "plan", "queue", "model")
        }
        self._labels["model"].update(model)
        self.set_state("ready")
        self.set_context(0)
        self.set_speed(None)
        self.set_tier(None)
        self.set_plan(False)
        self.set_queue(0)

    def compose(self) -> ComposeResult:
        yield from self._labels.values()

    def text(self, name: str) -> str:
        return str(self._labels[name].content)

    def set_state(self, state: str) -> None:
        self._labels["state"].update(state)
        self._labels["state"].set_class(state != "ready", "busy")

    def set_context(self, used: int) -> None:
        self.used = used
        label = self._labels["context"]
        label.update(context_text(used, self.n_ctx))
        share = used / self.n_ctx if self.n_ctx else 0.0
        label.set_class(WARN_AT <= share < FULL_AT, "ctx-warn")
        label.set_class(share >= FULL_AT, "ctx-full")

    def set_speed(self, tok_s: float | None) -> None:
        self._labels["speed"].update(f"{tok_s:.1f} tok/s" if tok_s else "– tok/s")

    def set_tier(self, tier: str | None) -> None:
        self._labels["tier"].update(f"tier {tier or 'auto'}")

    def set_plan(self, on: bool) -> None:
        self._labels["plan"].update("PLAN (read-only)" if on else "")
        self._labels["plan"].display = on

    def set_queue(self, n: int) -> None:
        self._labels["queue"].update(f"{n} queued")
        self._labels["queue"].display = n > 0
