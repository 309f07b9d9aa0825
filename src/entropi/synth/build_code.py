"""Builders for the code tier: fix a bug, add a feature, rename a function, write tests (config edits, project
files and commits: `build_config.py`).

A feature is a function (half of them), a decorator or a class (in an existing module or a new file) or a
command-line option of a generated report command (`Cli`, shared with the normal tier's questions about it);
each is asked for in many verbs (write, implement, create, add, build, define, make, ...) so routing rows made
from these prompts do not teach the router one template per tier.

Each builder turns a `Ctx` into a `Draft` whose gold edits the generated repo so its checker passes: files are
read before they are edited (the agent's rule), every edit's old string occurs once, and tests are run with
`python -m unittest -q`. Difficulty targets add steps (locate first, run the tests, update the tests too).
Non-goals: the edge cases shared by all tiers (`edges.py`), prompts beyond the cores (`phrasing.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

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
        return _decorator(ctx)
    if kind == "class":
        return _class(ctx)
    if kind == "cli_flag":
        return _cli_flag(ctx)
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


@dataclass(frozen=True)
class Piece:
    """A decorator or class a feature request adds: names, needed imports, source, spec, checking code."""

    key: str
    names: tuple[str, ...]  # templates with {Noun} (classes) or plain names (decorators)
    imports: tuple[str, ...]
    source: str  # with {name}
    spec: str  # third person: "counts how many times ..."
    check: str  # Python statements with {name}; they raise when the piece is wrong


DECORATORS = (
    Piece(
        "count_calls", ("count_calls", "call_counter", "counted"), ("functools",),
        'def {name}(func):\n    """Count the calls of func in wrapper.calls."""\n\n'
        "    @functools.wraps(func)\n    def wrapper(*args, **kwargs):\n        wrapper.calls += 1\n"
        "        return func(*args, **kwargs)\n\n    wrapper.calls = 0\n    return wrapper\n",
        "counts how many times the wrapped function is called, in a `calls` attribute on the wrapper",
        "@{name}\ndef double(x):\n    return 2 * x\n\nassert double(2) == 4 and double(5) == 10\n"
        'assert double.calls == 2, double.calls\nassert double.__name__ == "double"\n',
    ),
    Piece(
        "memoize", ("memoize", "cache_results", "remember"), ("functools",),
        'def {name}(func):\n    """Cache the results of func by its positional arguments."""\n'
        "    cache = {{}}\n\n"
        "    @functools.wraps(func)\n    def wrapper(*args):\n        if args not in cache:\n"
        "            cache[args] = func(*args)\n        return cache[args]\n\n    return wrapper\n",
        "caches the wrapped function's results by its positional arguments, so each distinct call runs once",
        "seen = []\n\n@{name}\ndef square(x):\n    seen.append(x)\n    return x * x\n\n"
        "assert square(3) == 9 and square(3) == 9 and square(4) == 16\nassert seen == [3, 4], seen\n",
    ),
    Piece(
        "timed", ("timed", "measure_time", "track_duration"), ("functools", "time"),
        'def {name}(func):\n    """Store how long the last call of func took, in seconds, in '
        'wrapper.last_seconds."""\n\n    @functools.wraps(func)\n    def wrapper(*args, **kwargs):\n'
        "        start = time.perf_counter()\n"
        "        try:\n            return func(*args, **kwargs)\n        finally:\n"
        "            wrapper.last_seconds = time.perf_counter() - start\n\n"
        "    wrapper.last_seconds = None\n    return wrapper\n",
        "stores how long the last call took, in seconds, in a `last_seconds` attribute on the wrapper "
        "(None before the first call)",
        "@{name}\ndef add(a, b):\n    return a + b\n\n"
        "assert add.last_seconds is None\nassert add(2, 3) == 5\n"
        "assert isinstance(add.last_seconds, float) and add.last_seconds >= 0\n",
    ),
    Piece(
        "log_calls", ("log_calls", "trace_calls", "record_calls"), ("functools",),
        'def {name}(func):\n    """Append (name, args) of every call of func to wrapper.log."""\n\n'
        "    @functools.wraps(func)\n    def wrapper(*args):\n"
        "        wrapper.log.append((func.__name__, args))\n"
        "        return func(*args)\n\n    wrapper.log = []\n    return wrapper\n",
        "records every call as a (function name, arguments) pair in a `log` list on the wrapper",
        "@{name}\ndef neg(x):\n    return -x\n\nassert neg(1) == -1 and neg(7) == -7\n"
        'assert neg.log == [("neg", (1,)), ("neg", (7,))], neg.log\n',
    ),
    Piece(
        "non_negative", ("non_negative", "floor_at_zero", "no_negatives"), ("functools",),
        'def {name}(func):\n    """Make func return 0 instead of a negative result."""\n\n'
        "    @functools.wraps(func)\n    def wrapper(*args, **kwargs):\n"
        "        return max(0, func(*args, **kwargs))\n\n    return wrapper\n",
        "makes the wrapped function return 0 whenever its result would be negative",
        "@{name}\ndef sub(a, b):\n    return a - b\n\nassert sub(5, 3) == 2 and sub(3, 5) == 0\n",
    ),
)  # fmt: skip
CLASSES = (
    Piece(
        "counter", ("{Noun}Counter", "{Noun}Tally"), (),
        'class {name}:\n    """Counts per name."""\n\n    def __init__(self):\n        self.counts = {{}}\n\n'
        "    def add(self, name, n=1):\n        self.counts[name] = self.counts.get(name, 0) + n\n\n"
        "    def count(self, name):\n        return self.counts.get(name, 0)\n\n"
        "    def total(self):\n        return sum(self.counts.values())\n",
        "keeps counts per name: `add(name, n=1)` adds n, `count(name)` returns a name's count "
        "(0 when unknown)"
        " and `total()` returns the sum of all counts",
        'c = {name}()\nc.add("a")\nc.add("a", 2)\nc.add("b")\n'
        'assert c.count("a") == 3 and c.count("zz") == 0 and c.total() == 4\n',
    ),
    Piece(
        "stack", ("{Noun}Stack", "{Noun}Pile"), (),
        'class {name}:\n    """Last in, first out."""\n\n    def __init__(self):\n        self.items = []\n\n'
        "    def push(self, item):\n        self.items.append(item)\n\n"
        "    def pop(self):\n        return self.items.pop() if self.items else None\n\n"
        "    def peek(self):\n        return self.items[-1] if self.items else None\n\n"
        "    def __len__(self):\n        return len(self.items)\n",
        "is a stack with `push(item)`, `pop()` and `peek()` (both return None when it is empty) and `len()`",
        "s = {name}()\nassert s.pop() is None and s.peek() is None and len(s) == 0\ns.push(1)\ns.push(2)\n"
        "assert s.peek() == 2 and len(s) == 2 and s.pop() == 2 and s.pop() == 1 and s.pop() is None\n",
    ),
    Piece(
        "range", ("{Noun}Range", "{Noun}Bounds"), (),
        'class {name}:\n    """A closed range [low, high]."""\n\n    def __init__(self, low, high):\n'
        "        self.low = low\n        self.high = high\n\n"
        "    def contains(self, value):\n        return self.low <= value <= self.high\n\n"
        "    def width(self):\n        return self.high - self.low\n",
        "holds `low` and `high` (given to the constructor), with `contains(value)` (both ends included) and "
        "`width()` (high minus low)",
        "r = {name}(3, 10)\nassert r.contains(3) and r.contains(10)\n"
        "assert not r.contains(11) and not r.contains(2)\n"
        "assert r.width() == 7\n",
    ),
    Piece(
        "recent", ("{Noun}History", "Recent{Noun}s"), (),
        'class {name}:\n    """The last `size` items added, oldest first."""\n\n'
        "    def __init__(self, size):\n"
        "        self.size = size\n        self.kept = []\n\n"
        "    def add(self, item):\n        self.kept = (self.kept + [item])[-self.size :]\n\n"
        "    def items(self):\n        return list(self.kept)\n",
        "keeps only the last `size` items (the constructor's argument): `add(item)` appends and `items()` "
        "returns them oldest first",
        "h = {name}(2)\nassert h.items() == []\nfor x in (1, 2, 3):\n    h.add(x)\n"
        "assert h.items() == [2, 3], h.items()\n",
    ),
)  # fmt: skip
PIECE_FILES = ("decorators", "wrappers", "func_tools", "shapes", "structures", "containers", "toolbox")


