"""Run eval cases through the real runtime: one `CaseResult` per case and configuration ("variant").

A variant is a label plus the adapter each tier runs under (None: the bare base). All variants share one
loaded base model: each becomes a runtime slot (`Runtime.add_variant`) with its own KV snapshot, and the
cases are interleaved variant by variant, so an A/B comparison runs in one process on identical prompts.
Model cases are one model call (greedy unless told otherwise) scored from its parsed output; router
cases are one routing decision; task cases run the whole agent loop in a fresh copy of the task's
repository and keep the checker's verdict. Eval runs never write the model log: eval cases must not
leak into training data.
Non-goals: scoring (`metrics.py`), reports (`compare.py`, `report.py`), choosing adapters (`cli.py`).
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from entropi.agent.validation import validate_call
from entropi.config.schema import TIERS, known_tools
from entropi.evaluation.cases import EvalCase
from entropi.evaluation.results import CallResult, CaseResult
from entropi.inference.router import RouteDecision

AdapterChoice = Path | None
"""An adapter file or version directory; None runs the bare base model."""
ROUTER = "router"
"""A variant's adapters key for its own router adapter (absent: the runtime's router)."""


@dataclass(frozen=True)
class Variant:
    """A configuration to evaluate: a label and the adapter of each tier (missing tiers: the base).

    A ``"router"`` key gives the variant its own router adapter; without it routing is the runtime's.
    """

    label: str
    adapters: Mapping[str, AdapterChoice] = field(default_factory=dict)


@dataclass(frozen=True)
class RunOptions:
    """How cases are decoded. Greedy by default so that two runs of one configuration agree."""

    max_tokens: int = 160
    temperature: float = 0.0
    seed: int = 0
    max_iterations: int = 6  # task cases: model calls per agent turn

    def sampling(self) -> dict[str, Any]:
        return {"temperature": self.temperature, "seed": self.seed, "max_tokens": self.max_tokens}


class SlotModel:
    """The runtime seen through one variant: every `turn` runs under the variant's slot for its tier.

    Satisfies the agent's `ModelClient` protocol, so task cases run the ordinary agent loop.
    """

    def __init__(self, runtime: Any, slots: Mapping[str, str], options: RunOptions) -> None:
        self._runtime = runtime
        self._slots = dict(slots)
        self._options = options
        self.session_id = runtime.session_id
        self.log = runtime.log
        self.source = "eval"

    @property
    def n_ctx(self) -> int:
        return self._runtime.n_ctx

    def route(self, text: str | bytes, *, override: str | None = None) -> RouteDecision:
        return self._runtime.route(text, override=override)

    def allowed_tools(self, tier: str) -> list[str]:
        return self._runtime.allowed_tools(tier)

    def adapter_label(self, tier: str) -> str:
        return self._runtime.adapter_label(self._slots[tier])

    def count_tokens(self, tier: str, messages: Sequence[Mapping[str, Any]]) -> int:
        return self._runtime.count_tokens(tier, messages)

    def turn(
        self,
        tier: str,
        messages: Sequence[Mapping[str, Any]],
        *,
        cancel: threading.Event | None = None,
        on_text: Callable[[str], None] | None = None,
        **kwargs: Any,
    ):
        kwargs.pop("sampling_overrides", None)
        return self._runtime.turn(
            tier,
            messages,
            slot=self._slots[tier],
            cancel=cancel,
            on_text=on_text,
            sampling_overrides=self._options.sampling(),
            **kwargs,
        )


def check_calls(parsed_calls: Sequence[Any], offered: Sequence[Mapping[str, Any]]) -> list[CallResult]:
    """Each parsed call with the agent validator's verdict against the offered tools."""
    schemas: dict[str, Mapping[str, Any]] = {**known_tools(), **{t["name"]: t for t in offered}}
    allowed = [t["name"] for t in offered]
    out = []
    for call in parsed_calls:
        problem = validate_call(call.name, call.arguments, schemas=schemas, allowed=allowed, seen=set())
        out.append(
            CallResult(
                name=call.name,
                arguments=dict(call.arguments),
                problem=problem.code if problem else None,
                detail=problem.message if problem else "",
            )
        )
    return out


def _offered(runtime: Any, case: EvalCase) -> list[dict[str, Any]]:
    if case.tools is not None:
        return [dict(t) for t in case.tools]
    return runtime.tier_tools(case.tier)


def run_model_case(runtime: Any, case: EvalCase, variant: str, slot: str, options: RunOptions) -> CaseResult:
    """One model call on the case's conversation, scored later from the stored output."""
    offered = _offered(runtime, case)
    names = [t["name"] for t in offered]
    result = CaseResult(case_id=case.id, variant=variant, kind="model", tier=case.tier, tool_names=names)
    try:
        turn = runtime.turn(
            case.tier,
            case.conversation(),
            slot=slot,
            tools=case.tools,
            sampling_overrides=options.sampling(),
        )
    except Exception as exc:  # context overflow, llama.cpp failure: the case fails, the run goes on
        result.error = f"{type(exc).__name__}: {exc}"
        return result
    timings = turn.timings
    result.raw_output = turn.raw_output
    result.thinking = turn.parsed.thinking
    result.content = turn.parsed.content
    result.calls = check_calls(turn.parsed.tool_calls, offered)
    result.parse_issues = [issue.kind for issue in turn.parsed.issues]
    result.model_calls = 1
    result.ttft_ms = timings.get("ttft_ms")
    result.decode_tok_s = timings.get("decode_tok_s")
    result.total_ms = timings.get("total_ms")
    result.prompt_tokens = int(timings.get("prompt_tokens", 0))
    result.completion_tokens = int(timings.get("completion_tokens", 0))
    return result


