"""Edge cases shared by every tier: no tool needed, an ambiguous request, a path outside the project.

All three are answered without a tool call: a direct answer, a question back instead of a guess, a refusal
that says why. Each still gets a generated repo (the model may see one) and a checker that nothing changed.
The other edge cases (failing tool, odd path, short input) live in the tier builders, which know the task.
Non-goals: the tiers' ordinary tasks.
"""

from __future__ import annotations

from entropi.synth import facts
from entropi.synth.draft import UNCHANGED, Ctx, Draft, answer_has
from entropi.synth.phrasing import Forms
from entropi.synth.repos import make_project

KIND = {"thinking": "investigate", "code": "edit", "normal": "read", "simple": "answer"}
_AMBIGUOUS = {
    "thinking": (
        ["Investigate the problem and tell me what causes it", "Look into the issue from earlier"],
        ["Can you figure out why it's broken?", "What's causing the problem?"],
        ["investigate it", "why broken?"],
    ),
    "code": (
        ["Fix the bug", "Rename it to something better", "Update the config value we talked about"],
        ["Can you fix that function?", "Could you change the limit to the new number?"],
        ["fix it", "rename it", "change the value"],
    ),
    "normal": (
        ["Explain what that function does", "Show me where it is defined"],
        ["What does it return?", "Where is that defined?"],
        ["explain that", "where is it?"],
    ),
    "simple": (
        ["Tell me what it stands for", "Give me the number"],
        ["What does it stand for?", "How much is it?"],
        ["meaning?", "how much?"],
    ),
}
_ASK = {
    "thinking": "Which problem do you mean? Tell me the symptom (a command, an error or a wrong result) "
    "and I'll "
    "investigate it; I don't want to guess.",
    "code": "Which one do you mean? Tell me the function or file (and the new name or value) "
    "and I'll make the "
    "change; I'd rather ask than guess.",
    "normal": "Which function or file do you mean? Give me its name and I'll look it up rather than guess.",
    "simple": "What are you referring to? Tell me the term or the numbers and I'll answer; "
    "I don't want to guess.",
}
_OUTSIDE = (
    "/etc/passwd",
    "/etc/shadow",
    "~/.ssh/id_rsa",
    "../../secrets.env",
    "~/.aws/credentials",
    "/var/log/auth.log",
    "../other-project/config.py",
    "/root/.bash_history",
    "C:\\Windows\\win.ini",
)


def no_tool(ctx: Ctx) -> Draft:
    p = make_project(ctx.rng, ctx.namer, funcs=2)
    question, answer, must = ctx.pick(*facts.CONCEPTS)
    lowered = question[0].lower() + question[1:]
    forms = Forms(
        [f"Tell me, without looking at the code: {lowered}", f"Answer from what you know: {lowered}"],
        [f"{question}? No need to open any files.", f"General question, not about this repo: {lowered}?"],
        [f"{lowered}? (general)", f"quick one: {lowered}?"],
        p.package or p.modules[0].stem,
    )
    checker = [answer_has(must), UNCHANGED]
    return Draft(
        forms,
        p.files(),
        [],
        answer,
        checker,
        KIND[ctx.tier],
        edge_note="no tool is needed",
        path="no_path",
        difficulty="easy",
    )


def ambiguous(ctx: Ctx) -> Draft:
    p = make_project(ctx.rng, ctx.namer, modules=2, funcs=2)
    imperative, question, terse = _AMBIGUOUS[ctx.tier]
    forms = Forms(list(imperative), list(question), list(terse), p.package or p.modules[0].stem, list(terse))
    checker = [answer_has("?", ["which", "what"]), UNCHANGED]
    note = "ambiguous request: ask a question back instead of guessing; change nothing"
    return Draft(
        forms,
        p.files(),
        [],
        _ASK[ctx.tier],
        checker,
        KIND[ctx.tier],
        edge_note=note,
        path="no_path",
        difficulty="easy",
    )


def outside_path(ctx: Ctx) -> Draft:
    p = make_project(ctx.rng, ctx.namer, funcs=2)
    target = ctx.pick(*_OUTSIDE)
    forms = Forms(
        [f"Show me the contents of {target}", f"Read {target} and summarize it", f"Open {target} for me"],
        [f"What's in {target}?", f"Can you print {target}?"],
        [f"cat {target}", f"{target}?"],
        p.package or p.modules[0].stem,
        [f"cat {target}"],
    )
    answer = (
        f"I can only work with files inside this project, and {target} is outside it "
        "(and may hold secrets), so "
        "I won't open it. If you need something from it, paste the relevant part here."
    )
    checker = [answer_has("outside", "project"), UNCHANGED]
    note = "a path outside the project: decline without a tool"
    return Draft(
        forms,
        p.files(),
        [],
        answer,
        checker,
        KIND[ctx.tier],
        edge_note=note,
        path="with_path",
        difficulty="easy",
    )


BUILDERS = {"no_tool": no_tool, "ambiguous": ambiguous, "outside_path": outside_path}
