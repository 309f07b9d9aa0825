"""Shared-prefix SFT loss: the same loss and gradients as the plain forward, on a real (tiny) Llama + LoRA."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
peft = pytest.importorskip("peft")

from train_support import tiny_llama  # noqa: E402

from entropi.training.prefix_share import prefix_groups, shared_prefix_len, shared_prefix_loss  # noqa: E402

PAD = 0


def _model():
    model = tiny_llama(max_position_embeddings=128)
    model.config.use_cache = False
    lora = peft.LoraConfig(
        r=4, lora_alpha=8, lora_dropout=0.0, target_modules=["q_proj", "v_proj", "down_proj"]
    )
    model = peft.get_peft_model(model, lora)
    for name, param in model.named_parameters():  # LoRA B starts at zero: give the adapter an effect
        if "lora_B" in name:
            torch.nn.init.normal_(param, std=0.1)
    return model


def _batch(prefix: list[int], suffixes: list[list[int]], targets: list[int]):
    """Right-padded rows ``prefix + suffix``; the last ``targets[i]`` tokens of row i are trained."""
    rows = [prefix + s for s in suffixes]
    width = max(map(len, rows))
    ids = torch.full((len(rows), width), PAD)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    labels = torch.full((len(rows), width), -100)
    for i, (row, n) in enumerate(zip(rows, targets, strict=True)):
        ids[i, : len(row)] = torch.tensor(row)
        mask[i, : len(row)] = 1
        labels[i, len(row) - n : len(row)] = torch.tensor(row[len(row) - n :])
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def _grads(model) -> dict[str, torch.Tensor]:
    out = {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}
    model.zero_grad()
    return out


def test_loss_and_gradients_match_the_plain_forward():
    model = _model()
    prefix = list(range(5, 45))
    batch = _batch(prefix, [[50, 51, 52, 53, 54], [60, 61, 62], [70, 71, 72, 73, 74, 75, 76]], [3, 2, 4])
    assert shared_prefix_len(batch["input_ids"], batch["attention_mask"], batch["labels"]) == 40

    plain = model(**batch).loss
    plain.backward()
    plain_grads = _grads(model)

    shared, stats = shared_prefix_loss(model, batch, 40)
    shared.backward()
    shared_grads = _grads(model)

    assert int(stats["targets"]) == 9
    assert torch.allclose(shared, plain, atol=1e-5), (float(shared), float(plain))
    assert plain_grads.keys() == shared_grads.keys() and any(g.abs().sum() > 0 for g in plain_grads.values())
    for name, grad in plain_grads.items():
        assert torch.allclose(shared_grads[name], grad, atol=1e-5, rtol=1e-4), name


def test_num_items_scales_the_summed_loss():
    model = _model()
    batch = _batch(list(range(5, 45)), [[50, 51, 52], [60, 61, 62]], [2, 2])
    mean, _ = shared_prefix_loss(model, batch, 40)
    over_eight, _ = shared_prefix_loss(model, batch, 40, num_items=8)
    assert torch.allclose(over_eight * 8, mean * 4, atol=1e-5)


def test_the_prefix_stops_before_the_first_target_and_at_the_first_difference():
    same_start = _batch([1, 2, 3, 4, 5, 6], [[7, 8], [7, 9]], [1, 1])
    # 7 tokens in common, but the first target (index 7) needs the hidden state at index 6
    assert shared_prefix_len(same_start["input_ids"], same_start["attention_mask"], same_start["labels"]) == 6
    early_target = _batch([1, 2, 3, 4, 5, 6], [[7, 8], [9, 9, 9, 9]], [1, 5])
    # row 1 trains from index 5: its predecessor (index 4) must be in the suffix
    assert (
        shared_prefix_len(early_target["input_ids"], early_target["attention_mask"], early_target["labels"])
        == 4
    )
    differ = _batch([], [[1, 2, 3], [4, 5, 6]], [1, 1])
    assert shared_prefix_len(differ["input_ids"], differ["attention_mask"], differ["labels"]) == 0


def _mixed_batch():
    """Two rows on one 40-token prompt, one row on another, and a short row alone (a replay chat row)."""
    tools, other = list(range(5, 45)), list(range(45, 85))
    rows = [
        [*tools, 50, 51, 52],
        [*other, 86, 87, 88, 89],
        [*tools, 70, 71, 72, 73, 74],
        [90, 91, 92, 93],
    ]
    width = max(map(len, rows))
    ids = torch.full((len(rows), width), PAD)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    labels = torch.full((len(rows), width), -100)
    for i, (row, n) in enumerate(zip(rows, [2, 3, 4, 2], strict=True)):
        ids[i, : len(row)] = torch.tensor(row)
        mask[i, : len(row)] = 1
        labels[i, len(row) - n : len(row)] = torch.tensor(row[len(row) - n :])
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def test_a_mixed_batch_is_grouped_by_prefix_with_the_plain_loss_and_gradients():
    model = _model()
    batch = _mixed_batch()
    groups = prefix_groups(batch["input_ids"], batch["attention_mask"], batch["labels"])
    assert groups == [([0, 2], 40), ([1], 0), ([3], 0)]

    plain = model(**batch).loss
    plain.backward()
    plain_grads = _grads(model)

    grouped, stats = shared_prefix_loss(model, batch)
    grouped.backward()
    grouped_grads = _grads(model)

    assert int(stats["targets"]) == 11
    assert torch.allclose(grouped, plain, atol=1e-5), (float(grouped), float(plain))
    for name, grad in plain_grads.items():
        assert torch.allclose(grouped_grads[name], grad, atol=1e-5, rtol=1e-4), name


def test_a_batch_sharing_its_whole_prompt_is_one_group():
    batch = _batch(list(range(5, 45)), [[50, 51, 52], [60, 61, 62]], [2, 2])
    assert prefix_groups(batch["input_ids"], batch["attention_mask"], batch["labels"]) == [([0, 1], 40)]
    alone = _batch(list(range(5, 45)), [[50, 51, 52]], [2])
    assert prefix_groups(alone["input_ids"], alone["attention_mask"], alone["labels"]) == [([0], 0)]
