"""Builders for the code tier: fix a bug, add a feature, rename a function, write tests; the tier's `BUILDERS`
and `EDGES` (config edits, project files and commits: `build_config.py`).

A feature is a function (half of them), built here, or a decorator, a class (in an existing module or a new
file) or a command-line option of a generated report command, built in `build_code_create.py`; each is asked
for in many verbs (write, implement, create, add, build, define, make, ...) so routing rows made from these
prompts do not teach the router one template per tier.

Each builder turns a `Ctx` into a `Draft` whose gold edits the generated repo so its checker passes: files are
read before they are edited (the agent's rule), every edit's old string occurs once, and tests are run with
`python -m unittest -q`. Difficulty targets add steps (locate first, run the tests, update the tests too).
Non-goals: decorators, classes and command-line options (`build_code_create.py`), the report command
itself (`build_code_cli.py`), the edge cases shared by all tiers (`edges.py`), prompts beyond the cores
(`phrasing.py`).
"""

from __future__ import annotations

from entropi.synth.build_code_create import add_class, add_cli_flag, add_decorator
from entropi.synth.build_config import commit, config_edit
from entropi.synth.draft import TEST_COMMAND, TESTS_PASS, Ctx, Draft, asserts, call, contains, lacks, loc
from entropi.synth.phrasing import Forms
from entropi.synth.recipes import Func
from entropi.synth.repos import Module, Project, make_project, readme, test_source

BUG_WORDS = {
    "swapped_bounds": "min and max were swapped",
    "off_by_one": "it was off by one",
    "swapped_operands": "the operands were swapped",
    "wrong_formula": "the formula was wrong",
    "split_on_space": 'it split on single spaces (" ") instead of any whitespace',
    "boundary": "it excluded the range ends",
    "drops_tail": "it dropped the last, shorter chunk",
    "keeps_inner_spaces": "it kept runs of inner spaces",
    "wrong_operator": "it added price and qty instead of multiplying them",
}
MISSING_RUNNER = "python run_tests.py"


def fix(ctx: Ctx) -> Draft:
    p = make_project(ctx.rng, ctx.namer, funcs=ctx.rng.randint(2, 3))
    m = p.modules[0]
    f = ctx.rng.choice(m.funcs)
    m.buggy = f.name
    files = p.files()
    test = p.test_path(m)
    args, expected = f.failing_case()
    wrong = wrong_result(f, args, expected)
    calls = []
    ran = ctx.difficulty != "easy" or ctx.edge == "failing_tool"
    if ctx.edge == "failing_tool":
        calls.append(call("bash.execute", command=MISSING_RUNNER))
    if ran:
        calls.append(call("bash.execute", command=TEST_COMMAND))
    if (not ctx.mention and not ran) or ctx.difficulty == "hard":
        calls.append(call("filesystem.grep", pattern=f"def {f.name}"))
    calls += [
        call("filesystem.read_file", path=m.path),
        call("filesystem.edit_file", path=m.path, old_string=f.bad_line, new_string=f.good_line),
    ]
    if ran:
        calls.append(call("bash.execute", command=TEST_COMMAND))
    if ctx.difficulty == "hard":
        calls.append(call("git.diff", path=m.path))
    where = loc(ctx, m.path)
    if ctx.edge == "failing_tool":
        forms = Forms(
            [f"Run the tests with `{MISSING_RUNNER}` and fix the bug they find{where}"],
            [f"Can you run `{MISSING_RUNNER}` and fix whatever fails{where}?"],
            [f"{MISSING_RUNNER} then fix"],
            p.package or m.stem,
        )
    elif ran:
        forms = Forms(
            [
                f"Fix the code{where} so the failing test passes ({wrong}); don't change the tests",
                f"Make the failing test{' in ' + test if ctx.mention else ''} pass by fixing `{f.name}`",
                f"Repair `{f.name}`{where} so the test suite passes again; leave the tests as they are",
                f"Correct the code{where} so the tests go green ({wrong})",
            ],
            [
                f"The tests fail because {wrong}. Can you fix the code{where} and keep the tests?",
                f"Could you get the failing test passing again by fixing `{f.name}`{where}?",
            ],
            [
                f"tests fail, {f.name} wrong{where}, fix",
                f"{f.name} failing test, fix code",
                f"make the tests green{where}: {f.name} is wrong",
            ],
            p.package or m.stem,
            [f"fix {f.name}"],
        )
    else:
        forms = Forms(
            [
                f"Fix the bug in `{f.name}`{where}: {wrong}",
                f"Fix `{f.name}`{where}; {wrong}",
                f"Correct `{f.name}`{where}: {wrong}",
                f"Patch `{f.name}`{where} so that `{f.call(args)}` gives {expected}",
                f"Make `{f.call(args)}` return {expected}{where} by fixing the function",
                f"Repair the broken logic in `{f.name}`{where} ({wrong})",
            ],
            [
                f"Can you fix `{f.name}`{where}? Right now {wrong}.",
                f"`{f.name}`{where} is broken: {wrong}. Could you correct it?",
                f"Would you patch `{f.name}`{where} so `{f.call(args)}` returns {expected}?",
            ],
            [
                f"{f.name} buggy{where}, fix pls",
                f"fix {f.name}{where} - {f.call(args)} should be {expected}",
                f"{f.call(args)} should be {expected}, patch {f.name}{where}",
            ],
            p.package or m.stem,
            [f"fix {f.name}"],
        )
    tail = ", and the tests pass" if ran else ""
    answer = (
        f"Fixed `{f.name}` in {m.path}: {BUG_WORDS[f.bug]}. `{f.bad_line}` is now `{f.good_line}`, so "
        f"{f.call(args)} returns {expected}{tail}."
    )
    checker = [asserts(m.import_name, f)]
    if test in files:
        checker += [TESTS_PASS, contains(test, files[test].splitlines()[-1].strip())]
    return Draft(forms, files, calls, answer, checker, "fix", edge_note=_note(ctx))


