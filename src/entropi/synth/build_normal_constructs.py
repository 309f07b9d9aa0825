"""Builders for the normal tier's questions about constructs other than a plain function: what a command-line
option of the generated report command (`build_code_cli.py`) or a class's method does, where handlers are
registered and where a setting is configured (and its value).

`explain` and `find_definition` in `build_normal.py` draw these shapes and hand over here; each is asked in
many question forms ("where is/are ...", "what does ... return", "how is ... computed", "which module ...").
Read-only, like the rest of the tier: the gold reads, greps or lists, and the checker looks for the generated
repo's facts (the option's effect, the delegated function, the registry file and table, the setting's file
and value) in the final answer.
Non-goals: questions about functions, callers, git history and layout (`build_normal.py`), edits (the code
tier), the edge cases shared by all tiers (`edges.py`).
"""

from __future__ import annotations

from entropi.synth.build_code_cli import FLAGS, make_cli
from entropi.synth.draft import Ctx, Draft, answer_has, basename, call
from entropi.synth.phrasing import Forms
from entropi.synth.repos import config_file, make_project, readme

CLASS_SUFFIXES = ("Report", "Calculator", "Record", "Summary", "Model")
METHODS = ("result", "compute", "evaluate", "calculate", "value")
MODEL_STEMS = ("objects", "entities", "domain", "model", "records_api", "wrappers")
REGISTRY_KINDS = (
    "handlers",
    "commands",
    "plugins",
    "exporters",
    "validators",
    "hooks",
    "actions",
    "converters",
)
REGISTRY_STEMS = ("registry", "dispatch", "wiring", "catalog", "registrations", "plugin_table")
SECTIONS = ("server", "cache", "worker", "limits", "http", "queue", "sync", "storage")
KEYS = ("timeout", "retries", "port", "max_items", "workers", "interval_s", "batch_size", "max_connections")


def explain_flag(ctx: Ctx) -> Draft:
    """What a command-line option of the project's report command does."""
    p = make_project(ctx.rng, ctx.namer, funcs=2, package=True)
    flags = ctx.rng.sample(sorted(FLAGS), ctx.rng.randint(2, 3))
    cli = make_cli(ctx, p, flags)
    name = ctx.pick(*flags)
    flag = FLAGS[name]
    usage = " ".join(f"[--{f}{' ' + FLAGS[f].takes if FLAGS[f].takes else ''}]" for f in flags)
    p.extra["README.md"] = readme(p) + f"\nThe report: `python -m {cli.module} {usage}`.\n"
    files = p.files()
    files[cli.path] = cli.source()
    calls = [] if ctx.mention else [call("filesystem.grep", pattern=f"--{name}")]
    calls.append(call("filesystem.read_file", path=cli.path))
    if ctx.difficulty != "easy":
        calls.append(call("filesystem.read_file", path="README.md"))
    if ctx.difficulty == "hard":
        calls.insert(0, call("filesystem.list_directory", path=p.package))
    answer = (
        f"`--{name}` (in {cli.path}) {flag.effect}. Without it, `python -m {cli.module}` prints every row "
        "of ROWS as `name: value`, in order."
    )
    where = f" in {cli.path}" if ctx.mention else ""
    cmd = f"`python -m {cli.module}`"
    forms = Forms(
        [
            f"Explain what the `--{name}` option{where} does",
            f"Tell me what `--{name}` does to the output of {cmd}",
            f"Describe the `--{name}` flag{where}",
        ],
        [
            f"What does the `--{name}` option{where} do?",
            f"What happens when I pass `--{name}` to {cmd}?",
            f"How is `--{name}` handled{where}?",
            f"What is the `--{name}` flag{where} for?",
            f"What does `--{name}` change in the output of {cmd}?",
        ],
        [f"--{name}{where}?", f"what's --{name} for", f"{cmd} --{name} meaning?"],
        p.package,
        [f"--{name}?"],
    )
    checker = [answer_has(*[list(e) for e in flag.must])]
    path = "with_path" if ctx.mention else "no_path"
    return Draft(forms, files, calls, answer, checker, "read", path=path)


def explain_method(ctx: Ctx) -> Draft:
    """What a method of a small class returns (it delegates to one of the project's functions)."""
    p = make_project(ctx.rng, ctx.namer, funcs=2)
    m, f = p.modules[0], p.modules[0].funcs[0]
    cls = f"{(f.noun or p.nouns[0]).capitalize()}{ctx.pick(*CLASS_SUFFIXES)}"
    method = ctx.pick(*METHODS)
    stem = ctx.namer._fresh(MODEL_STEMS)
    path = f"{p.package}/{stem}.py" if p.package else f"{stem}.py"
    params = [a.strip() for a in f.params.split(",")]
    p.extra[path] = (
        f'"""{p.domain.capitalize()} objects."""\n\nfrom {m.import_name} import {f.name}\n\n\n'
        f'class {cls}:\n    """Holds the inputs of {f.name}."""\n\n    def __init__(self, {f.params}):\n'
        + "".join(f"        self.{a} = {a}\n" for a in params)
        + f"\n    def {method}(self):\n        return {f.name}({', '.join('self.' + a for a in params)})\n"
    )
    files = p.files()
    calls = [] if ctx.mention else [call("filesystem.grep", pattern=f"class {cls}")]
    calls += [call("filesystem.read_file", path=path), call("filesystem.read_file", path=m.path)]
    test = p.test_path(m)
    args, expected = f.cases[0]
    answer = (
        f"`{cls}.{method}()` (in {path}) calls `{f.name}` from {m.path} with the values given to the "
        f"constructor: it {f.spec}."
    )
    if ctx.difficulty != "easy" and test in files:
        calls.append(call("filesystem.read_file", path=test))
        answer += f" For example, `{cls}({args}).{method}()` gives {expected}."
    where = f" in {path}" if ctx.mention else ""
    forms = Forms(
        [
            f"Explain what `{cls}.{method}`{where} returns",
            f"Tell me what `{cls}.{method}()`{where} does",
            f"Walk me through the `{method}` method of `{cls}`{where}",
        ],
        [
            f"What does `{cls}.{method}()`{where} return?",
            f"What does the `{method}` method of `{cls}`{where} do?",
            f"How is the result of `{cls}.{method}` computed{where}?",
            f"What do I get back from `{cls}.{method}()`{where}?",
        ],
        [f"{cls}.{method}() returns?", f"what does {cls}.{method} do{where}"],
        p.package or m.stem,
        [f"{cls}.{method}?"],
    )
    checker = [answer_has(f.name, *[list(e) for e in f.explain])]
    mention = "with_path" if ctx.mention else "no_path"
    return Draft(forms, files, calls, answer, checker, "read", path=mention)