def _piece_draft(ctx: Ctx, piece: Piece, what: str) -> tuple[Draft, str, str]:
    """A task that adds `piece` (a decorator or a class) to an existing module or a new file: the draft
    (forms left empty), the piece's name and where it goes (for the prompts)."""
    p = make_project(ctx.rng, ctx.namer, funcs=2)
    m = p.modules[0]
    name = ctx.pick(*piece.names).format(Noun=p.nouns[0].capitalize())
    code = piece.source.format(name=name)
    files = p.files()
    new_file = ctx.pick(True, False)
    if new_file:
        stem = ctx.namer._fresh(PIECE_FILES)
        path = f"{p.package}/{stem}.py" if p.package else f"{stem}.py"
        module = f"{p.package}.{stem}" if p.package else stem
        head = f'"""{p.domain.capitalize()} {what}s."""\n\n'
        head += "".join(f"import {i}\n" for i in piece.imports) + ("\n\n" if piece.imports else "\n")
        calls = [call("filesystem.list_directory", **({"path": p.package} if p.package else {}))]
        calls = calls if ctx.difficulty != "easy" else []
        calls.append(call("filesystem.write_file", path=path, content=head + code))
        where = f" in a new file {path}"
    else:
        path, module = m.path, m.import_name
        anchor = m.funcs[-1]
        last = anchor.body.rstrip("\n").splitlines()[-1]
        calls = [] if ctx.mention else [call("filesystem.grep", pattern=f"def {anchor.name}")]
        calls.append(call("filesystem.read_file", path=path))
        if piece.imports:
            top = files[path].split("\n", 1)[0]
            imports = "".join(f"\nimport {i}" for i in piece.imports)
            calls.append(
                call("filesystem.edit_file", path=path, old_string=top, new_string=f"{top}\n{imports}")
            )
        calls.append(
            call(
                "filesystem.edit_file", path=path, old_string=last, new_string=f"{last}\n\n\n{code.rstrip()}"
            )
        )
        where = f" to {path}" if ctx.mention else f" next to `{anchor.name}`"
    check = f"from {module} import {name}\n\n" + piece.check.format(name=name)
    if ctx.difficulty != "easy":
        calls.append(call("bash.execute", command=f'python -c "from {module} import {name}; print({name})"'))
    answer = f"Added the {what} `{name}` to {path}; it {piece.spec}."
    checker = [{"command_succeeds": ["python", "-c", check]}, contains(path, name)]
    forms = Forms([], [], [], p.package or m.stem)
    mention = "with_path" if new_file or ctx.mention else "no_path"
    return Draft(forms, files, calls, answer, checker, "feature", path=mention), name, where


