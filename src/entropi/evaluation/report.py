"""The A/B report files: ``compare.json``, ``compare.png`` (A vs B bars with CI whiskers, one panel per tier
and one for all cases) and ``report.html`` (self-contained: inline CSS, the PNG embedded as base64, every
model output HTML-escaped).
Non-goals: computing anything (`compare.py` does), single-run metric files (`metrics.write_metric_files`).
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from entropi.evaluation.compare import CaseDiff, Comparison, RateDelta

COMPARE_JSON = "compare.json"
COMPARE_PNG = "compare.png"
REPORT_HTML = "report.html"
LABELS = {
    "valid": "validity",
    "selected": "selection",
    "args_match": "argument match",
    "relevance": "relevance",
    "irrelevance": "irrelevance",
    "forbidden_ok": "no forbidden tool",
    "substr_ok": "expected text",
    "task_passed": "task completion",
    "routed_ok": "router accuracy",
    "coherent": "coherent",
    "incoherent": "incoherent",
    "unclear": "unclear intent",
    "passed": "case passed",
}
CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1400px}
table{border-collapse:collapse;margin:0.6em 0 1.4em;font-size:0.9em}
th,td{border:1px solid #ccc;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f3f3f3} td.num{text-align:right;white-space:nowrap}
tr.better td,tr.improved td{background:#e3f6e3} tr.worse td,tr.regressed td{background:#fbe1e1}
tr.neutral td,tr.na td{color:#777} code,pre{font-family:ui-monospace,monospace;font-size:0.85em}
pre{white-space:pre-wrap;margin:0;max-width:28em} img{max-width:100%}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def _rate(rate: Mapping[str, Any]) -> str:
    if rate.get("rate") is None:
        return "–"
    ci = f" [{_pct(rate['lo'])}, {_pct(rate['hi'])}]" if rate.get("lo") is not None else ""
    return f"{_pct(rate['rate'])}{ci} <small>{rate['k']}/{rate['n']}</small>"


def _delta(d: RateDelta) -> str:
    if d.delta is None:
        return "–"
    ci = f" [{d.lo * 100:+.1f}, {d.hi * 100:+.1f}]" if d.lo is not None and d.hi is not None else ""
    return f"{d.delta * 100:+.1f} pts{ci}"


def _metric_table(metrics: Mapping[str, RateDelta], label_a: str, label_b: str) -> str:
    rows = [
        f'<tr class="{d.verdict.replace("/", "")}"><td>{_e(LABELS.get(name, name))}</td>'
        f'<td class="num">{_rate(d.a)}</td>'
        f'<td class="num">{_rate(d.b)}</td><td class="num">{_delta(d)}</td><td>{_e(d.verdict)}</td></tr>'
        for name, d in metrics.items()
        if d.a.get("n") or d.b.get("n")
    ]
    head = (
        f"<tr><th>metric</th><th>{_e(label_a)}</th><th>{_e(label_b)}</th>"
        "<th>Δ B−A [95% paired CI]</th><th></th></tr>"
    )
    return f"<table>{head}{''.join(rows)}</table>"


def _number(value: Any) -> str:
    if value is None:
        return "–"
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def _resources_table(c: Comparison) -> str:
    a, b = c.summary_a.get("overall", {}), c.summary_b.get("overall", {})
    rows = [
        ("TTFT p50 (ms)", ("latency", "ttft_ms_p50")),
        ("TTFT p90 (ms)", ("latency", "ttft_ms_p90")),
        ("decode tok/s (mean)", ("latency", "decode_tok_s_mean")),
        ("total ms (mean)", ("latency", "total_ms_mean")),
        ("prompt tokens", ("tokens", "prompt")),
        ("completion tokens", ("tokens", "completion")),
        ("malformed calls", ("malformed",)),
        ("errors", ("n_errors",)),
    ]
    out = []
    for label, path in rows:
        va, vb = _dig(a, path), _dig(b, path)
        diff = vb - va if isinstance(va, int | float) and isinstance(vb, int | float) else None
        out.append(
            f"<tr><td>{_e(label)}</td><td class='num'>{_number(va)}</td><td class='num'>{_number(vb)}</td>"
            f"<td class='num'>{'–' if diff is None else f'{diff:+.1f}'}</td></tr>"
        )
    head = f"<tr><th></th><th>{_e(c.label_a)}</th><th>{_e(c.label_b)}</th><th>Δ</th></tr>"
    return f"<table>{head}{''.join(out)}</table>"


def _dig(mapping: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = mapping
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def _confusion(summary: Mapping[str, Any], label: str) -> str:
    confusion = _dig(summary, ("overall", "router", "confusion")) or {}
    if not any(sum(row.values()) for row in confusion.values()):
        return ""
    columns = list(next(iter(confusion.values())))
    head = "<tr><th>expected ↓ routed →</th>" + "".join(f"<th>{_e(col)}</th>" for col in columns) + "</tr>"
    body = "".join(
        f"<tr><td>{_e(tier)}</td>" + "".join(f"<td class='num'>{row[col]}</td>" for col in columns) + "</tr>"
        for tier, row in confusion.items()
    )
    return f"<h3>router confusion: {_e(label)}</h3><table>{head}{body}</table>"


def _side(passed: bool, failed: list[str], detail: str) -> str:
    verdict = "pass" if passed else "fail"
    extra = f"<br><small>{_e(', '.join(failed))}</small>" if failed else ""
    return f"<b>{verdict}</b>{extra}" + (f"<br><small>{_e(detail)}</small>" if detail else "")


def _case_rows(diffs: list[CaseDiff]) -> str:
    return "".join(
        f'<tr class="{d.change}"><td><code>{_e(d.case_id)}</code><br><small>{_e(d.change)}</small></td>'
        f"<td>{_e(d.tier)}</td><td>{_e(', '.join(d.tags))}</td>"
        f"<td>{_side(d.passed_a, d.failed_a, d.detail_a)}</td>"
        f"<td>{_side(d.passed_b, d.failed_b, d.detail_b)}</td>"
        f"<td><pre>{_e(d.call_a)}</pre></td><td><pre>{_e(d.call_b)}</pre></td>"
        f"<td><pre>{_e(d.excerpt_a)}</pre></td><td><pre>{_e(d.excerpt_b)}</pre></td></tr>"
        for d in diffs
    )


def render_html(c: Comparison, png: bytes | None = None) -> str:
    """The report page; `png` (the plot) is embedded when given."""
    a, b = _e(c.label_a), _e(c.label_b)
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>entropi A/B: {a} vs {b}</title>",
        f"<style>{CSS}</style></head><body><h1>A/B: {a} (A) vs {b} (B)</h1>",
        f"<p>{c.n_cases} paired cases · paired bootstrap, {c.n_boot} resamples, seed {c.seed} · "
        f"<b>{len(c.improved)}</b> improved, <b>{len(c.regressed)}</b> regressed, "
        f"{len(c.cases) - len(c.improved) - len(c.regressed)} changed otherwise.</p>",
    ]
    if c.only_a or c.only_b:
        parts.append(f"<p>Not paired (run by one variant only): {_e(', '.join(c.only_a + c.only_b))}</p>")
    if png:
        parts.append(
            f"<img alt='A vs B per metric' src='data:image/png;base64,{base64.b64encode(png).decode()}'>"
        )
    parts += ["<h2>All cases</h2>", _metric_table(c.metrics, c.label_a, c.label_b)]
    parts += ["<h2>Latency and tokens</h2>", _resources_table(c)]
    parts += [_confusion(c.summary_a, c.label_a), _confusion(c.summary_b, c.label_b)]
    for tier, metrics in c.per_tier.items():
        parts += [f"<h2>Tier {_e(tier)}</h2>", _metric_table(metrics, c.label_a, c.label_b)]
    head = (
        f"<tr><th>case</th><th>tier</th><th>tags</th><th>{a}</th><th>{b}</th><th>{a} first call</th>"
        f"<th>{b} first call</th><th>{a} output</th><th>{b} output</th></tr>"
    )
    parts += ["<h2>Per-case differences</h2>"]
    parts.append(f"<table>{head}{_case_rows(c.cases)}</table>" if c.cases else "<p>No case changed.</p>")
    parts.append("</body></html>")
    return "\n".join(p for p in parts if p)


def plot(c: Comparison, path: Path) -> Path | None:
    """Bars A vs B with each side's CI per metric, a panel for all cases and one per tier (None: no data or
    no matplotlib)."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [("all cases", c.metrics)] + [(f"tier {t}", m) for t, m in c.per_tier.items()]
    panels = [(title, {k: d for k, d in m.items() if d.a.get("n") or d.b.get("n")}) for title, m in panels]
    panels = [(title, m) for title, m in panels if m]
    if not panels:
        return None
    cols = min(3, len(panels))
    rows = -(-len(panels) // cols)
    tallest = max(len(m) for _, m in panels)
    fig, axes = plt.subplots(
        rows, cols, figsize=(4.3 * cols, (0.36 * tallest + 1.0) * rows + 0.5), squeeze=False
    )
    for ax in axes.flat[len(panels) :]:
        ax.set_visible(False)
    for ax, (title, metrics) in zip(axes.flat, panels, strict=False):
        names = list(metrics)[::-1]
        for offset, side, label in ((0.2, "a", c.label_a), (-0.2, "b", c.label_b)):
            rates = [getattr(metrics[n], side) for n in names]
            values = [math.nan if r["rate"] is None else r["rate"] for r in rates]
            err = [
                [0.0 if r["lo"] is None else max(0.0, r["rate"] - r["lo"]) for r in rates],
                [0.0 if r["hi"] is None else max(0.0, r["hi"] - r["rate"]) for r in rates],
            ]
            positions = [i + offset for i in range(len(names))]
            ax.barh(positions, values, height=0.38, xerr=err, capsize=2, label=label)
        ax.set_yticks(range(len(names)), [LABELS.get(n, n) for n in names], fontsize=8)
        ax.set_xlim(0, 1.02)
        ax.set_title(title, fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncol=2, fontsize=9, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.45 / fig.get_figheight()))
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def write_report(out_dir: Path, comparison: Comparison) -> dict[str, Path]:
    """``compare.json``, ``compare.png`` (when it can be drawn) and ``report.html`` in `out_dir`."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {"json": out_dir / COMPARE_JSON}
    files["json"].write_text(comparison.model_dump_json(indent=2) + "\n", encoding="utf-8")
    png = plot(comparison, out_dir / COMPARE_PNG)
    if png is not None:
        files["png"] = png
    files["html"] = out_dir / REPORT_HTML
    files["html"].write_text(render_html(comparison, png.read_bytes() if png else None), encoding="utf-8")
    return files
