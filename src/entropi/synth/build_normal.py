"""Builders for the normal tier: explain code, find a definition, find callers, git history, project layout.

Read-only questions answered after looking (normal may read, list, glob, grep, git status and git log): the
gold's answer states facts of the generated repo and the checker looks for them in the final answer.
Non-goals: edits (the code tier), the edge cases shared by all tiers (`edges.py`).
"""

from __future__ import annotations

from entropi.synth.draft import Ctx, Draft, answer_has, basename, call, loc
from entropi.synth.phrasing import Forms
from entropi.synth.recipes import Func
from entropi.synth.repos import Module, Project, make_project, readme


def _callers(ctx: Ctx, p: Project, m: Module, f: Func, count: int) -> list[str]:
    """Add `count` caller modules that import and call `f`; returns their paths."""
    paths = []
    for _ in range(count):
        stem = ctx.namer.caller()
        path = f"{p.package}/{stem}.py" if p.package else f"{stem}.py"
        verb = ctx.pick("run", "handle", "show", "report")
        p.extra[path] = (
            f'"""{stem.replace("_", " ").capitalize()} entry points."""\n\n'
            f"from {m.import_name} import {f.name}\n\n\n"
            f"def {verb}_{f.noun}():\n    return {f.name}({f.cases[0][0]})\n"
        )
        paths.append(path)
    return paths


def explain(ctx: Ctx) -> Draft:
    p = make_project(ctx.rng, ctx.namer, funcs=2)
    m, f = p.modules[0], p.modules[0].funcs[0]
    if ctx.edge == "odd_path":  # a stand-alone script in an odd folder
        m.path = f"{ctx.namer.odd_dir()}/{m.stem}.py"
        m.tested = []
        p.extra["README.md"] = readme(p)
    hard = ctx.difficulty == "hard" and ctx.edge != "odd_path"
    callers = _callers(ctx, p, m, f, 1) if hard else []
    files = p.files()
    test = p.test_path(m)
    calls = []
    if ctx.edge == "failing_tool":  # the user's path is stale: read fails, glob finds the file, read again
        wrong = f"src/{m.stem}.py" if p.package else f"lib/{m.stem}.py"
        calls += [
            call("filesystem.read_file", path=wrong),
            call("filesystem.glob", pattern=f"**/{m.stem}.py"),
        ]
        shown = wrong
    else:
        shown = m.path
        if not ctx.mention or ctx.difficulty == "hard":
            calls.append(call("filesystem.grep", pattern=f"def {f.name}"))
    calls.append(call("filesystem.read_file", path=m.path))
    args, expected = f.cases[0]
    answer = f"`{f.name}({f.params})` in {m.path} {f.spec}."
    checker = [answer_has(*[list(e) for e in f.explain])]
    if ctx.difficulty != "easy" and test in files:
        calls.append(call("filesystem.read_file", path=test))
        answer += f" The tests show, for example, that {f.call(args)} gives {expected}."
    if callers:
        calls += [
            call("filesystem.grep", pattern=f"{f.name}\\("),
            call("filesystem.read_file", path=callers[0]),
        ]
        answer += f" It is called from {callers[0]}."
        checker.append(answer_has(basename(callers[0])))
    mention = ctx.mention or ctx.edge in ("failing_tool", "odd_path")
    where = f" in {shown}" if mention else ""
    how = " and where is it used" if callers else ""
    forms = Forms(
        [
            f"Explain what `{f.name}`{where} does{' and where it is used' if callers else ''}",
            f"Walk me through `{f.name}`{where}",
        ],
        [f"What does `{f.name}`{where} do{how}?", f"How does `{f.name}`{where} work{how}?"],
        [f"{f.name}{where}?? what does it do", f"explain {f.name}{where}"],
        p.package or m.stem,
        [f"{f.name}?", f"explain {f.name}"],
    )
    note = {
        "failing_tool": f"the user's path {shown} is stale: the read fails, a glob finds the file",
        "odd_path": "the file is in a folder whose name has spaces, unicode or dashes",
        "short_input": "a very short request",
    }.get(ctx.edge)
    path = "with_path" if mention else "no_path"
    return Draft(forms, files, calls, answer, checker, "read", edge_note=note, path=path)


