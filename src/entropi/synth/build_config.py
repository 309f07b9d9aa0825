"""Builders for the code tier's repo-state tasks: edit a config file, commit some or all changes.

Same rules as `build_code.py` (read before edit, unique old strings); configs are TOML, INI or JSON,
checked by loading them with the standard library; commits by their message and the files they hold.
Non-goals: code changes (`build_code.py`), the edge cases shared by all tiers (`edges.py`).
"""

from __future__ import annotations

from entropi.synth.draft import Ctx, Draft, call, contains, lacks
from entropi.synth.names import SPACED_PATHS
from entropi.synth.phrasing import Forms
from entropi.synth.repos import config_file, config_line, config_loader, make_project

SECTIONS = ("server", "cache", "worker", "limits", "http", "queue", "sync", "storage")
KEYS = ("timeout", "retries", "port", "max_items", "workers", "interval_s", "batch_size", "max_connections")


def config_edit(ctx: Ctx) -> Draft:
    stem, fmt = ctx.namer.config()
    domain, _ = ctx.namer.domain()
    folder = ctx.namer.odd_dir() if ctx.edge == "odd_path" else ctx.pick("", "config", "conf", "etc")
    if ctx.edge == "odd_path":
        stem = stem.replace("_", " " if SPACED_PATHS else "-")
    path = f"{folder}/{stem}.{fmt}" if folder else f"{stem}.{fmt}"
    section, keys = ctx.pick(*SECTIONS), ctx.rng.sample(KEYS, 3)
    values = {k: ctx.rng.randint(2, 90) for k in keys}
    values["name"] = domain
    key = keys[0]
    old, new = values[key], values[key] + ctx.rng.randint(1, 40)
    files = {
        path: config_file(fmt, section, values),
        "README.md": f"# {domain} service\n\nConfig: `{path}`.\n",
    }
    calls = [] if ctx.mention else [call("filesystem.glob", pattern=f"**/*.{fmt}")]
    old_line, new_line = config_line(fmt, key, old), config_line(fmt, key, new)
    calls += [
        call("filesystem.read_file", path=path),
        call("filesystem.edit_file", path=path, old_string=old_line, new_string=new_line),
    ]
    value = config_loader(fmt, path, section, key)
    if ctx.difficulty != "easy":
        calls.append(call("bash.execute", command=f'python -c "print({value})"'))
    after = "," if fmt == "json" else "\n"  # the old line's end: a new value may start with the old digits
    checker = [
        lacks(path, old_line + after),
        {"command_succeeds": ["python", "-c", f"assert {value} == {new}"]},
    ]
    mod = f"{domain}_defaults.py"
    if ctx.difficulty == "hard":
        const = f"DEFAULT_{key.upper()} = {old}"
        files[mod] = f'"""Defaults used when {path} lacks a setting."""\n\n{const}\n'
        calls += [
            call("filesystem.grep", pattern=f"DEFAULT_{key.upper()}"),
            call("filesystem.read_file", path=mod),
            call(
                "filesystem.edit_file",
                path=mod,
                old_string=const,
                new_string=f"DEFAULT_{key.upper()} = {new}",
            ),
        ]
        checker.append(contains(mod, f"DEFAULT_{key.upper()} = {new}"))
    where = f" in {path}" if ctx.mention else f" in the {fmt.upper()} config"
    also = " and keep the default in the code in sync" if ctx.difficulty == "hard" else ""
    forms = Forms(
        [f"Set {key} to {new}{where}{also}", f"Change the {section} {key} from {old} to {new}{where}{also}"],
        [f"Can you bump {key} in the [{section}] section to {new}{where}{also}?"],
        [f"{key}={new}{where}", f"{section}.{key} -> {new}"],
        f"the {domain} service",
        [f"{key} {new}"],
    )
    answer = f"Set {key} in the [{section}] section of {path} from {old} to {new}." + (
        f" {mod} now has the same default." if ctx.difficulty == "hard" else ""
    )
    return Draft(forms, files, calls, answer, checker, "edit", edge_note=_note(ctx))


COMMIT_VERBS = ("Clarify", "Document", "Reword", "Explain", "Tidy")


def commit(ctx: Ctx) -> Draft:
    p = make_project(ctx.rng, ctx.namer, funcs=2)
    m, f = p.modules[0], p.modules[0].funcs[0]
    files = p.files()
    doc = f'    """{f.doc}"""'
    new_doc = f'    """{f.doc} Used by the {p.domain} reports."""'
    readme_text = files["README.md"] + "\nWork in progress: more helpers soon.\n"
    setup = [
        {"write": {"path": m.path, "content": files[m.path].replace(doc, new_doc, 1)}},
        {"write": {"path": "README.md", "content": readme_text}},
    ]
    message = f"{ctx.pick(*COMMIT_VERBS)} the {f.name} docstring"
    partial = ctx.difficulty != "easy"
    calls = [call("git.status")] if partial else []
    if ctx.difficulty == "hard":
        calls += [call("git.diff", path=m.path), call("git.diff", path="README.md")]
    calls += [
        call("git.add", paths=[m.path] if partial else [m.path, "README.md"]),
        call("git.commit", message=message),
    ]
    checker: list[dict] = [{"git_last_commit_matches": f"^{message}"}]
    committed = [m.path] if partial else sorted([m.path, "README.md"])
    checker.append({"command_succeeds": ["python", "-c", _COMMITTED.format(paths=committed)]})
    where = m.path if ctx.mention else f"the `{f.name}` docstring change"
    if partial:
        forms = Forms(
            [
                f'Commit only {where} with the message "{message}" and leave README.md uncommitted',
                f'Make a commit of just {where}, message "{message}"; keep my README edit out of it',
            ],
            [f'Can you commit only {where} as "{message}"? The README change should stay uncommitted.'],
            [f'commit {where} only: "{message}"'],
            p.package or m.stem,
        )
        answer = f'Committed only {m.path} as "{message}"; README.md is still modified and uncommitted.'
    else:
        forms = Forms(
            [
                f'Commit all my changes with the message "{message}"',
                f'Stage everything and commit it as "{message}"',
            ],
            [f'Could you commit everything I changed with the message "{message}"?'],
            [f'commit all: "{message}"'],
            p.package or m.stem,
        )
        answer = f'Committed {m.path} and README.md as "{message}".'
    path = "with_path" if partial and ctx.mention else "no_path"
    return Draft(forms, files, calls, answer, checker, "commit", setup=setup, path=path)


_COMMITTED = (
    "import subprocess\n"
    "out = subprocess.run(['git', 'show', '--name-only', '--format=', 'HEAD'],"
    " capture_output=True, text=True,"
    " check=True).stdout.split()\n"
    "assert sorted(out) == {paths!r}, out\n"
)


def _note(ctx: Ctx) -> str | None:
    return {"odd_path": "the path has spaces, unicode or dashes", "short_input": "a very short request"}.get(
        ctx.edge
    )
