"""Builders for the code tier's creation features beyond a plain function: a decorator or a class (in an
existing module or a new file) and a command-line option of the generated report command
(`build_code_cli.py`).

`feature` in `build_code.py` draws the shape and hands over here; each shape is asked for in many verbs
(write, implement, create, add, build, define, make, ...). The gold writes or edits the file (read before
edit, unique old strings) and the checker imports the new piece and runs it (a decorator on a sample
function, a class's methods, the command's `render` with and without the new option).
Non-goals: plain-function features, fixes, renames and tests (`build_code.py`), config and project files
(`build_config.py`), the edge cases shared by all tiers (`edges.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

from entropi.synth.build_code_cli import FLAGS, flag_value, make_cli
from entropi.synth.draft import Ctx, Draft, call, contains
from entropi.synth.phrasing import Forms
from entropi.synth.repos import make_project


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


def add_decorator(ctx: Ctx) -> Draft:
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


def add_class(ctx: Ctx) -> Draft:
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


def add_cli_flag(ctx: Ctx) -> Draft:
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
