"""What the UI shows about the model client: its name, its details and each tier's adapter.

The real ``Runtime`` exposes ``model_id``, ``model_path``, ``arch``, ``load_ms`` and ``adapters.statuses``;
other clients (the scripted model in tests) only answer the ``ModelClient`` protocol, so for them the UI shows
the adapter label per tier and nothing it would have to invent. Non-goals: loading or changing anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from entropi.agent.model import ModelClient
from entropi.config import TIERS


@dataclass(frozen=True)
class AdapterRow:
    """One tier's adapter as listed by ``/adapters``."""

    tier: str
    label: str
    version: str
    state: str
    metrics: str


def model_name(model: ModelClient) -> str:
    return str(getattr(model, "model_id", type(model).__name__))


def model_lines(model: ModelClient) -> list[str]:
    """``/model``: name, file, architecture, context size, load time (what the client knows)."""
    lines = [f"model: {model_name(model)}"]
    if (path := getattr(model, "model_path", None)) is not None:
        lines.append(f"file: {path}")
    if (arch := getattr(model, "arch", None)) is not None:
        lines.append(f"architecture: {arch}")
    lines.append(f"context: {model.n_ctx} tokens")
    if (load_ms := getattr(model, "load_ms", None)) is not None:
        lines.append(f"loaded in {load_ms:.0f} ms")
    return lines


def _metrics(manifest: dict[str, Any]) -> str:
    metrics = manifest.get("metrics")
    if not isinstance(metrics, dict) or not metrics:
        return "–"
    parts = []
    for key, value in metrics.items():
        shown = f"{value:.3g}" if isinstance(value, float) else str(value)
        parts.append(f"{key}={shown}")
    return " ".join(parts)


def adapter_rows(model: ModelClient) -> list[AdapterRow]:
    """``/adapters``: per tier the adapter label, version, whether it is loaded (or why not), metrics."""
    statuses = getattr(getattr(model, "adapters", None), "statuses", None)
    if not isinstance(statuses, dict):
        return [AdapterRow(t, model.adapter_label(t), "–", "not reported", "–") for t in TIERS]
    rows = []
    for tier in TIERS:
        status = statuses.get(tier)
        if status is None:
            rows.append(AdapterRow(tier, "base", "–", "no adapter configured", "–"))
            continue
        if status.error:
            state = f"failed: {status.error}"
        elif status.loaded:
            state = "loaded"
        else:
            state = "base model (none configured)"
        rows.append(AdapterRow(tier, status.label, status.version or "–", state, _metrics(status.manifest)))
    return rows
