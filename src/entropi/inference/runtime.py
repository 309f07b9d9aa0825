"""The inference facade: one base model loaded once, per-tier adapters, router, KV reuse, model log.

The agent and the CLI ask it for a routing decision and for one model call ("turn") on a tier; it renders
the prompt, swaps the adapter set, reuses cached KV, streams the output, parses it and logs the call.
Non-goals: tool execution, permissions, context compaction (the agent's job).
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from entropi.config.schema import TIERS, EntropiConfig
from entropi.inference.adapters import AdapterSet, AdapterStatus
from entropi.inference.call_record import build_model_call_record
from entropi.inference.chat_format import ChatFormatter
from entropi.inference.filehash import file_sha256
from entropi.inference.generate import GenerationStats, Sampler, generate
from entropi.inference.grammar import TRIGGER_PATTERN, tool_call_grammar
from entropi.inference.kv_cache import KVManager, PrefillStats, common_prefix
from entropi.inference.llama_model import ContextParams, LlamaContext, LlamaModel
from entropi.inference.model_store import EMBEDDED_MODEL_ID, embedded_model_path
from entropi.inference.output_parser import ParsedOutput, parse_output
from entropi.inference.router import RouteDecision, Router
from entropi.inference.tier_setup import TierSetup, all_tiers, discover_adapter
from entropi.inference.variants import ROUTER_SLOT, VariantSlots
from entropi.modellog import ModelLog


class ContextOverflowError(RuntimeError):
    """The prompt does not fit in the context window."""


@dataclass
class TurnResult:
    """One model call, parsed, with its timings."""

    tier: str
    raw_output: str
    parsed: ParsedOutput
    stop_reason: str
    adapter: AdapterStatus
    routing: RouteDecision | None
    record_id: str | None
    timings: dict[str, float] = field(default_factory=dict)
    tokens: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "routing": self.routing.to_dict() if self.routing else None,
            "adapter": {
                "loaded": self.adapter.loaded,
                "path": str(self.adapter.path or ""),
                "version": self.adapter.version,
                "error": self.adapter.error,
            },
            "thinking": self.parsed.thinking,
            "content": self.parsed.content,
            "tool_calls": [
                {"id": c.id, "name": c.name, "arguments": c.arguments} for c in self.parsed.tool_calls
            ],
            "parse_issues": [{"kind": i.kind, "detail": i.detail} for i in self.parsed.issues],
            "stop_reason": self.stop_reason,
            "timings": {k: round(v, 2) for k, v in self.timings.items()},
            "record_id": self.record_id,
            "raw_output": self.raw_output,
        }


class Runtime(VariantSlots):
    """Everything inference needs, loaded once per process."""

    def __init__(
        self,
        config: EntropiConfig,
        *,
        project_root: Path,
        session_id: str | None = None,
        with_router: bool = True,
    ) -> None:
        self.config = config
        self.project_root = project_root
        self.session_id = session_id or uuid.uuid4().hex[:16]
        self.source = "log"  # "selfplay" when the agent runs over the task suite
        mc = config.model
        self.model_path = Path(mc.path) if mc.path else embedded_model_path()
        self.model_id = self.model_path.stem if mc.path else EMBEDDED_MODEL_ID
        started = time.perf_counter()
        self.model = LlamaModel(self.model_path, n_gpu_layers=mc.n_gpu_layers)
        metadata = self.model.metadata()
        self.arch = metadata.get("general.architecture", "unknown")
        self._hasher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="entropi-hash")
        self._sha256: Future[str] = self._hasher.submit(file_sha256, self.model_path)
        override = mc.chat_template_file.read_text(encoding="utf-8") if mc.chat_template_file else None
        self.formatter = ChatFormatter.from_gguf_metadata(
            metadata,
            bos_token=self.model.special_text("bos"),
            eos_token=self.model.special_text("eos"),
            override=override,
            source=str(mc.chat_template_file or self.model_path),
        )
        self.ctx = LlamaContext(
            self.model, ContextParams(mc.n_ctx, mc.n_batch, mc.n_threads, mc.n_threads_batch)
        )
        self.kv = KVManager(self.ctx)
        self.tiers: dict[str, TierSetup] = all_tiers(config, project_root)
        self.adapters = AdapterSet(self.model, base_arch=self.arch, base_sha256=self.base_sha256)
        for name in TIERS:
            tier = self.tiers[name]
            self.adapters.load(name, tier.lora_path, tier.lora_scale)
        self.router: Router | None = None
        self._routers: dict[str, Router] = {}
        if with_router and config.router.enabled:
            rc = config.router
            self.adapters.load(
                ROUTER_SLOT, rc.lora_path or discover_adapter(project_root, ROUTER_SLOT), rc.lora_scale
            )
            self.router = self._make_router(ROUTER_SLOT)
        self.log = ModelLog(
            config.log.path,
            max_bytes=config.log.max_bytes,
            enabled=config.log.enabled,
            fsync=config.log.fsync,
        )
        self._prefix_cache: dict[tuple[str, str], list[int]] = {}
        self._variants: dict[str, str] = {}
        self._lock = threading.Lock()
        self.load_ms = (time.perf_counter() - started) * 1000

    # -- identity ----------------------------------------------------------------------------------
    def base_sha256(self) -> str:
        return self._sha256.result()

    @property
    def warnings(self) -> list[str]:
        """One line per configured adapter that could not be used (its tier runs on the base)."""
        return [f"{s.tier}: {s.error}" for s in self.adapters.statuses.values() if s.error]

    # -- routing -----------------------------------------------------------------------------------
    def route(
        self, text: str | bytes, *, override: str | None = None, router: str | None = None
    ) -> RouteDecision:
        """The tier for a user message: ``override`` wins, then the router, then the default tier.

        ``router`` picks a router variant added with `add_router_variant`.
        """
        if override is not None:
            if override not in TIERS:
                raise ValueError(f"unknown tier {override!r}; choose one of {', '.join(TIERS)}")
            return RouteDecision(tier=override, overridden=True)
        if router is not None:
            if router not in self._routers:
                raise ValueError(f"unknown router variant {router!r}")
            with self._lock:
                return self._routers[router].route(text)
        if self.router is None:
            return RouteDecision(tier=self.config.router.default_tier, overridden=True)
        with self._lock:
            return self.router.route(text)

    # -- one model call ----------------------------------------------------------------------------
    def render(
        self,
        tier: str,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Mapping[str, Any]] | None = None,
    ) -> tuple[str, list[dict[str, Any]]]:
        """The full prompt text for ``messages`` (no system message: the tier supplies it).

        ``tools`` replaces the tier's tool schemas (evaluation suites that bring their own functions).
        """
        setup = self.tiers[tier]
        full = [{"role": "system", "content": setup.system_prompt}, *messages]
        offered = list(setup.tools if tools is None else tools)
        text = self.formatter.render(full, offered, enable_thinking=setup.thinking)
        return text, full

    def _prefix_tokens(self, tier: str, tools: Sequence[Mapping[str, Any]] | None = None) -> list[int]:
        setup = self.tiers[tier]
        offered = list(setup.tools if tools is None else tools)
        key = (tier, "" if tools is None else json.dumps(offered, sort_keys=True))
        cached = self._prefix_cache.get(key)
        if cached is None:
            if len(self._prefix_cache) > 64:
                self._prefix_cache = {k: v for k, v in self._prefix_cache.items() if not k[1]}
            cached = self.model.tokenize(self.formatter.stable_prefix(setup.system_prompt, offered))
            self._prefix_cache[key] = cached
        return cached

    @property
    def n_ctx(self) -> int:
        return self.ctx.n_ctx

    def allowed_tools(self, tier: str) -> list[str]:
        """Tool names the tier offers (the agent enforces them at dispatch)."""
        return [t["name"] for t in self.tiers[tier].tools]

    def tier_tools(self, tier: str) -> list[dict[str, Any]]:
        """The tier's tool schemas, as offered in its prompt."""
        return [dict(t) for t in self.tiers[tier].tools]

    def adapter_label(self, tier: str) -> str:
        return self.adapters.statuses[tier].label

    def count_tokens(self, tier: str, messages: Sequence[Mapping[str, Any]]) -> int:
        """Tokens of the full prompt for ``messages`` on ``tier`` (system prompt and tools included)."""
        return len(self.model.tokenize(self.render(tier, messages)[0]))

    def prefix_token_count(self, tier: str) -> int:
        """Tokens in the tier's stable prefix (system prompt + tool schemas)."""
        return len(self._prefix_tokens(tier))

    def turn(
        self,
        tier: str,
        messages: Sequence[Mapping[str, Any]],
        *,
        routing: RouteDecision | None = None,
        turn_index: int = 0,
        call_index: int = 0,
        on_text: Callable[[str], None] | None = None,
        cancel: threading.Event | None = None,
        sampling_overrides: Mapping[str, Any] | None = None,
        repair_of: str | None = None,
        slot: str | None = None,
        tools: Sequence[Mapping[str, Any]] | None = None,
    ) -> TurnResult:
        """Generate one assistant message for ``messages`` on ``tier``, streaming pieces to ``on_text``.

        ``slot`` runs the call under a variant's adapter (`add_variant`; default: the tier's own);
        ``tools`` replaces the tier's tool schemas for this call.
        """
        if tier not in self.tiers:
            raise ValueError(f"unknown tier {tier!r}; choose one of {', '.join(TIERS)}")
        slot = slot or tier
        if self.slot_tier(slot) != tier:
            raise ValueError(f"slot {slot!r} belongs to tier {self.slot_tier(slot)!r}, not {tier!r}")
        with self._lock:
            return self._turn(
                tier,
                messages,
                routing,
                turn_index,
                call_index,
                on_text,
                cancel,
                sampling_overrides or {},
                repair_of,
                slot,
                None if tools is None else tuple(dict(t) for t in tools),
            )

    def _turn(
        self,
        tier,
        messages,
        routing,
        turn_index,
        call_index,
        on_text,
        cancel,
        overrides,
        repair_of,
        slot,
        tools,
    ) -> TurnResult:
        started_wall = time.time()
        started = time.perf_counter()
        setup = self.tiers[tier]
        if tools is not None:
            setup = dataclasses.replace(setup, tools=tools)
        prompt_text, full = self.render(tier, messages, setup.tools)
        tokens = self.model.tokenize(prompt_text)
        if len(tokens) >= self.ctx.n_ctx - 1:
            raise ContextOverflowError(
                f"the prompt has {len(tokens)} tokens but the context holds {self.ctx.n_ctx}; "
                "shorten the conversation or raise model.n_ctx"
            )
        prefix_len = common_prefix(self._prefix_tokens(tier, tools), tokens)
        key, handles = self.adapters.swap_set(slot)
        t_swap = time.perf_counter()
        self.ctx.set_adapters(key, handles)
        swap_ms = (time.perf_counter() - t_swap) * 1000
        # own-tools calls keep their snapshot apart so they never evict the tier's
        kv_slot = slot if tools is None else f"{slot}#tools"
        prefill: PrefillStats = self.kv.prepare(kv_slot, key, tokens, prefix_len)
        params = setup.sampling
        if overrides:
            params = type(params)(**{**params.__dict__, **overrides})
        max_tokens = min(params.max_tokens, self.ctx.n_ctx - len(tokens) - 1)
        stats = GenerationStats()
        grammar, trigger = self._grammar(setup, call_index)
        sampler = Sampler(
            params, n_vocab=self.model.n_vocab, vocab=self.model.vocab, grammar=grammar, lazy_trigger=trigger
        )
        pieces: list[str] = []
        try:
            for piece in generate(
                self.kv, sampler, max_tokens=max_tokens, stats=stats, cancel=cancel, started=started
            ):
                pieces.append(piece)
                if on_text is not None:
                    on_text(piece)
        finally:
            sampler.close()
        raw = "".join(pieces)
        parsed = parse_output(raw)
        timings = {
            "prompt_tokens": float(len(tokens)),
            "prefix_tokens": float(prefix_len),
            "cached_tokens": float(prefill.cached_tokens),
            "restored_tokens": float(prefill.restored_tokens),
            "prefilled_tokens": float(prefill.prefilled_tokens),
            "completion_tokens": float(stats.completion_tokens),
            "swap_ms": swap_ms,
            "prefill_ms": prefill.prefill_ms,
            "ttft_ms": stats.ttft_ms,
            "decode_tok_s": stats.decode_tok_s,
            "total_ms": (time.perf_counter() - started) * 1000,
        }
        status = self.adapters.statuses[slot]
        record_id = None
        if self.log.enabled:
            record = build_model_call_record(
                session_id=self.session_id,
                turn_index=turn_index,
                call_index=call_index,
                started_at=started_wall,
                tier=tier,
                routing=routing,
                base=self.base_identity(),
                adapter=status,
                sampling=params.__dict__,
                messages=full,
                tools=list(setup.tools),
                prompt=prompt_text,
                raw_output=raw,
                parsed=parsed,
                stop_reason=stats.stop_reason,
                timings=timings,
                repair_of=repair_of,
                source=self.source,
            )
            self.log.append(record)
            record_id = record.record_id
        return TurnResult(
            tier=tier,
            raw_output=raw,
            parsed=parsed,
            stop_reason=stats.stop_reason,
            adapter=status,
            routing=routing,
            record_id=record_id,
            timings=timings,
            tokens=stats.tokens,
        )

    def _grammar(self, setup: TierSetup, call_index: int) -> tuple[str | None, str | None]:
        """(GBNF, lazy trigger pattern) for this call, or (None, None) when decoding is free."""
        if setup.grammar == "off" or not setup.tools:
            return None, None
        force = setup.grammar == "force_first" and call_index == 0
        text = tool_call_grammar(setup.tools, force=force, think=setup.thinking)
        return text, None if force else TRIGGER_PATTERN

    def base_identity(self) -> dict[str, str]:
        return {
            "id": self.model_id,
            "path": str(self.model_path),
            "sha256": self.base_sha256(),
            "arch": self.arch,
        }

    def close(self) -> None:
        if self.router is not None:
            self.router.close()
        for variant in self._routers.values():
            variant.close()
        self.ctx.close()
        self.adapters.close()
        self.model.close()
        self._hasher.shutdown(wait=False)

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
