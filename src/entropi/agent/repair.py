"""What goes back to the model when its output cannot be used as it is, and when to ask again.

A reply with parse problems and no usable call, a call made inside ``<think>``, or a reply that claims an
action it never called gets one structured error message and (at most ``max_repairs``) a re-ask.
"""

from __future__ import annotations

import json
import re

from entropi.inference.output_parser import ParsedOutput

_CLAIM = re.compile(
    r"\b(?:I(?:'ve| have)?|I've just|Done[,:]? I)\s+(?:now\s+|just\s+|already\s+|successfully\s+)?"
    r"(?:edited|updated|modified|changed|created|written|wrote|ran|run|executed|committed|fixed|deleted|"
    r"removed|added|renamed|applied|saved|staged|read)\b",
    re.IGNORECASE,
)
_BLOCKING = {"invalid_json", "missing_name", "bad_arguments", "unterminated_tool_call", "tool_call_in_think"}


def claims_action(content: str) -> bool:
    """True when a reply says it did something a tool would have to do."""
    return bool(_CLAIM.search(content))


def repair_problems(parsed: ParsedOutput, *, tools_offered: bool) -> list[str]:
    """Problems that make a reply without usable tool calls worth one re-ask (empty: accept the reply)."""
    if parsed.tool_calls:
        return []
    problems = [f"{i.kind}: {i.detail}" for i in parsed.issues if i.kind in _BLOCKING]
    if parsed.think_tool_calls:
        names = ", ".join(c.name for c in parsed.think_tool_calls)
        problems.append(
            f"tool_call_in_think: you wrote a call to {names} inside <think>; calls inside "
            "reasoning are not executed"
        )
    if not problems and tools_offered and claims_action(parsed.content):
        problems.append("claimed_action: your reply says an action was done but it made no tool call")
    return sorted(set(problems), key=problems.index)


def repair_message(problems: list[str]) -> dict[str, str]:
    """The user-role message that asks for a corrected reply."""
    body = {
        "error": "unusable_reply",
        "problems": problems,
        "fix": 'Reply again. To act, write <tool_call>{"name": "<tool>", "arguments": {...}}</tool_call> '
        "after your reasoning (outside <think>); if no action is needed, answer in plain text.",
    }
    return {"role": "user", "content": "[entropi] " + json.dumps(body, ensure_ascii=False)}