def _decorator(ctx: Ctx) -> Draft:
    piece = ctx.pick(*DECORATORS)
    draft, name, where = _piece_draft(ctx, piece, "decorator")
    spec = piece.spec
    draft.forms = Forms(
        [
            f"Add a decorator `{name}`{where} that {spec}",
            f"Write a `{name}` decorator{where}; it {spec}",
            f"Implement a decorator called `{name}`{where} which {spec}",
            f"Create a `@{name}` decorator{where} that {spec}",
            f"Define `{name}`{where}: a decorator that {spec}",
        ],
        [
            f"Can you write a decorator `{name}`{where} that {spec}?",
            f"Could you add a `@{name}` decorator{where}? It {spec}.",
        ],
        [f"decorator {name}{where}: {spec}", f"add @{name}{where} ({spec})"],
        draft.forms.topic,
    )
    return draft


def _class(ctx: Ctx) -> Draft:
    piece = ctx.pick(*CLASSES)
    draft, name, where = _piece_draft(ctx, piece, "class")
    spec = piece.spec
    draft.forms = Forms(
        [
            f"Create a class `{name}`{where} that {spec}",
            f"Add a `{name}` class{where}; it {spec}",
            f"Write a small class `{name}`{where} which {spec}",
            f"Implement `{name}`{where}: a class that {spec}",
            f"Build a `{name}` class{where} that {spec}",
        ],
        [
            f"Can you add a class `{name}`{where} that {spec}?",
            f"Could you write `{name}`{where}? It {spec}.",
        ],
        [f"new class {name}{where}: {spec}", f"class {name}{where} - {spec}"],
        draft.forms.topic,
    )
    return draft


@dataclass(frozen=True)
class Flag:
    """A command-line option of the generated report command and what it does to the rows it prints."""

    name: str
    argument: str  # the parser line
    code: str  # the lines `render` runs for it (rows stage, or lines stage for "total")
    effect: str  # third person: "prints the rows in reverse order"
    must: tuple[tuple[str, ...], ...]  # answer_contains entries for an explanation
    takes: str = ""  # "N" for an option with a value