def find_registry(ctx: Ctx) -> Draft:
    """Where the project's handlers (commands, plugins, ...) are registered."""
    p = make_project(ctx.rng, ctx.namer, funcs=2)
    m = p.modules[0]
    kind = ctx.pick(*REGISTRY_KINDS)
    table = kind.upper()
    stem = ctx.namer._fresh(REGISTRY_STEMS)
    path = f"{p.package}/{stem}.py" if p.package else f"{stem}.py"
    keys = [(f.recipe.replace("_", "-"), f.name) for f in m.funcs]
    p.extra[path] = (
        f'"""Which function serves which {kind[:-1]} name."""\n\n'
        f"from {m.import_name} import {', '.join(name for _, name in keys)}\n\n{table} = {{}}\n\n\n"
        f'def register(name, func):\n    """Make func the {kind[:-1]} called name."""\n'
        f"    {table}[name] = func\n\n\n" + "".join(f'register("{key}", {name})\n' for key, name in keys)
    )
    files = p.files()
    calls = [call("filesystem.grep", pattern="register\\(")]
    if ctx.difficulty != "easy":
        calls.append(call("filesystem.read_file", path=path))
    if ctx.difficulty == "hard":
        calls.append(call("filesystem.read_file", path=m.path))
    listed = ", ".join(f'"{key}" → `{name}`' for key, name in keys)
    answer = (
        f"The {kind} are registered in {path}: `register(name, func)` puts each into `{table}` ({listed})."
    )
    within = f" in the {p.package} package" if ctx.mention and p.package else ""
    forms = Forms(
        [
            f"Find where the {kind} are registered{within}",
            f"Show me where new {kind} get registered{within}",
            f"Tell me which module registers the {kind}{within}",
        ],
        [
            f"Where are the {kind} registered{within}?",
            f"Which file registers the {kind}{within}?",
            f"Where is the `{table}` table filled in{within}?",
            f"How are the {kind} registered{within}, and where?",
        ],
        [f"where are {kind} registered{within}", f"{kind} registry{within}?", f"{table} filled where?"],
        p.package or m.stem,
    )
    checker = [answer_has(basename(path), [table, "register"])]
    mention = "with_path" if within else "no_path"
    return Draft(forms, files, calls, answer, checker, "find", path=mention)


def find_setting(ctx: Ctx) -> Draft:
    """Where a setting is configured, and its value."""
    p = make_project(ctx.rng, ctx.namer, funcs=2)
    stem, fmt = ctx.namer.config()
    folder = ctx.pick("", "config", "conf", "etc")
    path = f"{folder}/{stem}.{fmt}" if folder else f"{stem}.{fmt}"
    section, keys = ctx.pick(*SECTIONS), ctx.rng.sample(KEYS, 3)
    values: dict[str, int | str] = {k: ctx.rng.randint(2, 90) for k in keys}
    values["name"] = p.domain
    key = keys[0]
    p.extra[path] = config_file(fmt, section, values)
    p.extra["README.md"] += f"\nSettings live in `{path}`.\n"
    files = p.files()
    calls = [call("filesystem.grep", pattern=key), call("filesystem.read_file", path=path)]
    if ctx.difficulty != "easy":
        calls.insert(0, call("filesystem.read_file", path="README.md"))
    if ctx.difficulty == "hard":
        calls.insert(0, call("filesystem.list_directory"))
    answer = f"`{key}` is configured in {path}, in the [{section}] section; it is set to {values[key]}."
    forms = Forms(
        [
            f"Find where `{key}` is configured",
            f"Show me where the {section} {key} is set",
            f"Tell me which file sets `{key}` and to what",
        ],
        [
            f"Where is `{key}` configured?",
            f"Which file sets the {section} {key}?",
            f"Where do I change the {key} setting?",
            f"What is `{key}` set to, and where?",
        ],
        [f"where is {key} set?", f"{key} config location?", f"{section}.{key} defined where"],
        p.package or p.modules[0].stem,
    )
    checker = [answer_has(basename(path), str(values[key]))]
    return Draft(forms, files, calls, answer, checker, "find", path="no_path")
