"""write_lora_gguf round-trips through read_gguf_info; bad input is refused; random_lora_for picks targets."""

from __future__ import annotations

from pathlib import Path

import gguf
import numpy as np
import pytest

from entropi.inference.gguf_info import read_gguf_info
from entropi.training.lora_gguf_writer import LoraPair, random_lora_for, write_lora_gguf

Q = "blk.0.attn_q.weight"
V = "blk.1.attn_v.weight"


def _pairs(rank: int = 4) -> dict[str, LoraPair]:
    rng = np.random.default_rng(0)
    return {
        Q: LoraPair(rng.normal(size=(rank, 16)), rng.normal(size=(24, rank))),
        V: LoraPair(rng.normal(size=(rank, 16)), rng.normal(size=(8, rank))),
    }


@pytest.mark.parametrize("dtype,ggml_type", [("f16", "F16"), ("f32", "F32")])
def test_round_trip_through_read_gguf_info(tmp_path: Path, dtype: str, ggml_type: str):
    path = write_lora_gguf(
        tmp_path / "v1" / "adapter.gguf",
        arch="llama",
        alpha=16.0,
        tensors=_pairs(),
        dtype=dtype,
        name="my-lora",
        extra_metadata={"entropi.tier": "code"},
    )
    assert path == tmp_path / "v1" / "adapter.gguf"
    info = read_gguf_info(path)
    assert info.general_type == "adapter" and info.is_adapter
    assert info.arch == "llama" and info.name == "my-lora"
    assert info.metadata["adapter.type"] == "lora"
    assert info.metadata["adapter.lora.alpha"] == pytest.approx(16.0)
    assert info.metadata["entropi.tier"] == "code"
    assert info.tensors == {
        f"{Q}.lora_a": (16, 4),  # ggml ne order: the numpy shape reversed
        f"{Q}.lora_b": (4, 24),
        f"{V}.lora_a": (16, 4),
        f"{V}.lora_b": (4, 8),
    }
    assert set(info.tensor_types.values()) == {ggml_type}
    assert sorted(p.name for p in path.parent.iterdir()) == ["adapter.gguf"], "no temp file left"


def test_tensor_values_are_written_as_given(tmp_path: Path):
    pairs = _pairs()
    path = write_lora_gguf(tmp_path / "a.gguf", arch="llama", alpha=4.0, tensors=pairs, dtype="f32")
    reader = gguf.GGUFReader(path)
    data = {t.name: np.asarray(t.data) for t in reader.tensors}
    np.testing.assert_array_equal(data[f"{Q}.lora_a"], pairs[Q].a.astype(np.float32))
    np.testing.assert_array_equal(data[f"{V}.lora_b"], pairs[V].b.astype(np.float32))


def test_overwrites_an_existing_adapter(tmp_path: Path):
    target = tmp_path / "adapter.gguf"
    write_lora_gguf(target, arch="llama", alpha=4.0, tensors=_pairs(rank=4))
    write_lora_gguf(target, arch="llama", alpha=2.0, tensors=_pairs(rank=2))
    info = read_gguf_info(target)
    assert info.tensors[f"{Q}.lora_a"] == (16, 2)
    assert info.metadata["adapter.lora.alpha"] == pytest.approx(2.0)


@pytest.mark.parametrize(
    "tensors,message",
    [
        ({Q: LoraPair(np.zeros((4, 16)), np.zeros((24, 3)))}, "do not share a rank"),
        ({Q: LoraPair(np.zeros((4, 16, 1)), np.zeros((24, 4)))}, "do not share a rank"),
        ({Q: LoraPair(np.zeros(16), np.zeros((24, 4)))}, "do not share a rank"),
        ({}, "at least one tensor pair"),
        ({Q: LoraPair(np.array([["a", "b"]]), np.zeros((24, 1)))}, "could not convert"),
    ],
    ids=["rank-mismatch", "3d", "1d", "empty", "not-numbers"],
)
def test_bad_tensors_raise_and_leave_the_existing_file_alone(tmp_path: Path, tensors, message):
    target = tmp_path / "adapter.gguf"
    write_lora_gguf(target, arch="llama", alpha=4.0, tensors=_pairs())
    before = target.read_bytes()
    bad = {**_pairs(), **tensors} if tensors else {}
    with pytest.raises(ValueError, match=message):
        write_lora_gguf(target, arch="llama", alpha=4.0, tensors=bad)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["adapter.gguf"]