FLAGS = {
    "min": Flag(
        "min", 'parser.add_argument("--min", type=int, default=None, help="only rows with value >= N")',
        "    if args.min is not None:\n        rows = [row for row in rows if row[1] >= args.min]",
        "keeps only the rows whose value is at least N", (("at least", ">="),), "N",
    ),
    "sort": Flag(
        "sort", 'parser.add_argument("--sort", action="store_true", help="sort rows by value")',
        "    if args.sort:\n        rows = sorted(rows, key=lambda row: row[1])",
        "sorts the rows by value, smallest first", (("sort",), ("value",)),
    ),
    "reverse": Flag(
        "reverse", 'parser.add_argument("--reverse", action="store_true", help="reverse the order")',
        "    if args.reverse:\n        rows = rows[::-1]",
        "prints the rows in reverse order", (("reverse",),),
    ),
    "limit": Flag(
        "limit", 'parser.add_argument("--limit", type=int, default=None, help="show at most N rows")',
        "    if args.limit is not None:\n        rows = rows[: args.limit]",
        "shows at most N rows (the first N)", (("at most", "first"),), "N",
    ),
    "total": Flag(
        "total", 'parser.add_argument("--total", action="store_true", help="add a total line")',
        '    if args.total:\n        lines.append(f"total: {sum(value for _, value in rows)}")',
        "adds a last line with the total of the values", (("total", "sum"),),
    ),
    "upper": Flag(
        "upper", 'parser.add_argument("--upper", action="store_true", help="upper-case the names")',
        "", "prints the names in upper case", (("upper",),),
    ),
    "sep": Flag(
        "sep", 'parser.add_argument("--sep", default=": ", help="text between name and value")',
        "", 'sets the text between each name and its value (default ": ")', (("separator", "between"),),
        "TEXT",
    ),
}  # fmt: skip
ROW_FLAGS = ("min", "sort", "reverse", "limit")
CLI_STEMS = (
    "report_cmd",
    "show_report",
    "listing",
    "command_line",
    "printout",
    "console_report",
    "summary_cli",
)


@dataclass
class Cli:
    """A generated report command: `python -m <module> [options]` prints `name: value` rows."""

    path: str
    module: str
    rows: list[tuple[str, int]]
    flags: list[str]

    def source(self) -> str:
        order = [f for f in (*ROW_FLAGS, "upper", "sep", "total") if f in self.flags]
        args = "".join(f"    {FLAGS[f].argument}\n" for f in order)
        rows_code = "".join(f"{FLAGS[f].code}\n" for f in ROW_FLAGS if f in self.flags)
        total = f"{FLAGS['total'].code}\n" if "total" in self.flags else ""
        return (
            f'"""Print the report rows: python -m {self.module} [options]."""\n\nimport argparse\n\n'
            f"ROWS = {self.rows!r}\n\n\n"
            "def build_parser():\n"
            f'    parser = argparse.ArgumentParser(prog="{self.module}", '
            'description="Print the report rows.")\n'
            f"{args}    return parser\n\n\n"
            f"def render(args):\n    rows = list(ROWS)\n{rows_code}{self.lines_line()}\n{total}"
            "    return lines\n\n\n"
            "def main(argv=None):\n    for line in render(build_parser().parse_args(argv)):\n"
            "        print(line)\n\n\n"
            'if __name__ == "__main__":\n    main()\n'
        )

    def lines_line(self) -> str:
        name = "{name.upper() if args.upper else name}" if "upper" in self.flags else "{name}"
        sep = "{args.sep}" if "sep" in self.flags else ": "
        return f'    lines = [f"{name}{sep}{{value}}" for name, value in rows]'

    def output(self, flag: str = "", value: int = 0) -> list[str]:
        """What `render` returns with no option, or with only `flag` (given `value` when it takes one)."""
        rows = list(self.rows)
        if flag == "min":
            rows = [r for r in rows if r[1] >= value]
        elif flag == "sort":
            rows = sorted(rows, key=lambda r: r[1])
        elif flag == "reverse":
            rows = rows[::-1]
        elif flag == "limit":
            rows = rows[:value]
        lines = [
            f"{n.upper() if flag == 'upper' else n}{' | ' if flag == 'sep' else ': '}{v}" for n, v in rows
        ]
        if flag == "total":
            lines.append(f"total: {sum(v for _, v in rows)}")
        return lines

    def argv(self, flag: str, value: int) -> list[str]:
        if flag == "sep":
            return ["--sep", " | "]
        return [f"--{flag}", str(value)] if FLAGS[flag].takes else [f"--{flag}"]


