"""Hand-written eval cases and two fixed result sets ("base", "tuned") for metrics, A/B and report tests."""

from __future__ import annotations

from typing import Any

from entropi.evaluation.cases import EvalCase
from entropi.evaluation.results import CallResult, CaseResult

READ = "filesystem.read_file"
GREP = "filesystem.grep"
TODO = "entropi.todo_write"
BASH = "bash.execute"
EDIT = "filesystem.edit_file"
THINKING_TOOLS = [READ, GREP, "filesystem.list_directory", "filesystem.glob", BASH, TODO]


def case(id: str = "c1", **fields: Any) -> EvalCase:
    """A model case on the thinking tier unless told otherwise."""
    fields.setdefault("tier", "thinking")
    if "messages" not in fields:
        fields.setdefault("input", f"prompt of {id}")
    return EvalCase(id=id, **fields)


def call(name: str, problem: str | None = None, **arguments: Any) -> CallResult:
    return CallResult(name=name, arguments=arguments, problem=problem)


def result(case_id: str = "c1", variant: str = "base", **fields: Any) -> CaseResult:
    fields.setdefault("kind", "model")
    fields.setdefault("tool_names", THINKING_TOOLS)
    return CaseResult(case_id=case_id, variant=variant, **fields)


def ab_cases() -> list[EvalCase]:
    """Six cases over two tiers: selection, no-tool, don't-guess, substring, router and a task."""
    return [
        case("investigate", expected_tool=TODO, tags=["common"]),
        case("read-cart", expected_tool=READ, expected_args={"path": "src/app/cart.py"}, tags=["common"]),
        case("hello", expected_no_tool=True, expected_substr=["hello"], tags=["no_tool"]),
        case("fix-bug", tier="code", forbidden_tools=[EDIT, BASH], tags=["dont_guess", "adversarial"]),
        EvalCase(id="route-code", expected_tier="code", input="rename the function total in cart.py"),
        case("task:cart", tier="code", task="cart", input="fix cart", expected_tool=READ, tags=["tasks"]),
    ]


def base_results() -> list[CaseResult]:
    """The "base" variant: skips the todo list, reads the wrong file, guesses an edit, routes wrong."""
    v = "base"
    return [
        result(
            "investigate", v, thinking="I will read src/app/cart.py first.", calls=[call(GREP, pattern="x")]
        ),
        result("read-cart", v, calls=[call(READ, path="src/app/order.py")], ttft_ms=100.0, decode_tok_s=20.0),
        result("hello", v, content="Hello! How can I help?", ttft_ms=300.0, decode_tok_s=30.0),
        result("fix-bug", v, tier="code", calls=[call(EDIT, path="a.py", old="x", new="y")]),
        result("route-code", v, kind="router", routed_tier="simple"),
        result("task:cart", v, kind="task", task_passed=False, first_tool=GREP, calls=[call(GREP)]),
    ]


def tuned_results() -> list[CaseResult]:
    """The "tuned" variant: fixes everything but regresses on "hello" (answers with a call and a script)."""
    v = "tuned"
    return [
        result(
            "investigate",
            v,
            thinking="First I will make a todo list.",
            calls=[call(TODO, action="add", items=[{"content": "look", "status": "pending"}])],
        ),
        result("read-cart", v, calls=[call(READ, path="./src/app/cart.py")], ttft_ms=80.0, decode_tok_s=25.0),
        result(
            "hello",
            v,
            content="<script>alert('x')</script> & more",
            calls=[call(BASH, command="echo hello")],
            ttft_ms=90.0,
            decode_tok_s=28.0,
        ),
        result("fix-bug", v, tier="code", content="Which file has the bug?"),
        result("route-code", v, kind="router", routed_tier="code"),
        result("task:cart", v, kind="task", task_passed=True, first_tool=READ, calls=[call(READ)]),
    ]