def feature(ctx: Ctx) -> Draft:
    kind = ctx.pick("function", "function", "function", "decorator", "class", "cli_flag")
    if kind == "decorator":
        return add_decorator(ctx)
    if kind == "class":
        return add_class(ctx)
    if kind == "cli_flag":
        return add_cli_flag(ctx)
    p = make_project(ctx.rng, ctx.namer, funcs=2)
    m = p.modules[0]
    g = m.funcs.pop()  # the function to add: drawn like the others, left out of the repo
    p.extra["README.md"] = readme(p)
    files = p.files()
    anchor = m.funcs[-1]
    last = anchor.body.rstrip("\n").splitlines()[-1]
    calls = [] if ctx.mention else [call("filesystem.grep", pattern=f"def {anchor.name}")]
    calls += [
        call("filesystem.read_file", path=m.path),
        call("filesystem.edit_file", path=m.path, old_string=last, new_string=f"{last}\n\n\n{g.source()}"),
    ]
    test = p.test_path(m)
    with_tests = ctx.difficulty == "hard"
    if with_tests:
        lines = test_source(m, [g]).splitlines()
        method = "\n".join(lines[lines.index(f"    def test_{g.recipe}(self):") :])
        method = method.replace(
            "        for args", f"        from {m.import_name} import {g.name}\n\n        for args"
        )
        old = files[test].rstrip("\n").splitlines()[-1]
        calls += [
            call("filesystem.read_file", path=test),
            call("filesystem.edit_file", path=test, old_string=old, new_string=f"{old}\n\n{method}"),
        ]
    if ctx.difficulty != "easy":
        calls.append(call("bash.execute", command=TEST_COMMAND))
    where = loc(ctx, m.path) if ctx.mention else f" next to `{anchor.name}`"
    also = f" and add a test for it{loc(ctx, test)}" if with_tests else ""
    sig = f"`{g.name}({g.params})`"
    takes = arg_words(g.params)
    forms = Forms(
        [
            f"Add a function {sig}{where} that {g.spec}{also}",
            f"Implement {sig}{where}: it {g.spec}{also}",
            f"Write a function {sig}{where} that {g.spec}{also}",
            f"Create a new helper {sig}{where} that {g.spec}{also}",
            f"Define {sig}{where}, which {g.spec}{also}",
            f"Build a small function {sig}{where} that {g.spec}{also}",
            f"Make a helper called `{g.name}`{where} that takes {takes} and {g.spec}{also}",
            f"Write `{g.name}`{where}: given {takes}, it {g.spec}{also}",
        ],
        [
            f"Could you add {sig}{where}{also}? It {g.spec}.",
            f"Can you write a function {sig}{where} that {g.spec}{also}?",
            f"Would you implement `{g.name}`{where}{also}? It takes {takes} and {g.spec}.",
            f"Can I get a helper {sig}{where} that {g.spec}{also}?",
            f"I need a function {sig}{where} that {g.spec}{also}. Can you write it?",
        ],
        [
            f"add {g.name}({g.params}){where}: {g.spec}{also}",
            f"new fn {g.name}({g.params}){where} - {g.spec}{also}",
            f"implement {g.name}({g.params}){where}, {g.spec}{also}",
            f"write {g.name}{where} ({g.spec}){also}",
        ],
        p.package or m.stem,
    )
    answer = f"Added {sig} to {m.path}; it {g.spec}." + (f" {test} has a test for it." if with_tests else "")
    checker = [asserts(m.import_name, g), TESTS_PASS]
    if with_tests:
        checker.append(contains(test, f"{g.name}(*args)"))
    return Draft(forms, files, calls, answer, checker, "feature", edge_note=_note(ctx))