def route_case(runtime: Any, case: EvalCase, result: CaseResult, router: str | None = None) -> CaseResult:
    """Add the router's decision (``router``: a router variant) for cases with `expected_tier`."""
    if case.expected_tier is None:
        return result
    text = case.input if case.input is not None else _last_user_text(case)
    decision = runtime.route(text, router=router) if router else runtime.route(text)
    result.routed_tier = decision.tier
    result.route_scores = {k: float(v) for k, v in decision.scores.items()}
    if result.kind == "router":
        result.total_ms = decision.latency_ms
    return result


def _last_user_text(case: EvalCase) -> str:
    for message in reversed(case.conversation()):
        if message.get("role") == "user":
            return str(message.get("content") or "")
    return ""


def run_task_case(
    runtime: Any, case: EvalCase, variant: str, slots: Mapping[str, str], options: RunOptions, workdir: Path
) -> CaseResult:
    """The whole agent loop in a fresh copy of the task's repository; the task's checker decides."""
    from entropi.selfplay import run_task
    from entropi.tasks import load_tasks

    result = CaseResult(case_id=case.id, variant=variant, kind="task", tier=case.tier)
    tasks = {t.id: t for t in load_tasks()}
    task = tasks.get(case.task or "")
    if task is None:
        result.error = f"unknown task {case.task!r}"
        return result
    config = runtime.config.model_copy(
        update={"agent": runtime.config.agent.model_copy(update={"max_iterations": options.max_iterations})}
    )
    result.tool_names = list(runtime.allowed_tools(task.tier))
    try:
        run = run_task(task, 0, SlotModel(runtime, slots, options), config, workdir / variant)
    except Exception as exc:
        result.error = f"{type(exc).__name__}: {exc}"
        return result
    result.task_passed = run.passed
    result.task_detail = run.detail[:500]
    result.first_tool = run.first_tool
    result.model_calls = run.model_calls
    if run.first_tool:
        result.calls = [CallResult(name=run.first_tool)]
    return result


class Evaluator:
    """Cases × variants on one runtime. Build once, call `run` per batch of cases."""

    def __init__(self, runtime: Any, variants: Sequence[Variant], options: RunOptions | None = None) -> None:
        if not variants:
            raise ValueError("at least one variant is needed")
        labels = [v.label for v in variants]
        if len(set(labels)) != len(labels):
            raise ValueError(f"variant labels must differ, got {labels}")
        self.runtime = runtime
        self.variants = list(variants)
        self.options = options or RunOptions()
        self.slots: dict[str, dict[str, str]] = {}
        self.routers: dict[str, str | None] = {}
        for v in self.variants:
            self.slots[v.label] = {t: runtime.add_variant(t, v.label, v.adapters.get(t)) for t in TIERS}
            self.routers[v.label] = None
            if ROUTER in v.adapters:  # the variant brings its own router (adapter or bare base)
                runtime.add_router_variant(v.label, v.adapters[ROUTER])
                self.routers[v.label] = v.label

    def run(
        self,
        cases: Sequence[EvalCase],
        *,
        on_result: Callable[[CaseResult], None] | None = None,
        workdir: Path | None = None,
    ) -> dict[str, list[CaseResult]]:
        """Every case under every variant (interleaved per case); results per variant label."""
        out: dict[str, list[CaseResult]] = {v.label: [] for v in self.variants}
        with tempfile.TemporaryDirectory(prefix="entropi-eval-") as tmp:
            base = Path(workdir) if workdir is not None else Path(tmp)
            for case in cases:
                for variant in self.variants:
                    result = self._one(case, variant.label, base)
                    out[variant.label].append(result)
                    if on_result is not None:
                        on_result(result)
        return out

    def _one(self, case: EvalCase, label: str, workdir: Path) -> CaseResult:
        slots = self.slots[label]
        if case.kind == "task":
            result = run_task_case(self.runtime, case, label, slots, self.options, workdir)
        elif case.kind == "model":
            result = run_model_case(self.runtime, case, label, slots[case.tier], self.options)
        else:
            result = CaseResult(case_id=case.id, variant=label, kind="router", tier=case.tier)
        return route_case(self.runtime, case, result, self.routers[label])


def evaluate_variants(
    config: Any,
    project_root: Path,
    cases: Sequence[EvalCase],
    variants: Mapping[str, AdapterChoice | Mapping[str, AdapterChoice]],
    *,
    options: RunOptions | None = None,
    on_result: Callable[[CaseResult], None] | None = None,
) -> dict[str, list[CaseResult]]:
    """Load the runtime once and evaluate ``cases`` under each variant.

    A variant value is one adapter for every tier the cases use, or a mapping tier → adapter.
    """
    from entropi.inference.runtime import Runtime  # imported late: loads llama.cpp

    config = config.model_copy(update={"log": config.log.model_copy(update={"enabled": False})})
    tiers = {c.tier for c in cases if c.tier}
    built = []
    for label, choice in variants.items():
        per_tier = dict(choice) if isinstance(choice, Mapping) else dict.fromkeys(tiers, choice)
        built.append(Variant(label, per_tier))
    needs_router = any(c.expected_tier for c in cases)  # router variants work without the default one
    with Runtime(config, project_root=project_root, with_router=needs_router) as runtime:
        return Evaluator(runtime, built, options).run(cases, on_result=on_result)
