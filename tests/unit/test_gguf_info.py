"""read_gguf_info on small GGUFs written with gguf.GGUFWriter, on the embedded model, and on broken files."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import gguf
import numpy as np
import pytest

from entropi.inference.gguf_info import GGUFError, read_gguf_info
from entropi.inference.model_store import embedded_model_path


def write_gguf(path: Path, *, arch: str = "llama", name: str | None = "tiny", adapter: bool = False) -> Path:
    writer = gguf.GGUFWriter(path, arch)
    if name is not None:
        writer.add_name(name)
    if adapter:
        writer.add_type("adapter")
        writer.add_string("adapter.type", "lora")
        writer.add_float32("adapter.lora.alpha", 16.0)
    writer.add_uint32(f"{arch}.block_count", 1)
    writer.add_array("tokenizer.ggml.tokens", ["a", "b", "c"])
    writer.add_tensor("token_embd.weight", np.ones((16, 8), dtype=np.float32))
    writer.add_tensor("blk.0.attn_q.weight", np.ones((8, 8), dtype=np.float16))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_fake_llama_model(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "tiny.gguf")
    info = read_gguf_info(path)
    assert info.path == path
    assert info.size_bytes == path.stat().st_size
    assert info.version == 3
    assert info.arch == "llama"
    assert info.name == "tiny"
    assert info.general_type is None
    assert not info.is_adapter
    assert info.metadata["llama.block_count"] == 1
    assert info.metadata["general.architecture"] == "llama"
    assert "tokenizer.ggml.tokens" not in info.metadata  # arrays are skipped
    assert not any(k.startswith("GGUF.") for k in info.metadata)
    # ggml ne order: the reverse of the numpy shape written
    assert info.tensors == {"token_embd.weight": (8, 16), "blk.0.attn_q.weight": (8, 8)}
    assert info.tensor_types == {"token_embd.weight": "F32", "blk.0.attn_q.weight": "F16"}


def test_name_falls_back_to_stem(tmp_path: Path) -> None:
    info = read_gguf_info(write_gguf(tmp_path / "nameless-model.gguf", name=None))
    assert info.name == "nameless-model"


def test_adapter_file(tmp_path: Path) -> None:
    info = read_gguf_info(write_gguf(tmp_path / "adapter.gguf", adapter=True))
    assert info.general_type == "adapter"
    assert info.is_adapter
    assert info.metadata["adapter.type"] == "lora"
    assert info.metadata["adapter.lora.alpha"] == pytest.approx(16.0)


def test_embedded_model() -> None:
    info = read_gguf_info(embedded_model_path())
    assert info.arch == "llama"
    assert info.metadata["llama.block_count"] == 30
    assert info.tensors["blk.0.attn_q.weight"] == (576, 576)
    assert "blk.29.attn_q.weight" in info.tensors
    assert "blk.30.attn_q.weight" not in info.tensors
    assert info.tensor_types["blk.0.attn_q.weight"] == "Q4_1"


def _expect_error(path: Path, *fragments: str) -> GGUFError:
    with pytest.raises(GGUFError) as caught:
        read_gguf_info(path)
    message = str(caught.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message
    return caught.value


def test_missing_file(tmp_path: Path) -> None:
    _expect_error(tmp_path / "absent.gguf", "no such file")


def test_directory(tmp_path: Path) -> None:
    _expect_error(tmp_path, "directory")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.gguf"
    path.write_bytes(b"")
    _expect_error(path, "not a GGUF")


def test_not_a_gguf(tmp_path: Path) -> None:
    path = tmp_path / "readme.gguf"
    path.write_text("this is a text file, not a model\n")
    _expect_error(path, "not a GGUF", "bad magic")


@pytest.mark.parametrize("version", [1, 99])
def test_unsupported_version(tmp_path: Path, version: int) -> None:
    path = write_gguf(tmp_path / "v.gguf")
    with path.open("r+b") as f:
        f.seek(4)
        f.write(struct.pack("<I", version))
    _expect_error(path, f"unsupported GGUF version {version}")


def test_cut_header(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "cut.gguf")
    os.truncate(path, 40)  # inside the key/value section
    _expect_error(path, "truncated or corrupt")


def test_cut_tensor_data(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "cut.gguf")
    os.truncate(path, path.stat().st_size - 10)
    _expect_error(path, "truncated")


def test_tensor_offset_past_end(tmp_path: Path) -> None:
    # A zero-element tensor parses even when its offset lies past the end; the explicit
    # extent check is what catches the cut.
    path = tmp_path / "zero.gguf"
    writer = gguf.GGUFWriter(path, "llama")
    writer.add_tensor("empty.weight", np.zeros((0, 4), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    data_offset = gguf.GGUFReader(path).tensors[0].data_offset
    assert path.stat().st_size == data_offset  # alignment padding, then no data at all
    os.truncate(path, data_offset - 1)  # cut one padding byte: the tensor table is intact
    _expect_error(path, "truncated: tensor 'empty.weight'")


def test_missing_architecture(tmp_path: Path) -> None:
    path = tmp_path / "noarch.gguf"
    writer = gguf.GGUFWriter(path, "llama")
    del writer.kv_data[0]["general.architecture"]
    writer.add_tensor("w", np.ones((2, 2), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    _expect_error(path, "missing general.architecture")
