"""Pydantic models of the whole entropi configuration, the tier names and the known tool schemas.

Scope: the shape, types, ranges and cross-checks of a configuration (every model forbids unknown keys),
plus `known_tools()`, the tool JSON schemas shipped in `entropi/defaults/tools/`.
Non-goals: reading or merging config files and resolving relative paths (see `loader.py`); checking that a
model or LoRA file exists or loads (the runtime does that and falls back to the base for a missing adapter).
"""

from __future__ import annotations

import copy
import difflib
import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

TIERS: tuple[str, ...] = ("thinking", "normal", "code", "simple")
TierName = Literal["thinking", "normal", "code", "simple"]


def defaults_dir() -> Path:
    """The package's `defaults/` directory (default config, tier prompts, tool schemas)."""
    return Path(str(resources.files("entropi").joinpath("defaults")))


@cache
def _load_tools() -> dict[str, dict[str, Any]]:
    tools: dict[str, dict[str, Any]] = {}
    folder = resources.files("entropi").joinpath("defaults", "tools")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        try:
            schema = json.loads(entry.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"tool schema {entry.name}: invalid JSON: {exc}") from exc
        stem = entry.name.removesuffix(".json")
        if not isinstance(schema, dict) or schema.get("name") != stem:
            raise ValueError(f"tool schema {entry.name}: must be an object whose name is {stem!r}")
        tools[stem] = schema
    return tools


def known_tools() -> dict[str, dict[str, Any]]:
    """Tool name -> JSON schema (`name`, `description`, `parameters`), sorted by name; a fresh copy."""
    return copy.deepcopy(_load_tools())


class SamplingConfig(BaseModel):
    """Sampling options for one tier."""

    model_config = ConfigDict(extra="forbid")

    temperature: float = Field(0.6, ge=0, description="Softmax temperature; 0 means greedy.")
    top_p: float = Field(0.95, gt=0, le=1, description="Nucleus sampling: keep top tokens up to this mass.")
    top_k: int = Field(20, ge=0, description="Keep only the k most likely tokens; 0 disables.")
    min_p: float = Field(0.0, ge=0, lt=1, description="Drop tokens below this share of the top probability.")
    repeat_penalty: float = Field(1.0, gt=0, description="Penalty for repeated tokens; 1.0 disables.")
    max_tokens: int = Field(1024, ge=1, description="Most tokens generated per model call.")
    seed: int | None = Field(None, description="Sampler seed; null picks a random one.")


class ModelConfig(BaseModel):
    """The one GGUF base model and its llama.cpp context."""

    model_config = ConfigDict(extra="forbid")

    path: Path | None = Field(None, description="Base GGUF file; null uses the embedded SmolLM2 model.")
    n_ctx: int = Field(8192, ge=512, description="Context window in tokens.")
    n_threads: int | None = Field(None, ge=1, description="Generation threads; null picks automatically.")
    n_threads_batch: int | None = Field(None, ge=1, description="Prompt-processing threads; null = auto.")
    n_gpu_layers: int = Field(0, ge=-1, description="Layers offloaded to the GPU; -1 offloads all.")
    n_batch: int = Field(512, ge=32, description="Prompt tokens decoded per batch.")
    chat_template_file: Path | None = Field(
        None, description="Jinja chat template overriding the one inside the GGUF."
    )

    @field_validator("chat_template_file")
    @classmethod
    def _template_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"chat template file not found: {value}")
        return value


class TierConfig(BaseModel):
    """One tier: prompt, allowed tools, sampling and optional LoRA adapter."""

    model_config = ConfigDict(extra="forbid")

    description: str = Field(description="What this tier is for, in one line.")
    system_prompt: Path = Field(description="File holding the tier's system prompt text.")
    tools: list[str] = Field(
        default_factory=list, description="Tool names this tier may call, e.g. filesystem.read_file."
    )
    sampling: SamplingConfig = Field(default_factory=SamplingConfig, description="Sampling options.")
    lora_path: Path | None = Field(
        None, description="LoRA adapter GGUF file or version directory; null runs the base model."
    )
    lora_scale: float = Field(1.0, ge=0, le=4, description="Strength of the LoRA adapter.")
    thinking: bool = Field(False, description="Whether the model reasons inside <think> before acting.")
    grammar: Literal["off", "lazy", "force_first"] = Field(
        "off",
        description="Tool-call grammar: off; lazy (every started call is schema-valid); force_first (the "
        "first "
        "model call of a turn must be a tool call).",
    )

    @field_validator("system_prompt")
    @classmethod
    def _prompt_exists(cls, value: Path) -> Path:
        if not value.is_file():
            raise ValueError(f"system prompt file not found: {value}")
        return value

    @field_validator("tools")
    @classmethod
    def _tools_known(cls, names: list[str]) -> list[str]:
        known = sorted(_load_tools())
        problems, list_known = [], False
        for name in names:
            if name not in known:
                close = difflib.get_close_matches(name, known, n=1)
                problems.append(
                    f"unknown tool {name!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
                )
                list_known = list_known or not close
        problems += [f"tool {name!r} is listed twice" for name in sorted(set(names)) if names.count(name) > 1]
        if list_known:
            problems.append(f"known tools: {', '.join(known)}")
        if problems:
            raise ValueError("; ".join(problems))
        return names


