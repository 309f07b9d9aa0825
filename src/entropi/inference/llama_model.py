"""Thin owner of llama.cpp handles: one model, its vocabulary, and contexts on it.

Uses llama-cpp-python's low-level ctypes API only (the high-level ``Llama`` class loads one LoRA at
construction and does per-token numpy work). Non-goals: sampling policy (``generate.py``), KV reuse
(``kv_cache.py``), adapter validation (``adapters.py``).
"""

from __future__ import annotations

import ctypes
import logging
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import llama_cpp as L
import numpy as np

log = logging.getLogger(__name__)

_backend_lock = threading.Lock()
_backend_ready = False
_LOG_LEVELS = {3: logging.WARNING, 4: logging.ERROR}  # GGML_LOG_LEVEL_WARN / _ERROR


_capture = threading.local()


@L.llama_log_callback
def _route_llama_log(level: int, text: bytes, _user: ctypes.c_void_p) -> None:
    if level in _LOG_LEVELS and text:
        message = text.decode("utf-8", "replace").rstrip()
        sink = getattr(_capture, "messages", None)
        if sink is not None:
            sink.append(message)
        else:
            log.log(_LOG_LEVELS[level], "llama.cpp: %s", message)


@contextmanager
def captured_llama_errors() -> Iterator[list[str]]:
    """Collect llama.cpp's warnings/errors raised on this thread instead of logging them."""
    previous = getattr(_capture, "messages", None)
    _capture.messages = messages = []
    try:
        yield messages
    finally:
        _capture.messages = previous


def init_backend() -> None:
    """Initialise llama.cpp once per process and route its logging to ``logging`` (errors/warnings only)."""
    global _backend_ready
    with _backend_lock:
        if not _backend_ready:
            L.llama_log_set(_route_llama_log, None)
            L.llama_backend_init()
            _backend_ready = True


class LlamaError(RuntimeError):
    """A llama.cpp call failed."""


@dataclass(frozen=True)
class ContextParams:
    """Per-context settings; ``n_threads=None`` uses the number of usable cores."""

    n_ctx: int = 8192
    n_batch: int = 512
    n_threads: int | None = None
    n_threads_batch: int | None = None


def default_threads() -> int:
    return max(1, len(os.sched_getaffinity(0)))


