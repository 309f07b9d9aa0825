"""What a tier brings to a prompt: its system prompt text, tool schemas, sampling and adapter path.

Resolved once from the validated config; the system prompt and tool schemas are the tier's stable prompt
prefix, so they must not change between turns. Non-goals: rendering (``chat_format.py``), loading adapters.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from entropi.config.schema import EntropiConfig, TierConfig, known_tools
from entropi.inference.generate import SamplingParams

ADAPTERS_DIR = "lora_adapters"


@dataclass(frozen=True)
class TierSetup:
    """One tier, ready to render prompts for."""

    name: str
    system_prompt: str
    tools: tuple[dict[str, Any], ...]
    sampling: SamplingParams
    thinking: bool
    lora_path: Path | None
    lora_scale: float
    grammar: str = "off"


def discover_adapter(project_root: Path, tier: str) -> Path | None:
    """``<project>/lora_adapters/<tier>/current`` when it exists (the promoted adapter)."""
    current = project_root / ADAPTERS_DIR / tier / "current"
    return current if current.exists() else None


def tier_setup(name: str, tier: TierConfig, project_root: Path) -> TierSetup:
    schemas = known_tools()
    prompt = tier.system_prompt.read_text(encoding="utf-8").strip()
    return TierSetup(
        name=name,
        system_prompt=prompt,
        tools=tuple(schemas[t] for t in tier.tools),
        sampling=SamplingParams(**tier.sampling.model_dump()),
        thinking=tier.thinking,
        lora_path=tier.lora_path or discover_adapter(project_root, name),
        lora_scale=tier.lora_scale,
        grammar=tier.grammar,
    )


def all_tiers(config: EntropiConfig, project_root: Path) -> dict[str, TierSetup]:
    return {name: tier_setup(name, tier, project_root) for name, tier in config.tiers.items()}