class RouterConfig(BaseModel):
    """The router that picks a tier for each user message."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(True, description="Route automatically; when off, every message uses default_tier.")
    lora_path: Path | None = Field(None, description="Router LoRA adapter; null routes with the base model.")
    lora_scale: float = Field(1.0, ge=0, le=4, description="Strength of the router adapter.")
    default_tier: TierName = Field("normal", description="Tier used when routing is off or fails.")
    max_input_tokens: int = Field(48, ge=8, description="The router scores only this many user-text tokens.")


class LogConfig(BaseModel):
    """The model log: every model call, appended to one file."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(True, description="Log every model call.")
    path: Path = Field(
        Path(".entropi/session_model.log"), description="Log file; relative to the project root."
    )
    max_bytes: int = Field(
        50_000_000, ge=1_000_000, description="Rotate the log when it grows past this size."
    )
    fsync: bool = Field(
        False, description="fsync after every record (survives power loss; costs ~1.5 ms per record here)."
    )


DEFAULT_BASH_DENYLIST = [
    "rm -rf /*",
    "rm -rf ~*",
    "rm -rf .",
    "rm -rf *",
    "sudo *",
    "mkfs*",
    "dd * of=/dev/*",
    "shutdown*",
    "reboot*",
    ":(){*",
    "chmod -R 777 /*",
    "git push --force*",
    "git push -f*",
    "git reset --hard*",
    "git clean -fd*",
    "curl * | sh*",
    "curl * | bash*",
    "wget * | sh*",
    "> /dev/sd*",
]


class ToolsConfig(BaseModel):
    """Limits of the built-in tools."""

    model_config = ConfigDict(extra="forbid")

    read_max_bytes: int = Field(256_000, ge=1_000, description="Largest file filesystem.read_file reads.")
    result_max_chars: int = Field(
        8_000, ge=200, description="Tool output fed back to the model is capped here."
    )
    bash_timeout_s: float = Field(60.0, gt=0, le=3600, description="Default time limit of bash.execute.")
    bash_max_timeout_s: float = Field(
        600.0, gt=0, le=3600, description="Largest timeout_s a call may ask for."
    )


class PermissionsConfig(BaseModel):
    """Which tool calls run, ask first, or are refused. Patterns: `tool` or `tool:subject-glob`."""

    model_config = ConfigDict(extra="forbid")

    allow: list[str] = Field(
        default_factory=lambda: [
            "filesystem.read_file",
            "filesystem.list_directory",
            "filesystem.glob",
            "filesystem.grep",
            "git.status",
            "git.diff",
            "git.log",
            "entropi.todo_write",
            "entropi.handoff",
        ],
        description="Calls that run without asking.",
    )
    ask: list[str] = Field(
        default_factory=lambda: [
            "filesystem.write_file",
            "filesystem.edit_file",
            "bash.execute",
            "git.add",
            "git.commit",
        ],
        description="Calls that need the user's approval.",
    )
    deny: list[str] = Field(default_factory=list, description="Calls that are always refused (deny wins).")
    bash_denylist: list[str] = Field(
        default_factory=lambda: list(DEFAULT_BASH_DENYLIST),
        description="Shell command globs refused even when approved.",
    )
    plan_mode: bool = Field(False, description="Read-only mode: every tool that changes anything is refused.")


