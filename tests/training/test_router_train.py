"""Router adapter training on the real embedded model: data errors, training, export, routing with it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from entropi.config import load_config
from entropi.inference.runtime import Runtime
from entropi.training import registry
from entropi.training.router_train import RouterDataError, RouterTrainConfig, load_routing_rows, train_router

ROWS = {
    "simple": [
        "hello!",
        "thanks a lot",
        "good morning",
        "bye for now",
        "you are great",
        "hi again",
        "thank you, that helped",
        "hey",
        "cheers",
        "good night",
    ],
    "code": [
        "add a retry flag to fetch()",
        "fix the typo in utils.py",
        "rename total to subtotal",
        "write a test for parse_date",
        "implement the cart remove method",
        "refactor the loader class",
        "change the default port to 8080",
        "delete the unused import in app.py",
        "make load_config accept a path",
        "add type hints to models.py",
    ],
    "normal": [
        "what does parse_args return?",
        "where is the db session created?",
        "explain the cache decorator",
        "which module handles auth?",
        "what is the purpose of Tier?",
        "how does the retry loop work?",
        "what calls save_user?",
        "who wrote the router module?",
        "what does this regex match?",
        "what is stored in settings.toml?",
    ],
    "thinking": [
        "investigate why the tests hang on CI",
        "plan the migration to async io",
        "find the root cause of the memory leak",
        "debug the intermittent KeyError in jobs",
        "audit the repo for unsafe subprocess calls",
        "figure out why login fails after deploy",
        "work out a plan to split the monolith",
        "trace why totals are off by one cent",
        "diagnose the slow startup step by step",
        "investigate the flaky upload test",
    ],
}


def _write_rows(path: Path) -> Path:
    lines = [
        json.dumps({"input": text, "expected_tier": tier}) for tier, texts in ROWS.items() for text in texts
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(
    "content,message",
    [
        ('{"input": "hi"}\n', r"rows.jsonl:1: tier None is not one of"),
        ('{"input": "", "tier": "code"}\n', r"rows.jsonl:1: 'input' must be a non-empty string"),
        ("not json\n", r"rows.jsonl:1: not JSON"),
        ("\n// only a comment\n", "no routing rows"),
    ],
)
def test_bad_routing_rows_are_named(tmp_path, content, message):
    path = tmp_path / "rows.jsonl"
    path.write_text(content)
    with pytest.raises(RouterDataError, match=message):
        load_routing_rows([path])


def test_a_trained_router_adapter_routes_its_training_requests(tmp_path):
    rows = load_routing_rows([_write_rows(tmp_path / "rows.jsonl")])
    assert len(rows) == 40
    out = tmp_path / "lora_adapters"
    config = RouterTrainConfig(epochs=4, batch_size=8, eval_fraction=0.0, learning_rate=2e-3)
    result = train_router(rows, project_root=tmp_path, out_root=out, config=config, promote=True)
    assert result.version == "v0001" and (result.folder / registry.ADAPTER_FILE).is_file()
    assert (result.folder / "router_prompt.txt").read_text().strip() == config.prompt
    assert result.manifest["metrics"]["training"]["train_accuracy"] >= 0.9
    losses = result.manifest["training"]["losses"]
    assert losses[-1] < losses[0]
    project_config = load_config(tmp_path, env={}, home=tmp_path / "home")
    with Runtime(project_config, project_root=tmp_path) as runtime:  # discovers lora_adapters/router/current
        assert runtime.adapters.statuses["router"].loaded
        assert runtime.router.prompt.prefix != []
        runtime.add_router_variant("base", None)
        trained = sum(runtime.route(text).tier == tier for text, tier in rows)
        base = sum(runtime.route(text, router="base").tier == tier for text, tier in rows)
    assert trained >= 36, f"the adapter routes {trained}/40 of its training requests in llama.cpp"
    assert trained > base
