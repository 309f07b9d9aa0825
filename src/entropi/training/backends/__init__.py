"""Training backends: how the base model and its LoRA are loaded; the TRL trainers are shared.

``choose_backend`` picks one (``auto``: unsloth when CUDA and unsloth are both available, else trl) and
says why. Importing this package imports neither torch nor unsloth; unsloth is imported only by
``UnslothBackend``, which must be created before transformers/trl are imported so its patches apply.
Non-goals: the stages themselves (``sft.py``, ``dpo.py``).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from entropi.training.config import FineTuneConfig


class BackendError(RuntimeError):
    """The requested backend cannot run here; the message says what to install or change."""


class Backend(Protocol):
    """What the stages need from a backend."""

    name: str
    device: str  # "cpu" or "cuda"

    def load(self, location: str, config: FineTuneConfig, adapter: Path | None = None) -> tuple[Any, Any]:
        """(model, tokenizer) for the base at ``location`` (HF dir or Hub id); with ``adapter`` (a PEFT
        dir), the model is a PEFT model continuing from that adapter, trainable, named ``default``."""
        ...

    def add_lora(self, model: Any, config: FineTuneConfig) -> Any:
        """A PEFT model with a fresh, trainable LoRA named ``default``."""
        ...

    def trainer_kwargs(self, config: FineTuneConfig) -> dict[str, Any]:
        """Extra TrainingArguments for this backend (dtype, device, checkpointing)."""
        ...


@dataclass(frozen=True)
class Choice:
    name: str
    reason: str


def cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def unsloth_installed() -> bool:
    return importlib.util.find_spec("unsloth") is not None


def choose_backend(requested: str) -> Choice:
    """The backend to use for ``requested`` (auto | trl | unsloth), with the reason, or a BackendError."""
    if requested == "trl":
        return Choice("trl", "requested")
    if requested not in ("auto", "unsloth"):
        raise BackendError(f"unknown backend {requested!r}: choose auto, trl or unsloth")
    cuda, installed = cuda_available(), unsloth_installed()
    if requested == "unsloth":
        if not cuda:
            raise BackendError("the unsloth backend needs a CUDA GPU and none is visible; use --backend trl")
        if not installed:
            raise BackendError("unsloth is not installed: pip install 'entropi[gpu]' (GPU machines only)")
        return Choice("unsloth", "requested")
    if cuda and installed:
        return Choice("unsloth", "CUDA and unsloth are available")
    why = "no CUDA GPU" if not cuda else "unsloth is not installed"
    return Choice("trl", f"{why}, so TRL + PEFT")


def make_backend(name: str) -> Backend:
    """Instantiate a chosen backend (creating ``UnslothBackend`` is what imports unsloth)."""
    if name == "unsloth":
        from entropi.training.backends.unsloth_backend import UnslothBackend

        return UnslothBackend()
    from entropi.training.backends.trl_backend import TrlBackend

    return TrlBackend()


def backend_defaults(name: str) -> dict[str, Any]:
    """The config defaults of a backend, without importing it."""
    if name == "unsloth":
        from entropi.training.backends import unsloth_backend as module
    else:
        from entropi.training.backends import trl_backend as module
    return module.DEFAULTS