def find_definition(ctx: Ctx) -> Draft:
    p = make_project(ctx.rng, ctx.namer, modules=ctx.rng.randint(1, 2), funcs=2)
    m = ctx.rng.choice(p.modules)
    f = ctx.rng.choice(m.funcs)
    callers = _callers(ctx, p, m, f, 1 if ctx.difficulty == "easy" else 2)
    files = p.files()
    calls = [call("filesystem.grep", pattern=f"def {f.name}")]
    answer = f"`{f.name}` is defined in {m.path} (`def {f.name}({f.params})`)"
    checker = [answer_has(basename(m.path))]
    ask_more = ctx.difficulty != "easy"
    if ask_more:
        calls += [
            call("filesystem.grep", pattern=f"import .*{f.name}"),
            call("filesystem.read_file", path=m.path),
        ]
        importers = [*callers, p.test_path(m)]
        answer += f"; it is imported by {', '.join(importers)} and it {f.spec}"
        checker.append(answer_has(*[basename(c) for c in callers]))
    answer += "."
    within = f" in the {p.package} package" if ctx.mention and p.package else ""
    more = ", and who imports it" if ask_more else ""
    forms = Forms(
        [
            f"Find where `{f.name}` is defined{within}{more}",
            f"Show me the definition of `{f.name}`{within}{more}",
        ],
        [f"Where is `{f.name}` defined{within}{more}?", f"Which file defines {f.name}{within}{more}?"],
        [f"where is {f.name} defined{within}", f"def of {f.name}?"],
        p.package or m.stem,
        [f"where {f.name}?"],
    )
    path = "with_path" if within else "no_path"
    note = "a very short request" if ctx.edge == "short_input" else None
    return Draft(forms, files, calls, answer, checker, "find", edge_note=note, path=path)


def find_callers(ctx: Ctx) -> Draft:
    p = make_project(ctx.rng, ctx.namer, funcs=2)
    m, f = p.modules[0], p.modules[0].funcs[0]
    m.tested = [x.name for x in m.funcs[1:]]
    count = {"easy": 1, "medium": 2, "hard": 3}[ctx.difficulty]
    callers = _callers(ctx, p, m, f, count)
    files = p.files()
    glob = "*.py"
    calls = [call("filesystem.grep", pattern=f"{f.name}\\(", glob=glob)]
    if ctx.difficulty != "easy":
        calls += [call("filesystem.read_file", path=c) for c in callers]
    listed = ", ".join(callers)
    answer = f"`{f.name}` (defined in {m.path}) is called from {listed}."
    if ctx.difficulty != "easy":
        answer += f" Each passes {f.cases[0][0]}."
    where = loc(ctx, m.path, prefix=" from ")
    forms = Forms(
        [f"List every Python file that calls `{f.name}`{where}", f"Find all callers of `{f.name}`{where}"],
        [f"Which files call `{f.name}`{where}?", f"Who calls {f.name}{where}, and from which files?"],
        [f"callers of {f.name}?", f"who uses {f.name}{where}"],
        p.package or m.stem,
        [f"{f.name} callers"],
    )
    note = "a very short request" if ctx.edge == "short_input" else None
    checker = [answer_has(*[basename(c) for c in callers])]
    return Draft(forms, files, calls, answer, checker, "find", edge_note=note)


COMMIT_VERBS = ("Tidy", "Document", "Simplify", "Tune", "Comment", "Polish", "Clarify", "Touch up")


