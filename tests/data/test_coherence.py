"""The think→action coherence extractor on hand-written reasoning: intents, arguments and verdicts."""

from __future__ import annotations

import pytest

from entropi.data.coherence import Intent, coherence, extract_intent, judge

R, W, E, L, G, GL = (
    "filesystem.read_file",
    "filesystem.write_file",
    "filesystem.edit_file",
    "filesystem.list_directory",
    "filesystem.grep",
    "filesystem.glob",
)
B, T, H = "bash.execute", "entropi.todo_write", "entropi.handoff"

# (reasoning, expected kind, expected tool, expected key arguments)
INTENTS = [
    # tool named outright, full and short
    ("I'll call filesystem.read_file on app.py.", "tool", R, {"path": "app.py"}),
    ("Let me use read_file to open `src/util.py`.", "tool", R, {"path": "src/util.py"}),
    ("I'll call entropi.todo_write to lay out the steps.", "tool", T, {}),
    (
        "Using bash.execute I will run `python -m unittest -q`.",
        "tool",
        B,
        {"command": "python -m unittest -q"},
    ),
    ("The grep tool is not needed. I'll use list_directory.", "tool", L, {}),
    # aliases and described actions
    ("I'll read the file app.py first.", "tool", R, {"path": "app.py"}),
    ("Let me look at `config/settings.yaml`.", "tool", R, {"path": "config/settings.yaml"}),
    ("Let me check stats.py to see the median function.", "tool", R, {"path": "stats.py"}),
    ("I should grep for `calc_tax` across the project.", "tool", G, {"pattern": "calc_tax"}),
    ("Let me search the code for 'parse_price'.", "tool", G, {"pattern": "parse_price"}),
    ("I need to find where slugify is defined.", "tool", G, {}),
    ("Let me make a todo list before editing anything.", "tool", T, {}),
    ("I'll plan the export feature step by step.", "tool", T, {}),
    ("Next I'll run the tests.", "tool", B, {}),
    ("Let me run pytest -q to see what fails.", "tool", B, {"command": "pytest -q"}),
    ("I'll execute `ls -la` in the shell.", "tool", B, {"command": "ls -la"}),
    ("This needs a file edit, so I'll hand off to the code tier.", "tool", H, {"tier": "code"}),
    ("I cannot edit files here; I should hand this over to the code tier.", "tool", H, {"tier": "code"}),
    ("Let me list the files in the src directory.", "tool", L, {"path": "src"}),
    ("First I'll look at the project structure.", "tool", L, {}),
    ("I'll find all test files matching `test_*.py`.", "tool", GL, {"pattern": "test_*.py"}),
    ("Let me check git status to see what changed.", "tool", "git.status", {}),
    ("I'll look at the diff of the uncommitted work.", "tool", "git.diff", {}),
    ("Let me check the recent commits.", "tool", "git.log", {}),
    ("I'll look at the commit history of cart.py.", "tool", "git.log", {}),
    ("Now I'll stage the changed files.", "tool", "git.add", {}),
    ("Now I'll commit the change with a clear message.", "tool", "git.commit", {}),
    ("I'll write a new file docs/usage.md with the instructions.", "tool", W, {"path": "docs/usage.md"}),
    ("Let me create `validators.py` with the two functions.", "tool", W, {"path": "validators.py"}),
    ("I'll edit stats.py to average the two middle values.", "tool", E, {"path": "stats.py"}),
    ("Now I'll fix the bug in `cart.py` by replacing the loop.", "tool", E, {"path": "cart.py"}),
    ("Rename calc_tax to compute_tax in tax.py.", "tool", E, {"path": "tax.py"}),
    # choosing the sentence: current step beats later steps and task restatements
    ("The user wants me to fix the bug. I'll read app.py first.", "tool", R, {"path": "app.py"}),
    ("I'll fix the bug in app.py. First, I need to read it.", "tool", R, {}),
    ("I have read the file. Now I'll edit line 3 of app.py.", "tool", E, {"path": "app.py"}),
    ("After reading the file, I'll edit it.", "tool", E, {}),
    ("Before editing, I'll read `hello.py`.", "tool", R, {"path": "hello.py"}),
    ("To find the bug, I'll run the tests. Then I'll read the failing module.", "tool", B, {}),
    ("I'll read app.py and then edit utils.py.", "tool", R, {"path": "app.py"}),
    # negation
    ("Instead of reading every file, I'll grep for `TODO`.", "tool", G, {"pattern": "TODO"}),
    ("I don't need to run the tests; I'll read the README.md.", "tool", R, {"path": "README.md"}),
    # no tool needed
    ("This is general knowledge; no tool is needed.", "none", None, {}),
    ("I can answer directly: JSON is JavaScript Object Notation.", "none", None, {}),
    ("I know the answer from memory, no need to use any tools.", "none", None, {}),
    ("I now have enough information to answer.", "none", None, {}),
    # no intent
    ("The function returns the wrong value for even lists.", "unknown", None, {}),
    ("", "unknown", None, {}),
    ("Hmm. Interesting question about tuples.", "unknown", None, {}),
    ("Let me think about this carefully.", "unknown", None, {}),
    ("I read the file and it looked fine.", "unknown", None, {}),
]


