"""Backend choice (auto → trl without CUDA; unsloth never imported off its path) and the CPU log-prob shim."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from entropi.training import backends
from entropi.training.backends import BackendError, choose_backend

SRC = Path(__file__).resolve().parents[2] / "src"


def test_importing_the_training_package_never_imports_unsloth(train_stack, tmp_path: Path):
    """A stand-in `unsloth` that raises at import, as the real one does without a GPU, stays unimported."""
    fake = tmp_path / "fake" / "unsloth"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('Unsloth: no GPU found')\n")
    code = textwrap.dedent(
        """
        import sys
        import entropi.training.backends.trl_backend, entropi.training.backends.unsloth_backend
        import entropi.training.cli, entropi.training.pipeline, entropi.training.export
        import entropi.commands.adapters
        from entropi.training.backends import BackendError, backend_defaults, choose_backend
        choice = choose_backend("auto")
        print("auto:", choice.name, "|", choice.reason)
        assert backend_defaults("unsloth")["load_in_4bit"] is True
        try:
            choose_backend("unsloth")
        except BackendError as exc:
            print("unsloth:", exc)
        assert "unsloth" not in sys.modules, "unsloth was imported"
        """
    )
    env = {**os.environ, "PYTHONPATH": f"{fake.parent}{os.pathsep}{SRC}", "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "auto: trl | no CUDA GPU, so TRL + PEFT" in done.stdout
    assert "unsloth: the unsloth backend needs a CUDA GPU" in done.stdout


@pytest.mark.parametrize(
    "cuda,installed,expected",
    [
        (True, True, ("unsloth", "CUDA and unsloth are available")),
        (True, False, ("trl", "unsloth is not installed, so TRL + PEFT")),
        (False, True, ("trl", "no CUDA GPU, so TRL + PEFT")),
    ],
)
def test_auto_picks_unsloth_only_with_cuda_and_unsloth(monkeypatch, cuda, installed, expected):
    monkeypatch.setattr(backends, "cuda_available", lambda: cuda)
    monkeypatch.setattr(backends, "unsloth_installed", lambda: installed)
    choice = choose_backend("auto")
    assert (choice.name, choice.reason) == expected
    assert choose_backend("trl").name == "trl"


def test_requesting_unsloth_where_it_cannot_run_says_why(monkeypatch):
    monkeypatch.setattr(backends, "cuda_available", lambda: True)
    monkeypatch.setattr(backends, "unsloth_installed", lambda: False)
    with pytest.raises(BackendError, match=r"pip install 'entropi\[gpu\]'"):
        choose_backend("unsloth")
    monkeypatch.setattr(backends, "cuda_available", lambda: False)
    with pytest.raises(BackendError, match="needs a CUDA GPU"):
        choose_backend("unsloth")
    with pytest.raises(BackendError, match="unknown backend 'jax'"):
        choose_backend("jax")


def test_torch_logprob_gives_transformers_loss_and_gradients(train_stack):
    """TRL's fused LM-head path with the torch stand-in reproduces the model's own cross-entropy."""
    import torch
    from train_support import tiny_llama
    from trl.trainer.utils import add_fused_lm_head

    from entropi.training.backends import torch_logprob

    assert torch_logprob.install() == (importlib.util.find_spec("triton") is None)
    model = tiny_llama()
    ids = torch.randint(0, 97, (2, 12))
    labels = ids.clone()
    labels[0, :5] = -100  # a masked prompt
    reference = model(input_ids=ids, labels=labels).loss
    reference.backward()
    expected_grad = model.model.layers[0].self_attn.q_proj.weight.grad.clone()
    model.zero_grad()
    add_fused_lm_head(model, outputs=("log_probs", "entropy", "is_top1"))
    fused = model(input_ids=ids, labels=labels, fused_lm_head=True)
    fused.loss.backward()
    torch.testing.assert_close(fused.loss, reference, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(
        model.model.layers[0].self_attn.q_proj.weight.grad, expected_grad, rtol=1e-4, atol=1e-6
    )
    with torch.no_grad():
        logits = model(input_ids=ids).logits[:, :-1]
    mask = fused.label_mask
    top1 = logits.argmax(-1) == labels[:, 1:]
    assert torch.equal(fused.is_top1[mask], top1[mask])
    entropy = torch.distributions.Categorical(logits=logits).entropy()
    torch.testing.assert_close(fused.entropy[mask], entropy[mask], rtol=1e-4, atol=1e-5)