def git_history(ctx: Ctx) -> Draft:
    p = make_project(ctx.rng, ctx.namer, modules=2, funcs=2)
    a, b = p.modules
    files = p.files()
    fa, fb = a.funcs[0], b.funcs[0]
    msg_a = f"{ctx.pick(*COMMIT_VERBS)} {fa.name}"
    msg_b = f"{ctx.pick(*COMMIT_VERBS)} {b.stem} helpers"
    setup = [
        {"write": {"path": a.path, "content": files[a.path] + f"\n\n# {fa.name}: see the README.\n"}},
        {"stage": [a.path]},
        {"commit": msg_a},
        {"write": {"path": b.path, "content": files[b.path] + "\n\n# Reviewed.\n"}},
        {"stage": [b.path]},
        {"commit": msg_b},
    ]
    question = ctx.pick("last_change", "uncommitted") if ctx.difficulty != "hard" else "uncommitted"
    if question == "last_change":
        calls = [call("git.log", path=a.path, max_count=3)]
        answer = (
            f'The last commit that changed {a.path} is "{msg_a}"; the newest commit, "{msg_b}", only '
            f"touched {b.path}."
        )
        checker = [answer_has(msg_a)]
        where = a.path if ctx.mention else f"the module that defines `{fa.name}`"
        if not ctx.mention:
            calls.insert(0, call("filesystem.grep", pattern=f"def {fa.name}"))
        forms = Forms(
            [f"Tell me which commit last changed {where}", f"Find the last commit that touched {where}"],
            [
                f"According to git, what was the last commit to change {where}?",
                f"Which commit last modified {where}?",
            ],
            [f"last commit on {where}?", f"git: who last touched {where}"],
            p.package or a.stem,
        )
    else:
        setup.append({"write": {"path": b.path, "content": files[b.path] + f"\n\n# WIP {fb.name}\n"}})
        calls = [call("git.status")]
        answer = f"You have uncommitted changes in {b.path}."
        checker = [answer_has(basename(b.path))]
        if ctx.difficulty != "easy":
            calls.append(call("git.log", max_count=2))
            answer += f' The last commit is "{msg_b}".'
            checker.append(answer_has(msg_b))
        if ctx.difficulty == "hard":
            calls.append(call("filesystem.read_file", path=b.path))
            answer += f" The change adds a WIP comment about {fb.name} at the end of the file."
        more = " and what the last commit was" if ctx.difficulty != "easy" else ""
        within = f" in {p.package}/" if ctx.mention and p.package else ""
        forms = Forms(
            [
                f"Tell me which files I changed{within} since the last commit{more}",
                f"List my uncommitted changes{within}{more}",
            ],
            [
                f"Which files have I modified{within} since the last commit{more}?",
                f"What is uncommitted{within} right now{more}?",
            ],
            [f"uncommitted changes{within}?", f"git status{within}?"],
            p.package or a.stem,
        )
    path = "with_path" if ctx.mention and (question == "last_change" or p.package) else "no_path"
    return Draft(forms, files, calls, answer, checker, "git", setup=setup, path=path)


def layout(ctx: Ctx) -> Draft:
    p = make_project(ctx.rng, ctx.namer, modules=2, funcs=2, package=True)
    files = p.files()
    calls = [call("filesystem.list_directory"), call("filesystem.list_directory", path=p.package)]
    a, b = p.modules
    answer = (
        f"The code is in the {p.package}/ package ({basename(a.path)} and {basename(b.path)}); "
        "the tests are in "
        f"{p.tests_dir + '/' if p.tests_dir else 'test_*.py files at the root'}, and README.md describes it."
    )
    if ctx.difficulty != "easy":
        calls.append(call("filesystem.read_file", path="README.md"))
        answer += f" It holds small {p.domain} helpers."
    if ctx.difficulty == "hard":
        if p.tests_dir:
            calls.append(call("filesystem.list_directory", path=p.tests_dir))
        calls += [call("filesystem.read_file", path=a.path), call("filesystem.read_file", path=b.path)]
        answer += f" {basename(a.path)} defines {', '.join(f.name for f in a.funcs)}."
    where = f" (start at {p.package}/)" if ctx.mention else ""
    forms = Forms(
        [
            f"Give me an overview of how this project is organised{where}",
            f"Describe the layout of the repo{where}",
        ],
        [f"How is this codebase structured{where}?", f"What's in this repository and where{where}?"],
        [f"project layout?{where}", f"repo structure{where}"],
        f"the {p.package} package",
    )
    checker = [answer_has(p.package, basename(a.path), "test")]
    return Draft(forms, files, calls, answer, checker, "list")


BUILDERS = {
    "explain": explain,
    "find_definition": find_definition,
    "find_callers": find_callers,
    "git_history": git_history,
    "layout": layout,
}
EDGES = {
    "explain": {"failing_tool", "odd_path", "short_input"},
    "find_definition": {"short_input"},
    "find_callers": {"short_input"},
    "git_history": set(),
    "layout": set(),
}
