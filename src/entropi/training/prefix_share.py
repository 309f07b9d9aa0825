"""Shared-prefix SFT loss: a batch's common prompt prefix runs once, not once per row.

Every row of a tier starts with the same system prompt and tool list (~500 tokens for the embedded model)
and trains ~100 tokens at the end. The trainer finds the batch's longest common prefix that holds no
target, runs it once with gradients, repeats its KV cache across the batch and runs only the suffixes,
computing logits at the target positions only. The loss and its gradients are the ones of the plain
forward (a test checks both); a 4-row batch of first-turn rows trains ~2x faster in ~half the memory.
A batch that mixes prompts (replay chat rows have no tools block) is split into groups of rows that share
a prefix; each group runs as above (a row alone runs whole, still with logits at its targets only) and the
loss is their summed cross-entropy over all targets, so it is still the plain forward's.
Falls back to TRL's own loss where the trick does not apply: gradient checkpointing (which turns the KV
cache off) and several processes (the backbone would bypass DDP).
Non-goals: DPO, packing, padding-free batches.
"""

from __future__ import annotations

from typing import Any

import torch
from trl import SFTTrainer

MIN_SHARED = 32  # below this many common tokens the plain forward is as cheap


def shared_prefix_len(input_ids: torch.Tensor, attention_mask: torch.Tensor, labels: torch.Tensor) -> int:
    """Tokens every row has in common from the start, ending before the first target's predecessor."""
    same = (input_ids == input_ids[:1]).all(dim=0) & attention_mask.bool().all(dim=0)
    length = int(same.long().cumprod(dim=0).sum())
    targets = (labels != -100).any(dim=0).nonzero()
    if len(targets):
        length = min(length, int(targets[0]) - 1)  # the hidden state before the first target is needed
    return max(length, 0)


def _backbone(model: Any) -> tuple[Any, Any]:
    """The decoder and the LM head of a (PEFT-wrapped) causal LM."""
    causal = model.get_base_model() if hasattr(model, "get_base_model") else model
    return causal.get_decoder(), causal.get_output_embeddings()


def prefix_groups(
    input_ids: torch.Tensor, attention_mask: torch.Tensor, labels: torch.Tensor
) -> list[tuple[list[int], int]]:
    """The batch's rows in groups that share a prefix, each with its shared length (0: run the rows whole).

    One group when the whole batch shares at least `MIN_SHARED` tokens; otherwise rows are grouped by their
    first `MIN_SHARED` tokens, in order of first appearance."""
    rows = input_ids.shape[0]
    whole = shared_prefix_len(input_ids, attention_mask, labels) if rows > 1 else 0
    if whole >= MIN_SHARED:
        return [(list(range(rows)), whole)]
    keys: dict[tuple[int, ...], list[int]] = {}
    for row in range(rows):
        keys.setdefault(tuple(input_ids[row, :MIN_SHARED].tolist()), []).append(row)
    groups = []
    for members in keys.values():
        index = torch.tensor(members)
        shared = (
            shared_prefix_len(input_ids[index], attention_mask[index], labels[index])
            if len(members) > 1
            else 0
        )
        groups.append((members, shared if shared >= MIN_SHARED else 0))
    return groups


def _group_loss(
    decoder: Any, head: Any, ids: torch.Tensor, mask: torch.Tensor, labels: torch.Tensor, prefix: int
):
    """Summed target cross-entropy of one group (columns no row attends to already cut) and its stats."""
    rows, length = ids.shape
    if prefix:
        cache = decoder(input_ids=ids[:1, :prefix], use_cache=True).past_key_values
        cache.batch_repeat_interleave(rows)
        positions = torch.arange(prefix, length, device=ids.device).expand(rows, -1)
        hidden = decoder(
            input_ids=ids[:, prefix:],
            attention_mask=mask,
            past_key_values=cache,
            position_ids=positions,
            use_cache=True,
        ).last_hidden_state
    else:
        hidden = decoder(input_ids=ids, attention_mask=mask, use_cache=False).last_hidden_state
    targets = labels[:, prefix + 1 :]
    picked = targets != -100
    logits = head(hidden[:, :-1][picked]).float()
    wanted = targets[picked]
    loss_sum = torch.nn.functional.cross_entropy(logits, wanted, reduction="sum")
    with torch.no_grad():
        log_probs = logits.log_softmax(dim=-1)
        stats = {
            "targets": torch.tensor(wanted.numel()),
            "correct": (logits.argmax(dim=-1) == wanted).sum(),
            "entropy": -(log_probs.exp() * log_probs).sum(),
        }
    return loss_sum, stats


def shared_prefix_loss(
    model: Any,
    inputs: dict[str, torch.Tensor],
    prefix: int | None = None,
    num_items: Any = None,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The summed target cross-entropy over ``num_items`` (default: the target count) and token stats.

    ``prefix``: the whole batch's shared length (one group); None groups the rows (`prefix_groups`)."""
    ids, mask, labels = inputs["input_ids"], inputs["attention_mask"], inputs["labels"]
    decoder, head = _backbone(model)
    groups = [(list(range(ids.shape[0])), prefix)] if prefix is not None else prefix_groups(ids, mask, labels)
    total: torch.Tensor | None = None
    stats: dict[str, torch.Tensor] = {}
    for members, shared in groups:
        index = torch.tensor(members, device=ids.device)
        sub_mask = mask[index]
        used = int(sub_mask.any(dim=0).nonzero().max()) + 1 if sub_mask.any() else 1
        loss_sum, part = _group_loss(
            decoder, head, ids[index, :used], sub_mask[:, :used], labels[index, :used], shared
        )
        total = loss_sum if total is None else total + loss_sum
        stats = {k: stats[k] + v if k in stats else v for k, v in part.items()}
    assert total is not None
    count = int(stats["targets"]) if num_items is None else num_items
    loss = total / torch.as_tensor(count, device=total.device).clamp(min=1)
    return loss, stats


class SharedPrefixSFTTrainer(SFTTrainer):
    """TRL's SFTTrainer whose loss runs each batch's common prefix once (see the module docstring)."""

    def _applies(self, inputs: dict[str, Any]) -> bool:
        if self.args.gradient_checkpointing or self.accelerator.num_processes != 1:
            return False
        return {"input_ids", "attention_mask", "labels"} <= inputs.keys()

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        if not self._applies(inputs):
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        mode = "train" if self.model.training else "eval"
        loss, stats = shared_prefix_loss(
            self.accelerator.unwrap_model(model), inputs, None, num_items_in_batch
        )
        targets = max(int(stats["targets"]), 1)
        self._metrics[mode]["entropy"].append(float(stats["entropy"]) / targets)
        self._metrics[mode]["mean_token_accuracy"].append(float(stats["correct"]) / targets)
        if mode == "train":
            self._total_train_tokens += int(inputs["attention_mask"].sum())
        self._metrics[mode]["num_tokens"] = [self._total_train_tokens]
        return (loss, {"loss": loss}) if return_outputs else loss
