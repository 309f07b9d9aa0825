"""Builders for the normal tier: explain code, find a definition, find callers, git history, project layout;
the tier's `BUILDERS` and `EDGES`.

Besides functions, `explain` asks what a command-line option or a class's method does and `find_definition`
asks where handlers are registered or where a setting is configured; those shapes are drawn here and built in
`build_normal_constructs.py`. Each is asked in many question forms ("where is/are ...", "what does ...
return", "how is ... computed", "which module ...").

Read-only questions answered after looking (normal may read, list, glob, grep, git status and git log): the
gold's answer states facts of the generated repo and the checker looks for them in the final answer.
Non-goals: questions about CLI options, methods, registries and settings (`build_normal_constructs.py`), edits
(the code tier), the edge cases shared by all tiers (`edges.py`).
"""

from __future__ import annotations

from entropi.synth.build_normal_constructs import explain_flag, explain_method, find_registry, find_setting
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
    if ctx.edge == "none":
        kind = ctx.pick("function", "function", "function", "flag", "method")
        if kind == "flag":
            return explain_flag(ctx)
        if kind == "method":
            return explain_method(ctx)
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
    used = " and where it is used" if callers else ""
    forms = Forms(
        [
            f"Explain what `{f.name}`{where} does{used}",
            f"Walk me through `{f.name}`{where}",
            f"Describe what `{f.name}`{where} returns{used}",
            f"Tell me how `{f.name}`{where} computes its result{used}",
            f"Summarize the behaviour of `{f.name}`{where}{used}",
        ],
        [
            f"What does `{f.name}`{where} do{how}?",
            f"How does `{f.name}`{where} work{how}?",
            f"What does `{f.name}`{where} return{how}?",
            f"How is {HOW[f.recipe]} in `{f.name}`{where}{how}?",
            f"What is `{f.name}`{where} for{how}?",
            f"What happens when I call `{f.name}`{where}{how}?",
            f"Can you explain `{f.name}`{where}{how}?",
        ],
        [
            f"{f.name}{where}?? what does it do",
            f"explain {f.name}{where}",
            f"what's {f.name}{where} do",
            f"{f.name}{where} returns what?",
        ],
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
    if ctx.edge == "none":
        kind = ctx.pick("function", "function", "registry", "setting")
        if kind == "registry":
            return find_registry(ctx)
        if kind == "setting":
            return find_setting(ctx)
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
            f"Locate `{f.name}`{within}{more}",
            f"Point me to the file that defines `{f.name}`{within}{more}",
            f"Tell me which module contains `{f.name}`{within}{more}",
        ],
        [
            f"Where is `{f.name}` defined{within}{more}?",
            f"Which file defines {f.name}{within}{more}?",
            f"Which module contains `{f.name}`{within}{more}?",
            f"Where does `{f.name}` live{within}{more}?",
            f"In which file is `{f.name}` declared{within}{more}?",
            f"Where can I find the code of `{f.name}`{within}{more}?",
        ],
        [
            f"where is {f.name} defined{within}",
            f"def of {f.name}?",
            f"{f.name} defined where?",
            f"which module has {f.name}{within}",
        ],
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
        [
            f"List every Python file that calls `{f.name}`{where}",
            f"Find all callers of `{f.name}`{where}",
            f"Show me where `{f.name}`{where} is used",
            f"Tell me which modules import and call `{f.name}`{where}",
        ],
        [
            f"Which files call `{f.name}`{where}?",
            f"Who calls {f.name}{where}, and from which files?",
            f"Where is `{f.name}`{where} used?",
            f"What calls `{f.name}`{where}?",
            f"Which modules import `{f.name}`{where} and call it?",
        ],
        [f"callers of {f.name}?", f"who uses {f.name}{where}", f"usages of {f.name}{where}?"],
        p.package or m.stem,
        [f"{f.name} callers"],
    )
    note = "a very short request" if ctx.edge == "short_input" else None
    checker = [answer_has(*[basename(c) for c in callers])]
    return Draft(forms, files, calls, answer, checker, "find", edge_note=note)


HOW = {
    "clamp": "the value kept within its bounds",
    "mean": "the average computed",
    "percent": "the percentage worked out",
    "last_items": "the tail of the list picked",
    "discount": "the reduced price computed",
    "word_count": "the number of words counted",
    "fahrenheit": "the temperature converted",
    "in_range": "the range check done",
    "chunks": "the list split into chunks",
    "normalize": "the name cleaned up",
    "total": "the total computed",
}  # "How is <this> in `f`?" per recipe


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
            [
                f"Tell me which commit last changed {where}",
                f"Find the last commit that touched {where}",
                f"Show me the most recent commit that modified {where}",
            ],
            [
                f"According to git, what was the last commit to change {where}?",
                f"Which commit last modified {where}?",
                f"What was the latest commit touching {where}?",
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
                f"Show me what I haven't committed yet{within}{more}",
            ],
            [
                f"Which files have I modified{within} since the last commit{more}?",
                f"What is uncommitted{within} right now{more}?",
                f"Do I have uncommitted changes{within}, and in which files{more}?",
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
            f"Give me a quick tour of the repository{where}",
            f"Summarize how the code and the tests are laid out{where}",
        ],
        [
            f"How is this codebase structured{where}?",
            f"What's in this repository and where{where}?",
            f"Which folders hold the code and which the tests{where}?",
            f"What does the directory structure look like{where}?",
        ],
        [
            f"project layout?{where}",
            f"repo structure{where}",
            f"where's the code, where are the tests{where}?",
        ],
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
