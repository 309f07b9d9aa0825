"""Read a GGUF file's header: architecture, scalar metadata, tensor shapes and types.

Scope: inspection and validation of a file on disk with `gguf.GGUFReader` (model or LoRA adapter) —
enough to list models, to check a pull, and to compare an adapter's tensors with its base.
Non-goals: tensor data (never read here), array metadata such as the tokenizer vocabulary, writing GGUFs.

Tensor shapes are in GGUF/ggml `ne` order, as `ReaderTensor.shape` reports it: the fastest-varying
dimension first, i.e. the reverse of the numpy shape the tensor was written from (a numpy `(rows, cols)`
weight reads back as `(cols, rows)`).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from gguf import GGUF_MAGIC, GGUFReader, GGUFValueType
from gguf.gguf_reader import READER_SUPPORTED_VERSIONS


class GGUFError(Exception):
    """A file that cannot be used as a GGUF, with the file named in the message."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class GGUFInfo:
    """What a GGUF header says about the file."""

    path: Path
    size_bytes: int
    version: int
    arch: str
    name: str
    general_type: str | None
    metadata: dict[str, Any]
    tensors: dict[str, tuple[int, ...]]
    tensor_types: dict[str, str]

    @property
    def is_adapter(self) -> bool:
        return self.general_type == "adapter"


class _ArrayBackedReader(GGUFReader):
    """GGUFReader over a plain ndarray view of its memmap.

    GGUFReader parses the header with hundreds of thousands of small slices; on a `np.memmap` each
    slice pays memmap's Python-level bookkeeping, which makes a 49k-token vocabulary cost ~4.5 s.
    The same bytes seen as a plain ndarray (still memory-mapped, still lazy) parse ~3x faster.
    """

    @property  # type: ignore[override]
    def data(self) -> np.ndarray:
        return self._array

    @data.setter
    def data(self, value: np.ndarray) -> None:
        self._array = value.view(np.ndarray)


def _check_preamble(path: Path) -> None:
    """Magic and version, read directly so these two failures get their own message."""
    with path.open("rb") as f:
        head = f.read(8)
    if len(head) < 8:
        raise GGUFError(path, f"not a GGUF file (only {len(head)} bytes)")
    magic, version = struct.unpack("<II", head)
    if magic != GGUF_MAGIC:
        raise GGUFError(path, f"not a GGUF file (bad magic {head[:4]!r}, expected b'GGUF')")
    if version & 0xFFFF == 0:  # written with the other byte order
        version = struct.unpack(">I", head[4:])[0]
    if version not in READER_SUPPORTED_VERSIONS:
        supported = ", ".join(str(v) for v in READER_SUPPORTED_VERSIONS)
        raise GGUFError(path, f"unsupported GGUF version {version} (supported: {supported})")


def _scalar_metadata(reader: GGUFReader) -> dict[str, Any]:
    metadata: dict[str, Any] = {}
    for key, field in reader.fields.items():
        if key.startswith("GGUF.") or not field.types or field.types[0] == GGUFValueType.ARRAY:
            continue
        metadata[key] = field.contents()
    return metadata


def read_gguf_info(path: Path) -> GGUFInfo:
    """Parse and validate the header of the GGUF at `path`; raise GGUFError if it is unusable."""
    path = Path(path)
    if not path.exists():
        raise GGUFError(path, "no such file")
    if path.is_dir():
        raise GGUFError(path, "is a directory, not a GGUF file")
    try:
        _check_preamble(path)
        size = path.stat().st_size
        reader = _ArrayBackedReader(path)
        metadata = _scalar_metadata(reader)
    except GGUFError:
        raise
    except OSError as exc:
        raise GGUFError(path, f"cannot read file ({exc.strerror or exc})") from exc
    except (ValueError, IndexError, KeyError, OverflowError, TypeError) as exc:
        # GGUFReader's own errors on a cut or garbled header or tensor table.
        raise GGUFError(path, f"truncated or corrupt GGUF ({exc})") from exc

    for tensor in reader.tensors:
        end = tensor.data_offset + tensor.n_bytes
        if end > size:
            raise GGUFError(
                path,
                f"truncated: tensor {tensor.name!r} ends at byte {end} but the file has {size} bytes",
            )

    arch = metadata.get("general.architecture")
    if not isinstance(arch, str) or not arch:
        raise GGUFError(path, "missing general.architecture in the GGUF metadata")
    name = metadata.get("general.name")
    general_type = metadata.get("general.type")
    return GGUFInfo(
        path=path,
        size_bytes=size,
        version=int(reader.fields["GGUF.version"].contents()),
        arch=arch,
        name=name if isinstance(name, str) and name else path.stem,
        general_type=general_type if isinstance(general_type, str) else None,
        metadata=metadata,
        tensors={t.name: tuple(int(d) for d in t.shape) for t in reader.tensors},
        tensor_types={t.name: t.tensor_type.name for t in reader.tensors},
    )
