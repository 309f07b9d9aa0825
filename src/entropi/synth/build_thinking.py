"""Builders for the thinking tier: investigate a bug, plan a feature, audit the code base.

Every one starts with `entropi.todo_write` (the founding failure case: the reasoning says "make a todo list"
and the model must then call exactly that), investigates read-only (thinking has no edit tools) and closes
the plan's items with a todo update. The checker wants the todo list, the facts in the answer and no change.
Non-goals: fixing what was found (the code tier), the edge cases shared by all tiers (`edges.py`).
"""

from __future__ import annotations

from entropi.synth.build_code import BUG_WORDS, MISSING_RUNNER, wrong_result
from entropi.synth.draft import (
    TEST_COMMAND,
    UNCHANGED,
    Ctx,
    Draft,
    answer_has,
    basename,
    call,
    loc,
    todo_add,
    todo_done,
)
from entropi.synth.phrasing import Forms
from entropi.synth.repos import make_project, readme


def investigate(ctx: Ctx) -> Draft:
    p = make_project(ctx.rng, ctx.namer, funcs=ctx.rng.randint(2, 3), package=True)
    m = p.modules[0]
    f = ctx.rng.choice(m.funcs)
    m.buggy = f.name
    args, expected = f.failing_case()
    got = f.evaluate(args, buggy=True)
    stem = ctx.namer.caller()
    runner = f"{p.package}/{stem}.py"
    p.extra[runner] = (
        f'"""Print {f.name} for a sample input."""\n\nfrom {m.import_name} import {f.name}\n\n'
        f'if __name__ == "__main__":\n    print({f.call(args)})\n'
    )
    files = p.files()
    command = f"python -m {p.package}.{stem}"
    steps = [
        "Reproduce the wrong output",
        f"Read {f.name} and compare it with its docstring",
        "Report the cause",
    ]
    if ctx.difficulty == "easy":
        steps = [f"Read {f.name}", "Report the cause"]
    calls = [todo_add(*steps)]
    if ctx.edge == "failing_tool":
        calls.append(call("bash.execute", command=MISSING_RUNNER))
    if ctx.difficulty != "easy" or ctx.edge == "failing_tool":
        calls.append(call("bash.execute", command=command if ctx.difficulty == "hard" else TEST_COMMAND))
    if ctx.difficulty == "hard":
        calls.append(call("filesystem.read_file", path=runner))
    if not ctx.mention:
        calls.append(call("filesystem.grep", pattern=f"def {f.name}"))
    calls.append(call("filesystem.read_file", path=m.path))
    if ctx.difficulty != "easy":
        calls.append(todo_done(len(steps)))
    answer = (
        f"The cause is in `{f.name}` ({m.path}): {BUG_WORDS[f.bug]}. It does `{f.bad_line}` "
        "where it should do "
        f"`{f.good_line}`, so {f.call(args)} gives {got} instead of {expected}. Nothing has been changed yet."
    )
    where = loc(ctx, m.path)
    if ctx.difficulty != "hard":
        symptom = wrong_result(f, args, expected) + where
    elif got[:1].isupper() and got.isidentifier():
        symptom = f"`{command}` crashes with {got}"
    else:
        symptom = f"`{command}` prints {got} but should print {expected}"
    verbs = {" returns ": " return ", " raises ": " raise ", " prints ": " print ", " crashes ": " crash "}
    asked = symptom
    for old, new in verbs.items():
        asked = asked.replace(old, new)
    run = f" (run it with `{MISSING_RUNNER}`)" if ctx.edge == "failing_tool" else ""
    forms = Forms(
        [
            f"Investigate why {symptom}{run}; find the cause but don't change any code yet",
            f"Find out why {symptom}{run}. Don't fix it yet, just explain the cause",
            f"Track down why {symptom}{run}; only find the cause, no changes yet",
            f"Debug why {symptom}{run} and explain the root cause, but leave the code as it is",
            f"Figure out the root cause: {symptom}{run}. Don't change anything yet",
        ],
        [
            f"Why does {asked}{run}? Find the cause but don't touch the code yet.",
            f"Can you dig into why {symptom}{run}? Explain the cause; no fix yet.",
        ],
        [
            f"{f.name} wrong result{where}, why? no fix yet",
            f"debug {f.name}: got {got}, want {expected}",
            f"debug {f.name}{where}: root cause only, no fix",
        ],
        p.package,
        [f"why is {f.name} wrong?"],
    )
    checker = [{"todos_at_least": len(steps)}, answer_has(f.name), UNCHANGED]
    path = "with_path" if ctx.difficulty == "hard" else None  # the command names the module
    return Draft(forms, files, calls, answer, checker, "investigate", edge_note=_note(ctx), path=path)


