"""KVManager's reuse logic against a fake context that keeps its "KV cache" as a plain token list."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from entropi.inference.kv_cache import KVManager, common_prefix

POISON = -1  # a token the fake context refuses to decode


class FakeContext:
    """Records every call; its KV memory is the list of tokens at positions 0…n-1."""

    def __init__(self) -> None:
        self.kv: list[int] = []
        self.decodes: list[tuple[list[int], int]] = []
        self.clears = 0
        self.truncates: list[int] = []
        self.gets = 0
        self.sets = 0
        self.fail_state_set = False
        self.fail_truncate = False

    def decode(self, tokens: Sequence[int], pos0: int) -> None:
        assert pos0 == len(self.kv), f"decode at {pos0} but the cache holds {len(self.kv)} tokens"
        if POISON in tokens:
            raise RuntimeError("llama_decode failed")
        self.decodes.append((list(tokens), pos0))
        self.kv.extend(tokens)

    def decode_one(self, token: int, pos: int) -> None:
        self.decode([token], pos)

    def clear(self) -> None:
        self.clears += 1
        self.kv = []

    def truncate(self, n_keep: int) -> None:
        if self.fail_truncate:
            self.clear()
            raise RuntimeError("llama.cpp refused to truncate the KV cache; cache cleared")
        self.truncates.append(n_keep)
        del self.kv[n_keep:]

    def state_get(self) -> bytes:
        self.gets += 1
        return json.dumps(self.kv).encode()

    def state_set(self, data: bytes) -> None:
        self.sets += 1
        if self.fail_state_set:
            self.clear()
            raise RuntimeError("could not restore a KV snapshot; cache cleared")
        self.kv = json.loads(data)


PREFIX = [1, 2, 3, 4]
PROMPT = [*PREFIX, 10, 11, 12]
BASE = ()
ADAPTER = ("code", "/a/adapter.gguf", 1.0)


@pytest.fixture
def ctx() -> FakeContext:
    return FakeContext()


@pytest.fixture
def kv(ctx: FakeContext) -> KVManager:
    return KVManager(ctx)  # type: ignore[arg-type]


def test_cold_prompt_evaluates_prefix_then_rest_and_snapshots_exactly_the_prefix(kv, ctx):
    stats = kv.prepare("normal", BASE, PROMPT, len(PREFIX))
    assert ctx.decodes == [(PREFIX, 0), (PROMPT[4:], 4)]
    assert (stats.prompt_tokens, stats.prefilled_tokens, stats.cached_tokens) == (7, 7, 0)
    assert stats.snapshot_taken and stats.restored_tokens == 0
    snap = kv.snapshots["normal"]
    assert snap.key == BASE and snap.tokens == tuple(PREFIX)
    assert json.loads(snap.data) == PREFIX, "the state was taken when the cache held exactly the prefix"
    assert kv.tokens == PROMPT == ctx.kv


def test_extending_the_prompt_evaluates_only_the_new_tokens(kv, ctx):
    kv.prepare("normal", BASE, PROMPT, len(PREFIX))
    ctx.decodes.clear()
    longer = [*PROMPT, 13, 14]
    stats = kv.prepare("normal", BASE, longer, len(PREFIX))
    assert ctx.decodes == [([13, 14], 7)]
    assert stats.cached_tokens == 7 and stats.prefilled_tokens == 2 and not stats.snapshot_taken
    assert ctx.gets == 1


def test_diverging_prompt_truncates_to_the_common_prefix(kv, ctx):
    kv.prepare("normal", BASE, PROMPT, len(PREFIX))
    ctx.decodes.clear()
    other = [*PREFIX, 10, 99, 98]
    stats = kv.prepare("normal", BASE, other, len(PREFIX))
    assert ctx.truncates[-1] == 5
    assert ctx.decodes == [([99, 98], 5)]
    assert stats.cached_tokens == 5 and ctx.kv == other == kv.tokens


def test_the_last_prompt_token_is_always_evaluated_again(kv, ctx):
    kv.prepare("normal", BASE, PROMPT, len(PREFIX))
    ctx.decodes.clear()
    stats = kv.prepare("normal", BASE, PROMPT, len(PREFIX))
    assert ctx.decodes == [([12], 6)]
    assert stats.cached_tokens == 6 and stats.prefilled_tokens == 1
    assert ctx.kv == PROMPT


def test_prefix_as_long_as_the_prompt_is_clamped_so_one_token_is_left(kv, ctx):
    stats = kv.prepare("simple", BASE, PREFIX, len(PREFIX))
    assert ctx.decodes == [(PREFIX[:3], 0), (PREFIX[3:], 3)]
    assert kv.snapshots["simple"].tokens == tuple(PREFIX[:3])
    assert stats.prefilled_tokens == 4


def test_another_adapter_key_clears_and_returning_restores_the_slot_snapshot(kv, ctx):
    kv.prepare("normal", BASE, PROMPT, len(PREFIX))
    clears = ctx.clears
    code_prompt = [7, 7, 7, 5, 6]
    stats = kv.prepare("code", ADAPTER, code_prompt, 3)
    assert ctx.clears == clears + 1 and stats.cached_tokens == 0 and stats.restored_tokens == 0
    assert ctx.kv == code_prompt
    ctx.decodes.clear()
    back = [*PREFIX, 20, 21]
    stats = kv.prepare("normal", BASE, back, len(PREFIX))
    assert ctx.sets == 1 and stats.restored_tokens == len(PREFIX)
    assert ctx.decodes == [([20, 21], 4)], "only the part after the restored prefix is evaluated"
    assert stats.cached_tokens == 0 and stats.prefilled_tokens == 2 and not stats.snapshot_taken
    assert ctx.kv == back == kv.tokens and kv.key == BASE


def test_a_snapshot_is_not_restored_under_another_adapter_key(kv, ctx):
    kv.prepare("code", ADAPTER, PROMPT, len(PREFIX))
    retrained = ("code", "/a/v2/adapter.gguf", 1.0)
    kv.prepare("normal", BASE, [9, 9], 1)
    ctx.decodes.clear()
    stats = kv.prepare("code", retrained, PROMPT, len(PREFIX))
    assert ctx.sets == 0 and stats.restored_tokens == 0
    assert ctx.decodes == [(PREFIX, 0), (PROMPT[4:], 4)]
    assert stats.snapshot_taken and kv.snapshots["code"].key == retrained


def test_a_changed_prefix_is_not_restored_from_a_stale_snapshot(kv, ctx):
    kv.prepare("normal", BASE, PROMPT, len(PREFIX))
    kv.prepare("code", ADAPTER, [5, 5], 1)
    new_system = [1, 2, 3, 8, 10]  # same slot and key, edited system prompt
    ctx.decodes.clear()
    stats = kv.prepare("normal", BASE, new_system, 4)
    assert ctx.sets == 0 and stats.restored_tokens == 0
    assert ctx.decodes == [([1, 2, 3, 8], 0), ([10], 4)]
    assert kv.snapshots["normal"].tokens == (1, 2, 3, 8)
    assert ctx.kv == new_system


def test_the_live_cache_wins_over_a_snapshot_when_it_already_covers_the_prefix(kv, ctx):
    kv.prepare("normal", BASE, PROMPT, len(PREFIX))
    stats = kv.prepare("normal", BASE, [*PROMPT, 30], len(PREFIX))
    assert ctx.sets == 0 and stats.restored_tokens == 0 and stats.cached_tokens == 7


def test_a_decode_error_resets_the_cache(kv, ctx):
    kv.prepare("normal", BASE, PROMPT, len(PREFIX))
    with pytest.raises(RuntimeError, match="llama_decode failed"):
        kv.prepare("normal", BASE, [*PROMPT, POISON, 5], len(PREFIX))
    assert kv.tokens == [] and ctx.kv == []
    stats = kv.prepare("normal", BASE, PROMPT, len(PREFIX))
    assert stats.cached_tokens == 0 and stats.restored_tokens == len(PREFIX)
    assert ctx.kv == PROMPT == kv.tokens


@pytest.mark.parametrize(
    "failure,slot,prompt",
    [("state_set", "normal", PROMPT), ("truncate", "simple", [1, 2, 60])],
)
def test_a_failed_restore_or_truncate_leaves_no_stale_cached_tokens(kv, ctx, failure, slot, prompt):
    kv.prepare("normal", BASE, PROMPT, len(PREFIX))
    kv.prepare("simple", BASE, [1, 2, 50, 51], 2)  # same key: the live cache now holds simple's prompt
    setattr(ctx, f"fail_{failure}", True)
    with pytest.raises(RuntimeError):
        kv.prepare(slot, BASE, prompt, 2 if slot == "simple" else len(PREFIX))
    assert ctx.kv == []
    assert kv.tokens == ctx.kv, "the manager's view must match the (cleared) cache"
    setattr(ctx, f"fail_{failure}", False)
    stats = kv.prepare(slot, BASE, prompt, 2 if slot == "simple" else len(PREFIX))
    assert ctx.kv == list(prompt) == kv.tokens and stats.cached_tokens == 0


def test_without_snapshots_state_is_never_saved_or_restored(ctx):
    kv = KVManager(ctx, snapshots=False)  # type: ignore[arg-type]
    kv.prepare("normal", BASE, PROMPT, len(PREFIX))
    kv.prepare("code", ADAPTER, [5, 5, 5], 2)
    stats = kv.prepare("normal", BASE, PROMPT, len(PREFIX))
    assert ctx.gets == 0 and ctx.sets == 0 and kv.snapshots == {}
    assert stats.restored_tokens == 0 and stats.prefilled_tokens == len(PROMPT)
    assert ctx.decodes[-2:] == [(PREFIX, 0), (PROMPT[4:], 4)], "prefill still splits at the prefix"


def test_append_evaluates_at_the_end_of_the_live_sequence(kv, ctx):
    kv.prepare("normal", BASE, PROMPT, len(PREFIX))
    kv.append(42)
    assert ctx.decodes[-1] == ([42], 7) and kv.tokens == [*PROMPT, 42]


def test_empty_prompt_is_rejected(kv, ctx):
    with pytest.raises(ValueError, match="empty prompt"):
        kv.prepare("normal", BASE, [], 0)
    assert ctx.decodes == []


def test_drop_snapshots_forgets_every_slot(kv, ctx):
    kv.prepare("normal", BASE, PROMPT, len(PREFIX))
    kv.drop_snapshots()
    kv.prepare("code", ADAPTER, [5, 5], 1)
    stats = kv.prepare("normal", BASE, PROMPT, len(PREFIX))
    assert stats.restored_tokens == 0 and stats.snapshot_taken


@pytest.mark.parametrize(
    "a,b,expected",
    [
        ([], [], 0),
        ([], [1, 2], 0),
        ([1, 2], [], 0),
        ([1, 2, 3], [1, 2, 3], 3),
        ([1, 2], [1, 2, 3], 2),
        ([1, 2, 3], [1, 2], 2),
        ([1, 2, 3], [9, 2, 3], 0),
        ([1, 2, 3], [1, 9, 3], 1),
        ((1, 2, 3), [1, 2, 4], 2),
    ],
)
def test_common_prefix(a, b, expected):
    assert common_prefix(a, b) == expected