def make_cli(ctx: Ctx, p: Project, flags: list[str]) -> Cli:
    """A report command in the project's package (or at the root), rows named after the domain's nouns."""
    stem = ctx.namer._fresh(CLI_STEMS)
    path = f"{p.package}/{stem}.py" if p.package else f"{stem}.py"
    module = f"{p.package}.{stem}" if p.package else stem
    values = ctx.rng.sample(range(2, 99), 4)
    return Cli(path, module, list(zip(p.nouns[:4], values, strict=True)), flags)


def flag_value(cli: Cli, flag: str) -> int:
    """A value for `flag` that changes the output (limit: fewer rows, min: drops some rows)."""
    if flag == "limit":
        return 2
    if flag == "min":
        return sorted(v for _, v in cli.rows)[1]
    return 0


def _cli_flag(ctx: Ctx) -> Draft:
    p = make_project(ctx.rng, ctx.namer, funcs=2, package=True)
    new = ctx.pick("min", "sort", "reverse", "limit", "total")
    others = [f for f in FLAGS if f != new]
    cli = make_cli(ctx, p, ctx.rng.sample(others, ctx.rng.randint(1, 2)))
    p.extra["README.md"] = f"# {p.package}\n\nRun `python -m {cli.module}` to print the report.\n"
    files = p.files()
    files[cli.path] = cli.source()
    flag = FLAGS[new]
    value = flag_value(cli, new)
    calls = [] if ctx.mention else [call("filesystem.grep", pattern="add_argument")]
    calls += [
        call("filesystem.read_file", path=cli.path),
        call(
            "filesystem.edit_file",
            path=cli.path,
            old_string="    return parser",
            new_string=f"    {flag.argument}\n    return parser",
        ),
    ]
    old = "    return lines" if new == "total" else cli.lines_line()
    calls.append(
        call("filesystem.edit_file", path=cli.path, old_string=old, new_string=f"{flag.code}\n{old}")
    )
    argv = cli.argv(new, value)
    if ctx.difficulty != "easy":
        calls.append(call("bash.execute", command=f"python -m {cli.module} {' '.join(argv)}"))
    usage = f"Run `python -m {cli.module}` to print the report."
    shown = f"--{new}" + (f" {flag.takes}" if flag.takes else "")
    if ctx.difficulty == "hard":
        calls += [
            call("filesystem.read_file", path="README.md"),
            call(
                "filesystem.edit_file",
                path="README.md",
                old_string=usage,
                new_string=f"{usage}\n\n`{shown}` {flag.effect}.",
            ),
        ]
    check = (
        f"from {cli.module} import build_parser, render\n"
        f"assert render(build_parser().parse_args({argv!r})) == {cli.output(new, value)!r}\n"
        f"assert render(build_parser().parse_args([])) == {cli.output()!r}\n"
    )
    checker = [{"command_succeeds": ["python", "-c", check]}, contains(cli.path, f'"--{new}"')]
    if ctx.difficulty == "hard":
        checker.append(contains("README.md", f"--{new}"))
    also = " and document it in README.md" if ctx.difficulty == "hard" else ""
    where = f" to {cli.path}" if ctx.mention else f" to the `python -m {cli.module}` command"
    cmd = cli.path if ctx.mention else f"`python -m {cli.module}`"
    parser_at = f" in {cli.path}" if ctx.mention else ""
    forms = Forms(
        [
            f"Add a `{shown}` option{where} that {flag.effect}{also}",
            f"Implement a `--{new}` flag{where}: it {flag.effect}{also}",
            f"Give {cmd} a `{shown}` option which {flag.effect}{also}",
            f"Create a new command-line flag `--{new}`{where} that {flag.effect}{also}",
            f"Make {cmd} accept `{shown}`, which {flag.effect}{also}",
            f"Extend the argument parser{parser_at} with `{shown}`: it {flag.effect}{also}",
        ],
        [
            f"Can you add a `--{new}` flag{where}{also}? It {flag.effect}.",
            f"Could you make {cmd} support `{shown}`{also}? With it, the command {flag.effect}.",
        ],
        [f"add --{new}{where}: {flag.effect}{also}", f"cli: new flag {shown} ({flag.effect}){also}"],
        p.package,
    )
    answer = (
        f"Added `{shown}` to {cli.path}: it {flag.effect}; `python -m {cli.module} {' '.join(argv)}` works."
    )
    path = "with_path" if ctx.mention else "no_path"
    return Draft(forms, files, calls, answer, checker, "feature", path=path)


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