@pytest.mark.parametrize(("reasoning", "kind", "tool", "args"), INTENTS, ids=[c[0][:50] for c in INTENTS])
def test_stated_intent(reasoning, kind, tool, args):
    intent = extract_intent(reasoning)
    assert (intent.kind, intent.tool) == (kind, tool), intent
    for key, value in args.items():
        assert intent.arguments.get(key) == value, intent.arguments
    if kind == "tool" and not args:
        assert "path" not in intent.arguments or tool in (R, E, W), intent.arguments


def test_there_are_at_least_forty_hand_written_cases():
    assert len(INTENTS) + len(VERDICTS) >= 40


# (reasoning, first call or None, verdict)
VERDICTS = [
    ("I'll call entropi.todo_write to plan.", (B, {"command": "ls"}), "incoherent"),
    ("I'll call entropi.todo_write to plan.", (T, {"action": "add", "items": []}), "coherent"),
    ("I'll read `app.py`.", (R, {"path": "app.py"}), "coherent"),
    ("I'll read `app.py`.", (R, {"path": "./app.py"}), "coherent"),
    ("I'll read `app.py`.", (R, {"path": "src/app.py"}), "coherent"),
    ("I'll read `app.py`.", (R, {"path": "utils.py"}), "incoherent"),
    ("I'll read `app.py`.", (B, {"command": "cat app.py"}), "incoherent"),
    ("I'll read `app.py`.", None, "incoherent"),
    ("Let me run `python -m unittest -q`.", (B, {"command": "python -m unittest -q"}), "coherent"),
    ("Let me run pytest.", (B, {"command": "python -m pytest -q"}), "coherent"),
    ("Let me run `pytest`.", (B, {"command": "ls"}), "incoherent"),
    ("Next I'll run the tests.", (B, {"command": "make test"}), "coherent"),
    ("Let me check git status.", ("git.status", {}), "coherent"),
    ("Let me run `git status`.", ("git.status", {}), "coherent"),
    ("Let me check git status.", (B, {"command": "git status --short"}), "coherent"),
    ("Let me check git status.", ("git.diff", {}), "incoherent"),
    ("I'll hand off to the code tier.", (H, {"tier": "code", "reason": "edit"}), "coherent"),
    ("I'll hand off to the code tier.", (H, {"tier": "thinking", "reason": "x"}), "incoherent"),
    ("I'll grep for `def median`.", (G, {"pattern": "median"}), "coherent"),
    ("I'll grep for `median`.", (G, {"pattern": "mean"}), "incoherent"),
    ("List the files in the `src` directory.", (L, {"path": "src"}), "coherent"),
    ("List the files in the `src` directory.", (L, {}), "incoherent"),
    ("No tool is needed here.", None, "coherent"),
    ("No tool is needed here.", (R, {"path": "a.py"}), "incoherent"),
    ("Some thoughts without a plan.", None, "unclear"),
    ("Some thoughts without a plan.", (R, {"path": "a.py"}), "unclear"),
    ("I'll read app.py.", ("filesystem.read_fil", {"path": "app.py"}), "incoherent"),
]


@pytest.mark.parametrize(("reasoning", "call", "label"), VERDICTS, ids=[str(i) for i in range(len(VERDICTS))])
def test_verdict(reasoning, call, label):
    verdict = coherence(reasoning, call)
    assert verdict.label == label, verdict
    assert verdict.reason