def test_bad_tensor_never_creates_a_new_file(tmp_path: Path):
    target = tmp_path / "new" / "adapter.gguf"
    with pytest.raises(ValueError):
        write_lora_gguf(
            target, arch="llama", alpha=4.0, tensors={Q: LoraPair(np.zeros((4, 16)), np.zeros((24, 2)))}
        )
    assert not target.parent.exists() or list(target.parent.iterdir()) == []


@pytest.mark.parametrize("dtype", ["q8_0", "F16", "bf16", ""])
def test_unsupported_dtype_is_refused(tmp_path: Path, dtype: str):
    with pytest.raises(ValueError, match="dtype must be f16 or f32"):
        write_lora_gguf(tmp_path / "a.gguf", arch="llama", alpha=4.0, tensors=_pairs(), dtype=dtype)
    assert list(tmp_path.iterdir()) == []


def test_zero_rank_is_refused(tmp_path: Path):
    """Written as-is, llama.cpp would refuse it ("failed to allocate buffer for lora adapter")."""
    with pytest.raises(ValueError, match="must be positive"):
        write_lora_gguf(
            tmp_path / "a.gguf",
            arch="llama",
            alpha=4.0,
            tensors={Q: LoraPair(np.zeros((0, 16)), np.zeros((24, 0)))},
        )


@pytest.mark.parametrize("failure", ["target-is-a-directory", "non-string-metadata"])
def test_a_failed_write_leaves_no_temp_file(tmp_path: Path, failure: str):
    target = tmp_path / "adapter.gguf"
    extra: dict = {}
    if failure == "target-is-a-directory":
        target.mkdir()
    else:
        extra = {"entropi.version": 3}
    with pytest.raises((OSError, TypeError, ValueError)):
        write_lora_gguf(target, arch="llama", alpha=4.0, tensors=_pairs(), extra_metadata=extra)
    assert [p.name for p in tmp_path.iterdir() if p.name != "adapter.gguf"] == []


BASE = {
    "token_embd.weight": (64, 1000),
    "blk.0.attn_q.weight": (64, 64),
    "blk.0.attn_q.bias": (64,),
    "blk.0.attn_k.weight": (64, 16),
    "blk.0.ffn_up.weight": (64, 256),
    "blk.12.attn_v.weight": (64, 16),
    "blk.1.attn_output.weight": (64, 64),
    "output.weight": (64, 1000),
    "blk.2.attn_q.weight.extra": (64, 64),
    "enc.blk.0.attn_q.weight": (64, 64),
}


def test_random_lora_for_picks_only_matching_block_weights():
    pairs = random_lora_for(BASE, rank=4, seed=7)
    assert set(pairs) == {
        "blk.0.attn_q.weight",
        "blk.0.attn_k.weight",
        "blk.12.attn_v.weight",
        "blk.1.attn_output.weight",
    }
    k = pairs["blk.0.attn_k.weight"]
    assert k.a.shape == (4, 64) and k.b.shape == (16, 4), "ne (n_in, n_out) → a (r, n_in), b (n_out, r)"
    assert k.a.dtype == np.float32 and k.b.dtype == np.float32


def test_random_lora_for_honours_targets_and_seed():
    only_up = random_lora_for(BASE, rank=2, targets=("ffn_up",), seed=1)
    assert set(only_up) == {"blk.0.ffn_up.weight"}
    again = random_lora_for(BASE, rank=2, targets=("ffn_up",), seed=1)
    other = random_lora_for(BASE, rank=2, targets=("ffn_up",), seed=2)
    assert np.array_equal(only_up["blk.0.ffn_up.weight"].a, again["blk.0.ffn_up.weight"].a)
    assert not np.array_equal(only_up["blk.0.ffn_up.weight"].a, other["blk.0.ffn_up.weight"].a)


@pytest.mark.parametrize(
    "base,targets",
    [
        (BASE, ("attn_qkv",)),
        ({}, ("attn_q",)),
        ({"blk.0.attn_q.bias": (64,)}, ("attn_q",)),
    ],
)
def test_random_lora_for_raises_when_nothing_matches(base, targets):
    with pytest.raises(ValueError, match="no base tensor matched"):
        random_lora_for(base, targets=targets)


def test_random_lora_for_output_writes_a_valid_adapter(tmp_path: Path):
    pairs = random_lora_for(BASE, rank=4)
    path = write_lora_gguf(tmp_path / "a.gguf", arch="llama", alpha=4.0, tensors=pairs)
    info = read_gguf_info(path)
    assert info.tensors["blk.12.attn_v.weight.lora_b"] == (4, 16)
    assert info.tensors["blk.12.attn_v.weight.lora_a"] == (64, 4)
