"""Hygiene before anything is written: secret and PII redaction, and the deterministic train/eval split.

Redaction replaces each match with `[REDACTED:<kind>]` in every string of a row (dict keys included), before
tool-call arguments are serialized, so a replacement can never break JSON escaping. Kinds: private key blocks
(PEM, also unterminated), OpenAI `sk-…`, Anthropic `sk-ant-…`, AWS access key ids (`AKIA…`/`ASIA…`) and
`aws_secret_access_key` values, GitHub `ghp_/gho_/ghu_/ghs_/ghr_/github_pat_`, Slack `xox[abprs]-` tokens and
webhook URLs, Hugging Face `hf_…`, Google `AIza…`, JWTs, `Bearer` tokens, passwords in URLs
(`scheme://user:pass@`), quoted values assigned to password/secret/token/api_key names, and email addresses.
The split hashes (seed, session id): a session is on one side only, and the same seed gives the same split.
Non-goals: detecting secrets by entropy alone (too many false hits on code), names or addresses in prose.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from functools import cache, lru_cache
from typing import Any

# (kind, regex, literals one of which the lower-cased text must contain for the regex to be tried). Patterns
# start with a literal where they can (a token's left boundary is a lookbehind placed after it): Python's re
# finds a literal prefix fast, and a leading `\b` or class makes it ~50x slower.
_PATTERNS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("private_key", r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
                    r"(?:.*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|.*\Z)", ("private key",)),
    ("anthropic_key", r"sk-ant-(?<!\wsk-ant-)[A-Za-z0-9_-]{20,}", ("sk-ant-",)),
    ("openai_key", r"sk-(?<!\wsk-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}", ("sk-",)),
    ("aws_access_key_id", r"A(?:KIA|SIA|GPA|IDA|ROA|NPA)(?<!\wA...)[A-Z0-9]{16}\b",
     ("akia", "asia", "agpa", "aida", "aroa", "anpa")),
    ("aws_secret_key", r"(?i)(?<=aws_secret_access_key)(\s*[=:]\s*[\"']?)[A-Za-z0-9/+=]{40}\b",
     ("aws_secret_access_key",)),
    ("github_token", r"gh(?<!\wgh)[pousr]_[A-Za-z0-9]{30,}", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_")),
    ("github_token", r"github_pat_(?<!\wgithub_pat_)[A-Za-z0-9_]{40,}", ("github_pat_",)),
    ("slack_token", r"xox(?<!\wxox)[abprse]-[A-Za-z0-9-]{10,}", ("xox",)),
    ("slack_webhook", r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]+", ("hooks.slack.com",)),
    ("hf_token", r"hf_(?<!\whf_)[A-Za-z0-9]{30,}", ("hf_",)),
    ("google_api_key", r"AIza(?<!\wAIza)[0-9A-Za-z_-]{35}", ("aiza",)),
    ("jwt", r"eyJ(?<!\weyJ)[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}", ("eyj",)),
    ("bearer_token", r"(?i)(?<=\bbearer )[A-Za-z0-9._~+/-]{16,}=*", ("bearer ",)),
    ("url_password", r"://([^\s:/@\"'`]+):[^\s@/\"'`]+@", ("://",)),
    ("assigned_secret", r"(?i)((?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key)"
                        r"[\"']?\s*[:=]\s*)([\"'])[^\"'\n]{6,}\2",
     ("password", "passwd", "pwd", "secret", "token", "key")),
    ("email", r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b", ("@",)),
)  # fmt: skip
# Fast literal-first pre-checks for the two patterns that cannot start with a literal. assigned_secret's
# is built from the names whose hint the text holds (`_assigned_precheck`): one name → a literal prefix.
_PRECHECK = {"email": re.compile(r"@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")}
_SECRET_NAMES = (  # (name pattern, the hint any match of it holds)
    ("password", "password"),
    ("passwd", "passwd"),
    ("pwd", "pwd"),
    ("secret", "secret"),
    ("token", "token"),
    ("api[_-]?key", "key"),
    ("access[_-]?key", "key"),
)


@cache  # one per set of present hints: at most 2**6
def _assigned_precheck(hints: frozenset[str]) -> re.Pattern[str]:
    names = "|".join(name for name, hint in _SECRET_NAMES if hint in hints)
    return re.compile(f"(?:{names})" + r"[\"']?\s*[:=]")


_COMPILED = tuple((kind, re.compile(rx, re.DOTALL), frozenset(hints)) for kind, rx, hints in _PATTERNS)
_HINTS = tuple(dict.fromkeys(h for _, _, hints in _PATTERNS for h in hints))  # each literal once, in order
CACHE_SIZE = 2048  # a session's history repeats in each later row: each string is scanned once


def _replacement(kind: str, match: re.Match[str]) -> str:
    tag = f"[REDACTED:{kind}]"
    if kind == "url_password":
        return f"://{match.group(1)}:{tag}@"
    if kind == "assigned_secret":
        return f"{match.group(1)}{match.group(2)}{tag}{match.group(2)}"
    if kind == "aws_secret_key":
        return f"{match.group(1)}{tag}"
    return tag


@lru_cache(maxsize=CACHE_SIZE)
def _redacted(text: str) -> tuple[str, tuple[tuple[str, int], ...]]:
    lowered = text.lower()
    present = {h for h in _HINTS if h in lowered}  # each literal searched once, not once per pattern
    if not present:
        return text, ()
    found = []
    for kind, rx, hints in _COMPILED:
        if present.isdisjoint(hints):
            continue
        check = (
            _assigned_precheck(frozenset(present & hints))
            if kind == "assigned_secret"
            else _PRECHECK.get(kind)
        )
        if check is None or check.search(lowered if kind == "assigned_secret" else text):
            text, n = rx.subn(lambda m, k=kind: _replacement(k, m), text)
            if n:
                found.append((kind, n))
    return text, tuple(found)


def redact_text(text: str, counts: Counter[str] | None = None) -> str:
    """`text` with every secret and email replaced; `counts` gets one per replacement, by kind."""
    if len(text) < 6:  # shorter than any pattern can match ("a@b.io")
        return text
    out, found = _redacted(text)
    if counts is not None:
        for kind, n in found:
            counts[kind] += n
    return out


def redact(value: Any, counts: Counter[str] | None = None) -> Any:
    """A copy of a JSON-like value with `redact_text` applied to every string, keys included."""
    kind = type(value)
    if kind is str:
        return redact_text(value, counts)
    if kind is dict:
        out = {}  # inlined: one call per key and per string value, not two
        for k, v in value.items():
            key = redact_text(k if type(k) is str else str(k), counts)
            vk = type(v)
            if vk is str:
                out[key] = redact_text(v, counts)
            elif v is None or vk is int or vk is bool or vk is float:
                out[key] = v
            else:
                out[key] = redact(v, counts)
        return out
    if isinstance(value, str):
        return redact_text(value, counts)
    if isinstance(value, dict):
        return {redact_text(str(k), counts): redact(v, counts) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v, counts) for v in value]
    return value


_JSON_CACHE: dict[str, tuple[str, tuple[tuple[str, int], ...]]] = {}


def redacted_json(value: Any) -> tuple[str, tuple[tuple[str, int], ...]]:
    """`value` redacted, as JSON text, and the redactions made (kind, count); memoized by its JSON (tool
    schemas repeat on every row)."""
    raw = json.dumps(value, ensure_ascii=False)
    hit = _JSON_CACHE.get(raw)
    if hit is None:
        found: Counter[str] = Counter()
        hit = (json.dumps(redact(value, found), ensure_ascii=False), tuple(found.items()))
        if len(_JSON_CACHE) >= 1024:
            _JSON_CACHE.clear()
        _JSON_CACHE[raw] = hit
    return hit


def redact_json(value: Any, counts: Counter[str] | None = None) -> str:
    """`value` redacted, as JSON text (`redacted_json`); `counts` gets the redactions."""
    text, found = redacted_json(value)
    if counts is not None:
        for kind, n in found:
            counts[kind] += n
    return text


def redact_row(row: dict[str, Any], counts: Counter[str] | None = None) -> dict[str, Any]:
    """`redact` over a row, with its `tools` list turned into redacted JSON text (`redact_json`)."""
    return {
        k: redact_json(v, counts) if k == "tools" and not isinstance(v, str) else redact(v, counts)
        for k, v in row.items()
    }


def is_eval(session_id: str, *, seed: int, eval_fraction: float) -> bool:
    """Whether the session goes to the eval split (deterministic in seed and session id)."""
    if not 0.0 <= eval_fraction <= 1.0:
        raise ValueError(f"eval_fraction must be within [0, 1], got {eval_fraction}")
    digest = hashlib.blake2b(f"{seed}\x00{session_id}".encode("utf-8", "replace"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 < eval_fraction