def plan(ctx: Ctx) -> Draft:
    p = make_project(ctx.rng, ctx.namer, funcs=3, package=True)
    m = p.modules[0]
    g = m.funcs.pop()
    files = p.files()
    test = p.test_path(m)
    steps = [
        f"Read {m.path} to see where {g.name} fits",
        f"Add {g.name}({g.params}) that {g.spec}",
        f"Add tests for {g.name} to {test}",
    ]
    if ctx.difficulty == "hard":
        steps += [f"Mention {g.name} in README.md", "Run the whole test suite"]
    calls = [todo_add(*steps)]
    if not ctx.mention:
        calls.append(call("filesystem.glob", pattern=f"**/{m.stem}.py"))
    calls.append(call("filesystem.read_file", path=m.path))
    if ctx.difficulty != "easy":
        calls += [call("filesystem.read_file", path=test), todo_done(1)]
    if ctx.difficulty == "hard":
        calls.insert(-1, call("filesystem.read_file", path="README.md"))
    numbered = "; ".join(f"{i}) {s}" for i, s in enumerate(steps, 1))
    answer = f"Plan (nothing edited yet): {numbered}."
    where = loc(ctx, m.path, prefix=" to ")
    if not ctx.mention:
        where = f" to the {m.stem} module"
    forms = Forms(
        [
            f"Plan how to add `{g.name}({g.params})`{where} (it {g.spec}). Make a todo list first and don't "
            "edit anything yet",
            f"Write a todo plan for adding `{g.name}`{where}, which {g.spec}, before any code changes",
            f"Draft a step-by-step plan for adding `{g.name}`{where} (it {g.spec}); no edits yet",
            f"Break adding `{g.name}({g.params})`{where} down into a todo list before touching any code",
        ],
        [
            f"How would you add `{g.name}`{where}, which {g.spec}? "
            "Plan it as a todo list first; no edits yet.",
            f"What steps would adding `{g.name}`{where} take? It {g.spec}. Make a todo list, don't edit yet.",
        ],
        [
            f"plan: add {g.name}{where}, no edits",
            f"todo plan for {g.name}{where}",
            f"steps to add {g.name}{where}? plan only",
        ],
        p.package,
        [f"plan {g.name}"],
    )
    checker = [{"todos_at_least": 3}, answer_has(g.name, "test"), UNCHANGED]
    return Draft(forms, files, calls, answer, checker, "plan", edge_note=_note(ctx), path=None)


AUDITS = (
    ("TODO", "TODO comments", "    # TODO: handle bad input\n"),
    ("print\\(", "leftover print() debug calls", '    print("debug", locals())\n'),
    ("FIXME", "FIXME notes", "    # FIXME: slow for big inputs\n"),
)


def audit(ctx: Ctx) -> Draft:
    p = make_project(ctx.rng, ctx.namer, modules=ctx.rng.randint(2, 3), funcs=2, package=True)
    if ctx.edge == "odd_path":
        folder = ctx.namer.odd_dir()
        for m in p.modules:
            m.path = f"{folder}/{m.stem}.py"
            m.tested = []
        p.extra["README.md"] = readme(p)
    pattern, label, line = ctx.pick(*AUDITS)
    files = p.files()
    hits = ctx.rng.sample(p.modules, ctx.rng.randint(1, len(p.modules) - 1))
    found = []
    for m in hits:
        f = ctx.rng.choice(m.funcs)
        doc = f'    """{f.doc}"""\n'
        files[m.path] = files[m.path].replace(doc, doc + line, 1)
        found.append((m.path, f.name))
    steps = [f"Search the code for {label}", "Look at each hit in context", "Report what was found"]
    calls = [todo_add(*steps)]
    where = f"{folder}/" if ctx.edge == "odd_path" else (f"{p.package}/" if ctx.mention else None)
    grep = {"pattern": pattern, "path": where.rstrip("/")} if where else {"pattern": pattern, "glob": "*.py"}
    calls.append(call("filesystem.grep", **grep))
    if ctx.difficulty != "easy":
        calls += [
            call("filesystem.read_file", path=path)
            for path, _ in found[: 1 if ctx.difficulty == "medium" else 2]
        ]
        calls.append(todo_done(3))
    if ctx.difficulty == "hard":
        calls.insert(2, call("filesystem.list_directory", **({"path": where.rstrip("/")} if where else {})))
    listed = "; ".join(f"{path} (in {name})" for path, name in found)
    answer = f"Found {len(found)} file(s) with {label}: {listed}. Nothing was changed."
    within = f" in {where}" if where else ""
    forms = Forms(
        [
            f"Audit the code{within} for {label} and list every file that has them",
            f"Go through every module{within} and report all {label}",
            f"Scan the whole code base{within} for {label} and report each file; change nothing",
            f"Check every module{within} for {label} and list what you find",
        ],
        [
            f"Which files{within} still contain {label}? Check all of them.",
            f"Are there any {label} left{within}? Go through all the files.",
        ],
        [f"find all {label}{within}", f"{label}{within}? list them", f"audit {label}{within}"],
        p.package,
        [f"{pattern.rstrip(chr(92) + '(')}s?"],
    )
    checker = [{"todos_at_least": 3}, answer_has(*[basename(path) for path, _ in found]), UNCHANGED]
    path = "with_path" if where else "no_path"
    return Draft(forms, files, calls, answer, checker, "investigate", edge_note=_note(ctx), path=path)


def _note(ctx: Ctx) -> str | None:
    return {
        "failing_tool": f"the `{MISSING_RUNNER}` the user names does not exist; go on with the real command",
        "odd_path": "the code is in a folder whose name has spaces, unicode or dashes",
        "short_input": "a very short request",
    }.get(ctx.edge)


BUILDERS = {"investigate": investigate, "plan": plan, "audit": audit}
EDGES = {
    "investigate": {"failing_tool", "short_input"},
    "plan": {"short_input"},
    "audit": {"odd_path", "short_input"},
}
