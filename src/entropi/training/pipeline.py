"""One fine-tuning run: backend → base → data → SFT → DPO → GGUF export → manifest + report → version dir.

The run works in ``<out>/<tier>/.runs/<version>``; each finished stage leaves its adapter and metrics
there, so ``resume`` skips finished stages and continues an interrupted one from its last checkpoint.
The finished run becomes ``<out>/<tier>/<version>`` in one rename; with ``promote`` a gate then decides
whether it becomes ``current`` (default: the evaluation gate, ``evaluation/promotion.py``).
Non-goals: argument parsing (``scripts/fine_tune.py``), evaluation and the gate's rules.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from entropi.config import ConfigError, EntropiConfig, load_config
from entropi.training import registry
from entropi.training.backends import backend_defaults, choose_backend, make_backend
from entropi.training.base_model import BaseSpec, hf_location, resolve_base, training_formatter
from entropi.training.config import FineTuneConfig, TrainConfigError, with_backend_defaults
from entropi.training.datasets import DatasetError, TierData, load_tier_data

STAGES_DIR = "stages"

PromotionGate = Callable[[Path, str, str], bool]
"""``(adapters root, tier, version) -> became current``: decides ``promote`` once the version exists."""
BaselineCheck = Callable[[EntropiConfig, str, BaseSpec], Any]
"""``(project config, tier, base) -> evaluation.baseline.Baseline | None``: the bare base on the tier's
cases, before training; its figures go in the manifest, its results in ``<version>/baseline/``."""


@dataclass
class FineTuneResult:
    """Where the new version is and what its manifest says."""

    version: str
    folder: Path
    manifest: dict[str, Any]
    promoted: bool


def _absolute(path: Path, root: Path) -> Path:
    path = Path(path).expanduser()
    return path if path.is_absolute() else root / path


def _start_adapter(config: FineTuneConfig, work: Path, out_root: Path, console: Console) -> Path | None:
    """The PEFT dir the run continues from, or None for a fresh LoRA."""
    if config.resume:  # the adapter of the last stage that finished before the interruption
        for stage in reversed(config.stages):
            if (work / STAGES_DIR / stage / "adapter_config.json").is_file():
                return work / STAGES_DIR / stage
    if "sft" in config.stages:
        return None
    if config.dpo.init_adapter is not None:
        if not (config.dpo.init_adapter / "adapter_config.json").is_file():
            raise TrainConfigError(f"dpo.init_adapter {config.dpo.init_adapter} is not a PEFT adapter dir")
        return config.dpo.init_adapter
    current = out_root / config.tier / registry.CURRENT / registry.PEFT_DIR
    if (current / "adapter_config.json").is_file():
        console.print(f"DPO starts from the current {config.tier} adapter ({current.resolve().parent.name})")
        return current
    console.print("[yellow]DPO without an SFT adapter: starting (and referencing) a fresh LoRA[/yellow]")
    return None


def _drop_empty_stages(config: FineTuneConfig, data: TierData, console: Console) -> FineTuneConfig:
    """Default stages without rows are skipped with a warning; an explicitly requested one is an error."""
    empty = data.empty_stages()
    if not empty:
        return config
    where = f"{data.folder}/<stage>_train.jsonl"
    if "stages" in config.model_fields_set or len(empty) == len(config.stages):
        raise DatasetError(f"no training rows for stage(s) {', '.join(empty)} in {where}")
    console.print(f"[yellow]skipping stage(s) {', '.join(empty)}: no training rows in {where}[/yellow]")
    return config.model_copy(update={"stages": [s for s in config.stages if s not in empty]})


def evaluation_gate(entropi_config: EntropiConfig, project_root: Path, console: Console) -> PromotionGate:
    """The gate of `entropi adapters promote`: evaluate the version, make it current only if it passes.

    A gate that cannot run (no cases, an adapter for another base, ...) leaves the version registered and
    not current, with a warning: the finished training is never lost to it.
    """

    def run(out_root: Path, tier: str, version: str) -> bool:
        from entropi.evaluation.promotion import GATE_ERRORS, promote_through_gate

        console.print(f"promotion gate: evaluating {tier} {version} against the current adapter")
        try:
            report = promote_through_gate(entropi_config, project_root, out_root, tier, version)
        except GATE_ERRORS as exc:
            console.print(f"[yellow]not promoted: the gate could not evaluate {version}: {exc}[/yellow]")
            return False
        for check in report.decision.checks:
            mark = "[green]pass[/green]" if check.passed else "[red]FAIL[/red]"
            console.print(f"  {mark} {check.name}: {check.detail}", highlight=False)
        if not report.promoted:
            console.print(f"[red]not promoted[/red]: {report.decision.reason()}")
        return report.promoted

    return run


def evaluation_baseline(
    project_root: Path, console: Console, limit: int | None = None, *, cache: bool = True
) -> BaselineCheck:
    """The check `scripts/fine_tune.py` runs first: the base GGUF on the tier's cases, and its verdict
    (``cache``: reuse the results of an earlier run on the same base, config and cases)."""

    def run(entropi_config: EntropiConfig, tier: str, base: BaseSpec) -> Any:
        from entropi.evaluation.baseline import evaluate_baseline
        from entropi.evaluation.promotion import GATE_ERRORS

        if base.gguf is None:
            console.print("[yellow]baseline skipped: the base has no GGUF to run in llama.cpp[/yellow]")
            return None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        try:
            with Progress(*columns, console=console, transient=True) as progress:
                bar = progress.add_task(f"baseline: bare base on the {tier} cases", total=None)
                measured = evaluate_baseline(
                    entropi_config,
                    project_root,
                    tier,
                    base.gguf,
                    limit=limit,
                    on_start=lambda n: progress.update(bar, total=n),
                    on_result=lambda _: progress.advance(bar),
                    cache=project_root / ".entropi" / "cache" / "baseline" if cache else None,
                )
        except GATE_ERRORS as exc:
            console.print(f"[yellow]baseline skipped: {exc}[/yellow]")
            return None
        figures = measured.figures
        shown = ", ".join(
            f"{k} {v['rate']:.0%}" for k, v in figures["rates"].items() if v.get("rate") is not None
        )
        if measured.reused:
            console.print(f"baseline: reusing earlier results: {measured.reused} (--fresh-baseline)")
        console.print(f"baseline ({figures['cases']} cases): {shown}")
        console.print(f"[bold]decision:[/bold] {figures['verdict']}")
        return measured

    return run


def _manifest(
    config: FineTuneConfig,
    version: str,
    base: BaseSpec,
    data: TierData,
    model: Any,
    results: dict[str, Any],
    export: Any,
    training: dict[str, Any],
    baseline: dict[str, Any] | None,
) -> dict[str, Any]:
    lora = model.peft_config["default"]
    return {
        "schema": registry.MANIFEST_SCHEMA,
        "tier": config.tier,
        "version": version,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "base_model": {
            "id": base.model_id,
            "sha256": base.sha256(),
            "arch": base.arch,
            "source": base.location,
            "kind": base.kind,
            "gguf": str(base.gguf) if base.gguf else None,
        },
        "rank": int(lora.r),
        "alpha": float(lora.lora_alpha),
        "target_modules": sorted(lora.target_modules),
        "dropout": float(lora.lora_dropout),
        "dataset": {"dir": str(data.folder), "sha256": data.sha256(), "counts": data.counts},
        "training": {
            **training,
            "stages": list(config.stages),
            "config": config.model_dump(mode="json"),
        },
        "export": {
            "file": registry.ADAPTER_FILE,
            "dtype": export.dtype,
            "tensors": export.n_tensors,
            "qk_permuted": export.qk_permuted,
            "gguf_alpha": export.alpha,
        },
        "metrics": {
            "baseline": baseline,
            "training": {stage: r.metrics for stage, r in results.items()},
            "evaluation": None,
        },
        "code_revision": registry.code_revision(),
    }


def fine_tune(
    config: FineTuneConfig,
    *,
    project_root: Path,
    entropi_config: EntropiConfig | None = None,
    console: Console | None = None,
    callbacks: Sequence[Any] = (),
    gate: PromotionGate | None = None,
    baseline: BaselineCheck | None = None,
) -> FineTuneResult:
    """Run the configured stages for ``config.tier`` and register the adapter as a new version.

    Relative paths in ``config`` resolve against ``project_root``. Under ``accelerate launch`` or
    ``torchrun`` every process trains; only the main one writes the registry, exports and reports (the
    others return a result with an empty manifest). ``callbacks`` (transformers
    ``TrainerCallback``s) are added to every stage's trainer. With ``config.promote``, ``gate`` (default:
    `evaluation_gate`) decides whether the new version becomes ``current``. ``baseline`` (the CLI passes
    `evaluation_baseline`) measures the bare base before anything is trained; its figures go in the manifest.
    """
    started = time.perf_counter()
    choice = choose_backend(config.backend)
    config = with_backend_defaults(config, backend_defaults(choice.name))
    backend = make_backend(choice.name)  # unsloth, if chosen, is imported here: before transformers/trl
    import datasets
    import transformers
    from accelerate import PartialState

    datasets.disable_progress_bars()  # the run's own progress bar is the one to watch
    transformers.utils.logging.disable_progress_bar()
    state = PartialState(cpu=backend.device == "cpu")  # gloo across CPU processes under torchrun
    console = console or Console(stderr=True)
    console.quiet = console.quiet or not state.is_main_process
    console.print(f"backend: [bold]{choice.name}[/bold] ({choice.reason})")
    if entropi_config is None:
        try:
            entropi_config = load_config(project_root)
        except ConfigError as exc:
            raise TrainConfigError(f"project configuration error:\n{exc}") from exc
    model_cfg = entropi_config.model
    base = resolve_base(
        config.base,
        base_gguf=_absolute(config.base_gguf, project_root) if config.base_gguf else None,
        project_root=project_root,
        project_model=model_cfg.path,
    )
    if base.gguf is None:
        console.print("[yellow]no base GGUF (base_gguf): the manifest cannot pin the runtime base[/yellow]")
    data = load_tier_data(_absolute(config.data, project_root), config.tier, list(config.stages))
    config = _drop_empty_stages(config, data, console)
    console.print(f"base: {base.model_id} ({base.arch}); data: {data.counts}")
    measured = baseline(entropi_config, config.tier, base) if baseline and state.is_main_process else None
    out_root = _absolute(config.out, project_root)
    with state.main_process_first():  # the main process creates the run; the others join it
        resume = config.resume or not state.is_main_process
        version, work = registry.new_run(out_root, config.tier, resume=resume)
        location = hf_location(
            base, on_convert=lambda dest: console.print(f"converting the GGUF for training, once: {dest}")
        )
    console.print(f"run: {config.tier} {version} in {work}")

    from entropi.training.render import TrainingRenderer
    from entropi.training.report import write_report

    start = _start_adapter(config, work, out_root, console)
    model, tokenizer = backend.load(location, config, adapter=start)
    if start is None:
        model = backend.add_lora(model, config)
    template_file = model_cfg.chat_template_file
    template = template_file.read_text(encoding="utf-8") if template_file else None
    thinking = config.enable_thinking
    if thinking is None:
        thinking = entropi_config.tiers[config.tier].thinking
    renderer = TrainingRenderer(
        training_formatter(base, tokenizer, template_override=template), tokenizer, enable_thinking=thinking
    )
    prepared = _prepare(config, renderer, data)  # every row is rendered and checked before any training
    results = _run_stages(
        config, backend, model, tokenizer, renderer, prepared, work, console, state, callbacks
    )
    if not state.is_main_process:
        return FineTuneResult(version, out_root / config.tier / version, {}, False)
    model.save_pretrained(str(work / registry.PEFT_DIR), selected_adapters=["default"])
    from entropi.training.export import export_run

    export = export_run(
        base, model.config, work, tier=config.tier, version=version, dtype=config.export_dtype
    )
    seconds = time.perf_counter() - started
    training = {"backend": choice.name, "processes": state.num_processes, "seconds": round(seconds, 1)}
    figures = None
    if measured is not None:
        from entropi.evaluation.promotion import BASELINE_DIR, BASELINE_RESULTS
        from entropi.evaluation.results import write_results

        write_results(work / BASELINE_DIR / BASELINE_RESULTS, measured.results)
        figures = measured.figures
    manifest = _manifest(config, version, base, data, model, results, export, training, figures)
    registry.write_manifest(work, manifest)
    write_report(work, manifest, {stage: r.log_history for stage, r in results.items()})
    if not config.keep_checkpoints:
        shutil.rmtree(work / "checkpoints", ignore_errors=True)
    folder = registry.finalize(work, out_root, config.tier, version)
    gguf_file = folder / registry.ADAPTER_FILE
    console.print(f"[green]adapter[/green] {gguf_file} ({export.n_tensors} tensors)")
    promoted = False
    if config.promote:
        model = tokenizer = None  # the gate loads the base in llama.cpp: let the training copy go first
        gate = gate or evaluation_gate(entropi_config, project_root, console)
        promoted = gate(out_root, config.tier, version)
        if promoted:
            console.print(f"[green]{config.tier} {version} promoted to current[/green]")
    manifest = registry.read_manifest(folder) if config.promote else manifest  # the gate adds its verdict
    return FineTuneResult(version, folder, manifest, promoted)


def _prepare(config: FineTuneConfig, renderer: Any, data: TierData) -> dict[str, Any]:
    from entropi.training.dpo import build_dpo_data
    from entropi.training.sft import build_sft_data

    builders = {"sft": (build_sft_data, config.sft), "dpo": (build_dpo_data, config.dpo)}
    prepared = {}
    for stage in config.stages:
        build, settings = builders[stage]
        extra = {"first_turn_only": config.sft.first_turn_only} if stage == "sft" else {}
        prepared[stage] = build(
            data.split(stage, "train"), data.split(stage, "eval"), renderer, settings.max_length, **extra
        )
    return prepared


def _run_stages(
    config, backend, model, tokenizer, renderer, prepared, work, console, state, extra
) -> dict[str, Any]:
    """Each configured stage in order; a stage finished before a resume is read back, not re-run."""
    from entropi.training.dpo import run_dpo
    from entropi.training.report import RichProgress
    from entropi.training.sft import run_sft
    from entropi.training.stages import StageResult

    results: dict[str, StageResult] = {}
    stages_dir = work / STAGES_DIR
    stages_dir.mkdir(exist_ok=True)
    for stage in config.stages:
        record = stages_dir / f"{stage}.json"
        if config.resume and record.is_file() and (stages_dir / stage / "adapter_config.json").is_file():
            saved = json.loads(record.read_text(encoding="utf-8"))
            results[stage] = StageResult(stage, saved["metrics"], saved["log_history"])
            console.print(f"{stage}: finished before the resume, skipped")
            continue
        # one progress bar, from the main process
        stage_callbacks = [RichProgress(stage, console), *extra] if state.is_main_process else list(extra)
        args = (model, tokenizer, backend, config, prepared[stage], work, stage_callbacks)
        result = run_sft(*args) if stage == "sft" else run_dpo(*args, turn_end=renderer.turn_end)
        if state.is_main_process:
            model.save_pretrained(str(stages_dir / stage), selected_adapters=["default"])
            payload = {"metrics": result.metrics, "log_history": result.log_history}
            record.write_text(json.dumps(payload, default=str), encoding="utf-8")
        state.wait_for_everyone()
        results[stage] = result
        shown = {k: v for k, v in result.metrics.items() if "loss" in k or k == "tokens_per_s"}
        console.print(f"{stage}: " + ", ".join(f"{k} {v}" for k, v in shown.items()))
    return results