class LlamaModel:
    """One loaded GGUF base model (weights are shared by every context created on it)."""

    def __init__(self, path: Path, *, n_gpu_layers: int = 0) -> None:
        init_backend()
        self.path = Path(path)
        if not self.path.is_file():
            raise LlamaError(f"model file not found: {self.path}")
        params = L.llama_model_default_params()
        params.n_gpu_layers = n_gpu_layers if n_gpu_layers >= 0 else 1_000_000
        # Extra buffer types (CPU weight repacking, AMX) crash inside VMs that advertise AMX but do not
        # enable it; plain buffers are safe everywhere and cost nothing on a GPU.
        params.use_extra_bufts = False
        self.handle = L.llama_model_load_from_file(str(self.path).encode(), params)
        if not self.handle:
            raise LlamaError(f"llama.cpp could not load the model {self.path} (not a supported GGUF?)")
        self.vocab = L.llama_model_get_vocab(self.handle)
        self.n_vocab = L.llama_vocab_n_tokens(self.vocab)
        self._piece_buf = ctypes.create_string_buffer(256)
        self._piece_cache: dict[int, bytes] = {}

    # -- metadata -------------------------------------------------------------------------------
    def metadata(self) -> dict[str, str]:
        """All GGUF metadata key/values as strings (arrays are elided by llama.cpp)."""
        out: dict[str, str] = {}
        buf = ctypes.create_string_buffer(1 << 16)
        for i in range(L.llama_model_meta_count(self.handle)):
            k = L.llama_model_meta_key_by_index(self.handle, i, buf, len(buf))
            key = buf.value.decode("utf-8", "replace") if k >= 0 else ""
            n = L.llama_model_meta_val_str_by_index(self.handle, i, None, 0)
            vbuf = ctypes.create_string_buffer(max(n, 0) + 1)
            L.llama_model_meta_val_str_by_index(self.handle, i, vbuf, len(vbuf))
            out[key] = vbuf.value.decode("utf-8", "replace")
        return out

    # -- tokens ---------------------------------------------------------------------------------
    def tokenize(self, text: str | bytes, *, special: bool = True) -> list[int]:
        """Tokenize without adding BOS; ``special`` parses control tokens such as ``<|im_start|>``."""
        data = text.encode("utf-8", "replace") if isinstance(text, str) else text
        cap = len(data) + 8
        arr = (L.llama_token * cap)()
        n = L.llama_tokenize(self.vocab, data, len(data), arr, cap, False, special)
        if n < 0:
            arr = (L.llama_token * -n)()
            n = L.llama_tokenize(self.vocab, data, len(data), arr, -n, False, special)
        return list(arr[:n])

    def token_bytes(self, token: int) -> bytes:
        """Bytes of one token as the model would print it (control tokens rendered as text)."""
        piece = self._piece_cache.get(token)
        if piece is None:
            n = L.llama_token_to_piece(self.vocab, token, self._piece_buf, len(self._piece_buf), 0, True)
            piece = self._piece_buf.raw[: max(n, 0)]
            self._piece_cache[token] = piece
        return piece

    def detokenize(self, tokens: Sequence[int]) -> str:
        return b"".join(self.token_bytes(t) for t in tokens).decode("utf-8", "replace")

    def is_eog(self, token: int) -> bool:
        return bool(L.llama_vocab_is_eog(self.vocab, token))

    def special_text(self, which: str) -> str:
        """Text of the bos/eos token, or "" if the model has none."""
        tok = {"bos": L.llama_vocab_bos, "eos": L.llama_vocab_eos}[which](self.vocab)
        return self.token_bytes(tok).decode("utf-8", "replace") if tok >= 0 else ""

    def close(self) -> None:
        if getattr(self, "handle", None):
            L.llama_model_free(self.handle)
            self.handle = None


