"""Redaction of every secret kind and emails (and what must be left alone), and the session split."""

from __future__ import annotations

from collections import Counter

import pytest

from entropi.data.hygiene import is_eval, redact, redact_json, redact_row, redact_text

CASES = [
    ("openai_key", "key sk-abcdefghijklmnopqrstuvwxyz012345 end", "sk-abcdefghijklmnopqrstuvwxyz012345"),
    ("openai_key", "sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz_123-456", "AbCdEfGhIjKlMnOpQrStUvWxYz"),
    ("anthropic_key", "ANTHROPIC=sk-ant-api03-abcdefghijklmnopqrstuv", "api03-abcdefghijklmnopqrstuv"),
    ("aws_access_key_id", "id AKIAIOSFODNN7EXAMPLE.", "AKIAIOSFODNN7EXAMPLE"),
    ("aws_secret_key", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI"),
    ("github_token", "token ghp_0123456789abcdefghijABCDEFGHIJklmnop", "ghp_0123456789abcdef"),
    ("github_token", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN", "11ABCDEFG"),
    ("slack_token", "xoxb-1234567890-0987654321-abcdefABCDEF", "1234567890-0987654321"),
    ("slack_webhook", "https://hooks.slack.com/services/T000/B000/XXXXXXXX", "T000/B000"),
    ("hf_token", "HF_TOKEN=hf_abcdefghijklmnopqrstuvwxyzABCDEFGH", "abcdefghijklmnopqrstuvwxyzABCDEFGH"),
    ("google_api_key", "AIzaSyA-1234567890abcdefghijklmnopqrstu", "SyA-1234567890"),
    ("jwt", "t=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.dozjgNryP4J3jVmNHl0w5N", "dozjgNryP4J3jVmNHl0w5N"),
    ("bearer_token", "Authorization: Bearer abcDEF123456ghiJKL789", "abcDEF123456ghiJKL789"),
    ("url_password", "postgres://admin:s3cr3t-pw@db:5432/x", "s3cr3t-pw"),
    (
        "assigned_secret",
        'PASSWORD = "correct horse battery"'.replace(" battery", "_battery"),
        "correct horse",
    ),
    ("assigned_secret", "{'api_key': 'abc123def456'}", "abc123def456"),
    ("email", "mail jane.doe+tag@mail.example.co.uk now", "jane.doe+tag@mail.example.co.uk"),
    (
        "private_key",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
        "MIIEpA",
    ),
    ("private_key", "cut: -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA", "b3BlbnNzaC1r"),
]


@pytest.mark.parametrize(("kind", "text", "secret"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_kind_is_redacted(kind, text, secret):
    counts: Counter[str] = Counter()
    out = redact_text(text, counts)
    assert secret not in out and f"[REDACTED:{kind}]" in out
    assert counts[kind] >= 1


@pytest.mark.parametrize(
    "text",
    [
        "def token_count(text):\n    return len(text.split())",
        "@property\ndef name(self): ...",
        "see https://example.com/docs and git@ nothing",
        "password = get_password()",
        "ask-me-anything, task-list-item, risk-averse",
        "the hf_ prefix alone, AKIA alone, ghp_ alone",
    ],
)
def test_ordinary_code_is_left_alone(text):
    assert redact_text(text) == text


def test_url_keeps_user_and_host_and_assignment_keeps_its_name():
    assert redact_text("https://bob:pw1234@host/x") == "https://bob:[REDACTED:url_password]@host/x"
    assert redact_text('token: "abcdef123"') == 'token: "[REDACTED:assigned_secret]"'


def test_structures_are_redacted_everywhere_including_keys_and_counted_once_per_occurrence():
    counts: Counter[str] = Counter()
    row = {
        "messages": [
            {"content": "a@b.io", "tool_calls": [{"arguments": {"x@y.io": ["AKIAIOSFODNN7EXAMPLE"]}}]}
        ],
        "tools": [{"description": "mail c@d.io"}],
    }
    out = redact_row(row, counts)
    assert "@" not in str(out) and "AKIA" not in str(out)
    assert isinstance(out["tools"], str) and "[REDACTED:email]" in out["tools"]
    assert counts == {"email": 3, "aws_access_key_id": 1}
    assert redact(["a@b.io", 3, None, True]) == ["[REDACTED:email]", 3, None, True]
    again: Counter[str] = Counter()
    redact_json(row["tools"], again)
    assert again == {"email": 1}  # memoized, still counted


def test_split_is_deterministic_and_respects_the_fraction_bounds():
    assert is_eval("s1", seed=1, eval_fraction=0.3) == is_eval("s1", seed=1, eval_fraction=0.3)
    assert not any(is_eval(f"s{i}", seed=1, eval_fraction=0.0) for i in range(200))
    assert all(is_eval(f"s{i}", seed=1, eval_fraction=1.0) for i in range(200))
    with pytest.raises(ValueError, match="eval_fraction"):
        is_eval("s", seed=0, eval_fraction=-0.1)