class AgentConfig(BaseModel):
    """Limits of one agent turn (one user message)."""

    model_config = ConfigDict(extra="forbid")

    max_iterations: int = Field(12, ge=1, description="Most model calls per user turn.")
    max_tool_calls: int = Field(24, ge=1, description="Most tool calls per user turn.")
    max_consecutive_errors: int = Field(3, ge=1, description="Stop after this many failed calls in a row.")
    max_repairs: int = Field(1, ge=0, description="Re-asks after malformed output, per model call.")


class ContextConfig(BaseModel):
    """How the conversation is kept inside the context window."""

    model_config = ConfigDict(extra="forbid")

    compact_at: float = Field(
        0.75, gt=0.1, lt=1, description="Compact when the prompt passes this share of n_ctx."
    )
    keep_recent_turns: int = Field(2, ge=1, description="User turns kept verbatim when compacting.")
    prune_tool_results_after: int = Field(
        1, ge=0, description="Tool results older than this many user turns are shortened."
    )
    reserve_tokens: int = Field(512, ge=64, description="Tokens kept free for the answer.")


class GateConfig(BaseModel):
    """What a tier's candidate adapter must reach to become `current` (`entropi adapters promote`)."""

    model_config = ConfigDict(extra="forbid")

    min_validity: float = Field(
        0.99, ge=0, le=1, description="Least share of tool-call attempts that parse and are schema-valid."
    )
    min_selection: float = Field(
        0.95, ge=0, le=1, description="Least share of cases whose first call is the expected tool."
    )
    require_coherence_gain: bool = Field(
        True, description="The share of coherent think→action turns must beat the current adapter's."
    )
    max_chat_loss_increase: float = Field(
        0.05, ge=0, description="Largest relative rise of the general-chat reply loss (0.05 = 5%)."
    )
    min_cases: int = Field(20, ge=1, description="Fewest evaluated cases a decision may rest on.")


class EvaluationConfig(BaseModel):
    """Evaluation: the promotion gate per tier and extra eval case files."""

    model_config = ConfigDict(extra="forbid")

    gates: dict[TierName, GateConfig] = Field(
        default_factory=lambda: {name: GateConfig() for name in TIERS},
        description="Promotion gate per tier; a tier left out gets the defaults.",
    )
    cases: list[Path] | None = Field(
        None, description="Extra eval case files (JSONL) used with the shipped ones; null: none."
    )

    @field_validator("gates")
    @classmethod
    def _every_tier(cls, gates: dict[str, GateConfig]) -> dict[str, GateConfig]:
        return {name: gates.get(name) or GateConfig() for name in TIERS}

    def gate(self, tier: str) -> GateConfig:
        """The gate of ``tier`` (the defaults for a tier not configured)."""
        return self.gates.get(tier) or GateConfig()  # type: ignore[call-overload]


class EntropiConfig(BaseModel):
    """The whole configuration: model, router, the four tiers, model log."""

    model_config = ConfigDict(extra="forbid")

    model: ModelConfig = Field(default_factory=ModelConfig, description="Base model and context.")
    router: RouterConfig = Field(default_factory=RouterConfig, description="Tier routing.")
    tiers: dict[TierName, TierConfig] = Field(description="Exactly the four tiers, by name.")
    log: LogConfig = Field(default_factory=LogConfig, description="Model log.")
    tools: ToolsConfig = Field(default_factory=ToolsConfig, description="Tool limits.")
    permissions: PermissionsConfig = Field(default_factory=PermissionsConfig, description="Tool permissions.")
    agent: AgentConfig = Field(default_factory=AgentConfig, description="Agent turn limits.")
    context: ContextConfig = Field(default_factory=ContextConfig, description="Context window management.")
    evaluation: EvaluationConfig = Field(
        default_factory=EvaluationConfig, description="Evaluation cases and promotion gates."
    )

    @field_validator("tiers")
    @classmethod
    def _all_tiers(cls, tiers: dict[str, TierConfig]) -> dict[str, TierConfig]:
        missing = [name for name in TIERS if name not in tiers]
        if missing:
            raise ValueError(f"missing tiers: {', '.join(missing)} (all of {', '.join(TIERS)} are required)")
        return {name: tiers[name] for name in TIERS}

    def tier(self, name: str) -> TierConfig:
        """The settings of tier `name`; KeyError naming the tiers for an unknown name."""
        if name not in self.tiers:
            raise KeyError(f"unknown tier {name!r}; tiers are {', '.join(TIERS)}")
        return self.tiers[name]  # type: ignore[index]