class LlamaContext:
    """A llama.cpp context on a shared model: KV memory for one sequence, a reusable batch, logits."""

    def __init__(self, model: LlamaModel, params: ContextParams) -> None:
        self.model = model
        cp = L.llama_context_default_params()
        cp.n_ctx = params.n_ctx
        cp.n_batch = cp.n_ubatch = min(params.n_batch, params.n_ctx)
        cp.n_threads = params.n_threads or default_threads()
        cp.n_threads_batch = params.n_threads_batch or cp.n_threads
        cp.no_perf = True
        self.handle = L.llama_init_from_model(model.handle, cp)
        if not self.handle:
            raise LlamaError(f"llama.cpp could not create a context (n_ctx={params.n_ctx})")
        self.n_ctx = L.llama_n_ctx(self.handle)
        self.n_batch = cp.n_batch
        self.memory = L.llama_get_memory(self.handle)
        self._batch = L.llama_batch_init(self.n_batch, 0, 1)
        self._adapter_key: tuple = ()

    def _batches(self, tokens: Sequence[int], pos0: int, seq: int, all_logits: bool) -> Iterator[int]:
        """Decode ``tokens`` batch by batch, yielding each batch's size after its ``llama_decode``.

        Logits are requested at every position (``all_logits``) or at the very last token only.
        """
        b = self._batch
        for start in range(0, len(tokens), self.n_batch):
            chunk = tokens[start : start + self.n_batch]
            n = len(chunk)
            b.n_tokens = n
            for i, tok in enumerate(chunk):
                b.token[i] = tok
                b.pos[i] = pos0 + start + i
                b.n_seq_id[i] = 1
                b.seq_id[i][0] = seq
                b.logits[i] = 1 if all_logits else 0
            if start + n == len(tokens):
                b.logits[n - 1] = 1
            rc = L.llama_decode(self.handle, b)
            if rc != 0:
                raise LlamaError(f"llama_decode failed with code {rc} at position {pos0 + start}")
            yield n

    def decode(self, tokens: Sequence[int], pos0: int, *, seq: int = 0) -> None:
        """Evaluate ``tokens`` at positions ``pos0…``; logits are kept for the last token only."""
        for _ in self._batches(tokens, pos0, seq, all_logits=False):
            pass

    def decode_all(self, tokens: Sequence[int], pos0: int, *, seq: int = 0) -> Iterator[np.ndarray]:
        """Evaluate ``tokens`` at positions ``pos0…`` with logits at every position (scoring, not generation).

        Yields one ``(n, n_vocab)`` float32 array per batch of up to ``n_batch`` tokens, rows in token order.
        Each array is a view into llama.cpp's buffer, valid until the next decode: copy what you keep.
        """
        for n in self._batches(tokens, pos0, seq, all_logits=True):
            yield np.ctypeslib.as_array(L.llama_get_logits(self.handle), shape=(n, self.model.n_vocab))

    def decode_one(self, token: int, pos: int) -> None:
        """Fast path for generation: one token, logits on."""
        b = self._batch
        b.n_tokens = 1
        b.token[0] = token
        b.pos[0] = pos
        b.n_seq_id[0] = 1
        b.seq_id[0][0] = 0
        b.logits[0] = 1
        rc = L.llama_decode(self.handle, b)
        if rc != 0:
            raise LlamaError(f"llama_decode failed with code {rc} at position {pos}")

    def logits(self) -> ctypes.Array:
        """Logits of the last evaluated token (a ctypes float array of length n_vocab)."""
        ptr = L.llama_get_logits_ith(self.handle, -1)
        return ctypes.cast(ptr, ctypes.POINTER(ctypes.c_float * self.model.n_vocab)).contents

    # -- KV memory ------------------------------------------------------------------------------
    def clear(self) -> None:
        L.llama_memory_clear(self.memory, True)

    def truncate(self, n_keep: int, *, seq: int = 0) -> None:
        """Drop every cached position ≥ ``n_keep`` of ``seq``."""
        if not L.llama_memory_seq_rm(self.memory, seq, n_keep, -1):
            self.clear()
            raise LlamaError("llama.cpp refused to truncate the KV cache; cache cleared")

    def state_get(self, *, seq: int = 0) -> bytearray:
        """One sequence's KV state, copied once into a fresh buffer."""
        size = L.llama_state_seq_get_size(self.handle, seq)
        data = bytearray(size)
        n = L.llama_state_seq_get_data(self.handle, (ctypes.c_uint8 * size).from_buffer(data), size, seq)
        del data[n:]
        return data

    def state_set(self, data: bytes | bytearray, *, seq: int = 0) -> None:
        """Restore a state from ``state_get`` (no copy when ``data`` is a bytearray)."""
        if isinstance(data, bytearray):
            buf = (ctypes.c_uint8 * len(data)).from_buffer(data)
        else:
            buf = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
        if L.llama_state_seq_set_data(self.handle, buf, len(data), seq) == 0:
            self.clear()
            raise LlamaError("llama.cpp could not restore a KV snapshot; cache cleared")

    # -- adapters -------------------------------------------------------------------------------
    def set_adapters(self, key: tuple, handles: Sequence[tuple[object, float]]) -> bool:
        """Activate exactly ``handles`` (adapter pointer, scale); returns True if the set changed."""
        if key == self._adapter_key:
            return False
        n = len(handles)
        if n:
            arr = (L.llama_adapter_lora_p_ctypes * n)(*(h for h, _ in handles))
            scales = (ctypes.c_float * n)(*(s for _, s in handles))
            rc = L.llama_set_adapters_lora(self.handle, arr, n, scales)
        else:
            rc = L.llama_set_adapters_lora(self.handle, None, 0, None)
        if rc != 0:
            raise LlamaError(f"llama_set_adapters_lora failed with code {rc}")
        self._adapter_key = key
        return True

    @property
    def adapter_key(self) -> tuple:
        return self._adapter_key

    def close(self) -> None:
        if getattr(self, "handle", None):
            L.llama_batch_free(self._batch)
            L.llama_free(self.handle)
            self.handle = None