def test_only_the_listed_tools_are_recognised_by_name():
    assert extract_intent("I'll use mytool.fetch_page now.", tools=["mytool.fetch_page"]).tool == (
        "mytool.fetch_page"
    )
    assert extract_intent("I'll use fetch_page now.", tools=["mytool.fetch_page"]).tool == "mytool.fetch_page"
    assert extract_intent("I'll use fetch_page now.", tools=[R]).kind == "unknown"


def test_judge_reports_the_mismatching_argument():
    verdict = judge(Intent("tool", R, {"path": "a.py"}), (R, {"path": "b.py"}))
    assert verdict.label == "incoherent" and "'a.py'" in verdict.reason and "'b.py'" in verdict.reason


def test_evidence_is_the_sentence_the_intent_came_from():
    intent = extract_intent("The tests fail. I'll read stats.py. Then I'll fix it.")
    assert intent.evidence == "I'll read stats.py."


@pytest.mark.parametrize(
    ("reasoning", "path"),
    [
        ("The user jane.doe@example.com asked; I'll read `.env`.", ".env"),
        ("I'll read .gitignore next.", ".gitignore"),
        ("I'll read ./src/app.py now.", "./src/app.py"),
        ("Version 3.14 is fine; I'll read `setup.cfg`.", "setup.cfg"),
        # a quoted path with spaces is read whole, not from its last space on
        ("I'll read `my scripts/run.toml` first.", "my scripts/run.toml"),
        ("Let me list the files in `tools (old)/`.", "tools (old)/"),
        ('I\'ll read "data tools/notes.md".', "data tools/notes.md"),
        ("I'll read `release notes.txt`.", "release notes.txt"),
    ],
)
def test_paths_are_not_confused_with_emails_or_numbers(reasoning, path):
    assert extract_intent(reasoning).arguments.get("path") == path


def test_the_literal_prefilter_never_changes_which_action_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    """A rule is tried only where a literal every match of it starts with is: only a speed-up.
    Every sentence of the cases above, and sentences mixing their words with case changes and the four
    non-ASCII letters re.IGNORECASE matches to ASCII ones, give the same action with and without it."""
    import random

    from entropi.config.schema import known_tools
    from entropi.data import coherence as co

    names = tuple(sorted(known_tools()))
    sentences = [s for r, *_ in [*INTENTS, *VERDICTS] for s in co._sentences(r)]
    sentences += [
        "I won't read a.py; instead I'll read b.py and read c.py",
        "Not reading, not grepping: grep for `x` then read it",
        "READ_FILE is not needed, use filesystem.read_file on `a.py`",
        "don't run the tests, run `make lint`, then run the tests",
        "I don't want to look at the file contents of a.py",  # a later start inside a refused match
    ]
    words = [w for s in sentences for w in s.split()]
    rng = random.Random(5)
    for _ in range(3000):
        picked = [rng.choice(words) for _ in range(rng.randint(1, 9))]
        text = " ".join(w.upper() if rng.random() < 0.2 else w for w in picked)
        for odd, plain in (("\u0130", "i"), ("\u0131", "i"), ("\u017f", "s"), ("\u212a", "k"), ("’", "'")):
            if rng.random() < 0.15:
                text = text.replace(plain, odd, 1)
        sentences.append(text)
    fast = [co._action_in(s, names) for s in sentences]
    monkeypatch.setattr(co, "_matches", lambda rule, sentence, folded: rule[0].finditer(sentence))
    assert [co._action_in(s, names) for s in sentences] == fast
    assert any(fast) and sum(f is None for f in fast) > 10  # both outcomes are exercised


def test_a_quoted_path_with_spaces_keeps_a_gold_step_coherent():
    reasoning = "I'll read `legacy code/app settings.toml` to see the timeout."
    assert coherence(reasoning, (R, {"path": "legacy code/app settings.toml"})).label == "coherent"
    assert coherence(reasoning, (R, {"path": "code/app settings.toml"})).label == "incoherent"


def test_a_quoted_command_is_not_taken_for_a_path():
    assert extract_intent(
        "I'll read the output of `pytest tests/test_app.py` later; first `app.py`."
    ).arguments.get("path") in (None, "app.py")
