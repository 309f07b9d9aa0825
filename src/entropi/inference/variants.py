"""Evaluation variants: the same tier (or the router) under other adapters, side by side, on one base.

A variant of tier T is the slot ``T@label``: it renders exactly like T but runs under its own adapter set,
with its own KV snapshot; a router variant is a second `Router` under its own adapter (and the adapter's own
prompt, when it ships one). `Runtime` inherits these methods; they use its model, adapters, KV manager,
context and lock. Non-goals: choosing adapters or scoring (``evaluation``).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from entropi.config.schema import TIERS, EntropiConfig, defaults_dir
from entropi.inference.adapters import AdapterError, AdapterSet
from entropi.inference.kv_cache import KVManager
from entropi.inference.llama_model import LlamaContext, LlamaModel
from entropi.inference.router import PROMPT_FILE as ROUTER_PROMPT_FILE
from entropi.inference.router import Router

if TYPE_CHECKING:
    from entropi.inference.tier_setup import TierSetup

ROUTER_SLOT = "router"


class VariantSlots:
    """Variant slots and router variants for `Runtime` (see the module docstring)."""

    config: EntropiConfig
    model: LlamaModel
    ctx: LlamaContext
    kv: KVManager
    adapters: AdapterSet
    tiers: dict[str, TierSetup]
    _lock: threading.Lock
    _variants: dict[str, str]
    _routers: dict[str, Router]

    def _make_router(self, slot: str) -> Router:
        """A router under ``slot``'s adapter, with the adapter's own prompt when it ships one."""
        status = self.adapters.statuses[slot]
        prompt = defaults_dir() / ROUTER_PROMPT_FILE
        if status.loaded and status.path is not None and (status.path.parent / ROUTER_PROMPT_FILE).is_file():
            prompt = status.path.parent / ROUTER_PROMPT_FILE
        return Router(
            self.model,
            prompt_file=prompt,
            tiers=TIERS,
            max_input_tokens=self.config.router.max_input_tokens,
            adapter=self.adapters.swap_set(slot),
            n_threads=self.config.model.n_threads,
        )

    def add_router_variant(self, label: str, adapter: Path | None, scale: float = 1.0) -> None:
        """Another router, used by ``route(..., router=label)``, under ``adapter`` (None: the base).

        It takes the adapter's own prompt when one ships beside it; a broken adapter raises.
        """
        slot = f"{ROUTER_SLOT}@{label}"
        with self._lock:
            old = self._routers.pop(label, None)
            if old is not None:
                old.close()
                self.adapters.unload(slot)
            status = self.adapters.load(slot, adapter, scale)
            if adapter is not None and not status.loaded:
                raise AdapterError(f"router variant {label!r}: {status.error}")
            self._routers[label] = self._make_router(slot)

    def add_variant(self, tier: str, label: str, adapter: Path | None, scale: float = 1.0) -> str:
        """Load ``adapter`` (None: the bare base) as slot ``<tier>@<label>`` and return the slot name.

        A variant renders prompts exactly like its tier but runs under its own adapter, with its own KV
        snapshot, so two configurations can be compared in one process. A broken adapter raises.
        """
        if tier not in self.tiers:
            raise ValueError(f"unknown tier {tier!r}; choose one of {', '.join(TIERS)}")
        slot = f"{tier}@{label}"
        with self._lock:
            if slot in self.adapters.statuses:  # replacing: the old handle may be the active one
                self.ctx.set_adapters((), [])
                self.kv.reset()
                self.adapters.unload(slot)
            self.kv.drop_snapshots(slot)
            status = self.adapters.load(slot, adapter, scale)
            if adapter is not None and not status.loaded:
                raise AdapterError(f"variant {label!r} of tier {tier}: {status.error}")
            self._variants[slot] = tier
        return slot

    def slot_tier(self, slot: str) -> str:
        """The tier a slot renders as (a tier is its own slot)."""
        if slot in self.tiers:
            return slot
        if slot in self._variants:
            return self._variants[slot]
        raise ValueError(f"unknown slot {slot!r}: not a tier and not a variant added with add_variant")
