"""Pure-torch stand-in for TRL 1.15's Triton ``ChunkedLogProbFunction``, for torch builds without Triton.

TRL 1.15's SFT and DPO trainers compute per-token log-probs with
``trl.trainer.utils._ChunkedLogProbFunction``, a Triton kernel; the CPU torch wheel ships no Triton, so
TRL leaves that name ``None`` and both trainers fail on their first step. ``install()`` puts this
same-signature function there instead. It materializes the logits of the loss tokens only (``hidden``
arrives already masked): N × vocab floats.
Non-goals: speed on GPUs (Triton is present there and this is never installed).
"""

from __future__ import annotations

from typing import Any

import torch

OUTPUTS = ("entropy", "log_sum_sq_probs", "mean_logits", "is_top1")


def chunked_logprob(
    hidden: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    targets: torch.Tensor,
    temperature: float,
    chunk_size: int,
    final_logit_softcapping: float | None = None,
    logit_scale: float = 1.0,
    outputs: tuple[str, ...] = OUTPUTS,
) -> tuple[Any, ...]:
    """(log_probs, entropy, log_sum_sq_probs, mean_logits, is_top1) as TRL's kernel returns them."""
    del chunk_size  # the kernel's vocabulary tile width; irrelevant without tiling
    z = hidden.float() @ weight.float().t()
    if bias is not None:
        z = z + bias.float()
    z = z * logit_scale
    if final_logit_softcapping is not None:
        z = final_logit_softcapping * torch.tanh(z / final_logit_softcapping)
    z = z / temperature
    log_z = torch.logsumexp(z, dim=-1)
    log_probs = z.gather(-1, targets.unsqueeze(-1)).squeeze(-1) - log_z
    entropy = log_z - (torch.softmax(z, dim=-1) * z).sum(-1) if "entropy" in outputs else None
    with torch.no_grad():
        log_sum_sq = torch.logsumexp(2 * z, dim=-1) - 2 * log_z if "log_sum_sq_probs" in outputs else None
        mean_logits = z.mean(-1) if "mean_logits" in outputs else None
        is_top1 = z.argmax(-1) == targets if "is_top1" in outputs else None  # first maximum, as the kernel
    return log_probs, entropy, log_sum_sq, mean_logits, is_top1


class TorchChunkedLogProb:
    """Has ``apply`` like the ``torch.autograd.Function`` it replaces (autograd runs through plain ops)."""

    apply = staticmethod(chunked_logprob)


def install() -> bool:
    """Fill TRL's missing kernel with the torch version; True when it was missing."""
    from trl.trainer import utils

    if getattr(utils, "_ChunkedLogProbFunction", None) is not None:
        return False
    utils._ChunkedLogProbFunction = TorchChunkedLogProb
    return True