def rename(ctx: Ctx) -> Draft:
    p = make_project(ctx.rng, ctx.namer, funcs=2, package=True)
    m = p.modules[0]
    f = m.funcs[0]
    new = f.rename_target()
    hard = ctx.difficulty == "hard"
    m.tested = None if hard else [x.name for x in m.funcs[1:]]
    caller_src, caller = _caller(ctx, p, m, f) if ctx.difficulty != "easy" else ("", None)
    p.extra["README.md"] = f"# {p.package}\n\nSmall {p.domain} helpers.\n"
    files = p.files()
    calls = [call("filesystem.grep", pattern=f.name)] if hard or not ctx.mention else []
    calls += [
        call("filesystem.read_file", path=m.path),
        call("filesystem.edit_file", path=m.path, old_string=f"def {f.name}(", new_string=f"def {new}("),
    ]
    touched = [m.path]
    if caller is not None:
        files[caller] = caller_src
        calls += [call("filesystem.read_file", path=caller), _rename_span(caller, caller_src, f.name, new)]
        touched.append(caller)
    test = p.test_path(m)
    if hard:
        calls += [call("filesystem.read_file", path=test), _rename_span(test, files[test], f.name, new)]
        calls.append(call("bash.execute", command=TEST_COMMAND))
        touched.append(test)
    where = loc(ctx, m.path)
    forms = Forms(
        [
            f"Rename `{f.name}`{where} to `{new}` everywhere it is used",
            f"Rename the function `{f.name}` to `{new}`{where} and update every use",
            f"Refactor: rename `{f.name}`{where} to `{new}` and update everything that uses it",
            f"Change the name of `{f.name}`{where} to `{new}` across the code",
            f"Replace the name `{f.name}` with `{new}`{where}, definition and uses alike",
        ],
        [
            f"Can you rename `{f.name}`{where} to `{new}` across the code?",
            f"Could you refactor `{f.name}`{where} into `{new}`, updating every use?",
            f"Can we call `{f.name}` `{new}` instead? Please rename it everywhere{where}.",
        ],
        [
            f"rename {f.name} -> {new}",
            f"{f.name} => {new} everywhere",
            f"refactor: {f.name} to {new}{where}",
        ],
        p.package or m.stem,
        [f"rename {f.name} {new}"],
    )
    answer = f"Renamed `{f.name}` to `{new}` in {', '.join(touched)}."
    checker = [lacks(path, f.name) for path in touched] + [asserts(m.import_name, f, new)]
    if hard:
        checker.append(TESTS_PASS)
    return Draft(forms, files, calls, answer, checker, "rename", edge_note=_note(ctx))


def _caller(ctx: Ctx, p: Project, m: Module, f: Func) -> tuple[str, str]:
    """A caller module in the package that imports and calls `f` once: (source, path)."""
    stem = ctx.namer.caller()
    source = f'"""{stem.capitalize()} entry points."""\n\nfrom {m.import_name} import {f.name}\n\n\n'
    source += f"def {stem}_{f.noun}():\n    return {f.name}({f.cases[0][0]})\n"
    return source, f"{p.package}/{stem}.py"


def _rename_span(path: str, text: str, old: str, new: str):
    """One edit from the import line to the last use (the span is unique in its file)."""
    lines = text.splitlines()
    used = [i for i, line in enumerate(lines) if old in line]
    span = "\n".join(lines[used[0] : used[-1] + 1])
    return call("filesystem.edit_file", path=path, old_string=span, new_string=span.replace(old, new))


def write_test(ctx: Ctx) -> Draft:
    p = make_project(ctx.rng, ctx.namer, funcs=2)
    m = p.modules[0]
    f = ctx.rng.choice(m.funcs)
    m.tested = []
    files = p.files()
    test = p.test_path(m)
    calls = [] if ctx.mention else [call("filesystem.grep", pattern=f"def {f.name}")]
    calls += [call("filesystem.read_file", path=m.path)]
    if ctx.difficulty == "hard":
        calls.append(call("filesystem.list_directory", **({"path": p.tests_dir} if p.tests_dir else {})))
    calls.append(call("filesystem.write_file", path=test, content=test_source(m, [f])))
    command = f"python -m unittest -q {p.test_module(m)}"
    if ctx.edge == "failing_tool":
        calls.append(call("bash.execute", command=MISSING_RUNNER))
    if ctx.difficulty != "easy" or ctx.edge == "failing_tool":
        calls.append(call("bash.execute", command=command))
    if ctx.difficulty == "hard":
        calls.append(call("git.status"))
    where = loc(ctx, m.path)
    run = f" and run them with `{MISSING_RUNNER}`" if ctx.edge == "failing_tool" else ""
    forms = Forms(
        [
            f"Write unit tests for `{f.name}`{where} in {test}{run}",
            f"Add a unittest file {test} covering `{f.name}`{run}",
            f"Create a test file {test} for `{f.name}`{where}{run}",
            f"Generate unit tests for `{f.name}`{where} in {test}{run}",
            f"Cover `{f.name}`{where} with unit tests in {test}{run}",
            f"Scaffold {test} with unittest cases for `{f.name}`{run}",
            f"Make a test module {test} that checks `{f.name}`{run}",
        ],
        [
            f"Can you write tests for `{f.name}`{where}? Put them in {test}{run}.",
            f"Could you add test coverage for `{f.name}`{where} in {test}{run}?",
            f"Would you create {test} with a few tests of `{f.name}`{run}?",
        ],
        [f"tests for {f.name} -> {test}", f"unit tests for {f.name} pls, in {test}{run}"],
        p.package or m.stem,
        [f"test {f.name}"],
    )
    answer = f"Wrote {test} with a unittest case for `{f.name}` ({len(f.cases)} examples); the tests pass."
    checker = [contains(test, "def test_"), contains(test, f.name), {"command_succeeds": command.split()}]
    return Draft(forms, files, calls, answer, checker, "write", edge_note=_note(ctx))


def arg_words(params: str) -> str:
    """`a`, `b` and `c` for the parameter list "a, b, c"."""
    names = [f"`{name.strip()}`" for name in params.split(",")]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _note(ctx: Ctx) -> str | None:
    notes = {
        "failing_tool": f"the `{MISSING_RUNNER}` the user names does not exist; recover with unittest",
        "odd_path": "the path has spaces, unicode or dashes",
        "short_input": "a very short request",
    }
    return notes.get(ctx.edge)


BUILDERS = {
    "fix": fix,
    "feature": feature,
    "rename": rename,
    "write_test": write_test,
    "config_edit": config_edit,
    "commit": commit,
}
EDGES = {
    "fix": {"failing_tool", "short_input"},
    "rename": {"short_input"},
    "write_test": {"failing_tool", "short_input"},
    "config_edit": {"odd_path", "short_input"},
    "feature": set(),
    "commit": set(),
}


def wrong_result(f: Func, args: str, expected: str) -> str:
    got = f.evaluate(args, buggy=True)
    if got[:1].isupper() and got.isidentifier():  # an exception's name
        return f"`{f.call(args)}` raises {got} instead of returning {expected}"
    return f"`{f.call(args)}` returns {got} instead of {expected}"
