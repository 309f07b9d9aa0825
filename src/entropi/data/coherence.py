"""Think→action coherence: the intent a turn's reasoning states, and whether its first tool call matches it.

The stated intent is the *next* action the reasoning announces: a tool named outright
(``filesystem.read_file``, ``read_file``), by alias ("grep for", "make a todo list", "hand off") or by a
described action ("read `app.py`", "run the tests"), with key arguments where the sentence gives them (path,
command, pattern, tier), or an explicit "no tool needed". A turn is *coherent* when its first call matches
the intent (or it states no tool and makes no call), *incoherent* when they differ, *unclear* when no intent
can be found.

How the sentence is chosen: reasoning is split into sentences; a leading subordinate clause ("After reading
it, ...", "To fix the bug, ...") is dropped; sentences that announce an action ("I'll", "let me", "next",
imperatives) are ranked current-step first ("first", "now", "next"), then plain intent, then later steps
("then", "finally") and task restatements ("the user wants me to"). In the first sentence that names an
action, an explicit tool name beats an alias; otherwise the earliest non-negated action wins ("instead of
reading", "no need to run" are skipped).
Non-goals: multi-step plans (only the next action counts), languages other than English, thresholds tuned on
evaluation data (the rules are fixed and tested on hand-written cases).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any, Literal

from entropi.config.schema import TIERS, known_tools
from entropi.data.intent_rules import (
    ALIASES,
    ARG_KEYS,
    COMMAND,
    COMMAND_WORDS,
    CURRENT,
    DIR_WORD,
    GIT_SUBCOMMANDS,
    INTENT,
    LATER,
    LEAD_CLAUSE,
    MARKER,
    NEGATION,
    NO_TOOL,
    PATHLIKE,
    QUOTED,
    SENTENCE,
    SPACED_PATH,
    TASK,
    TIER_WORD,
)

IntentKind = Literal["tool", "none", "unknown"]
Label = Literal["coherent", "incoherent", "unclear"]
_F = re.IGNORECASE


@dataclass(frozen=True)
class Intent:
    """What the reasoning says happens next: a tool (and key arguments), no tool, or unknown."""

    kind: IntentKind
    tool: str | None = None
    arguments: dict[str, str] = field(default_factory=dict)
    evidence: str = ""


@dataclass(frozen=True)
class Coherence:
    """The verdict for one turn, with the intent it was judged against and why."""

    label: Label
    intent: Intent
    reason: str


Rule = tuple[re.Pattern[str], tuple[str, ...] | None]  # a pattern and the literals one of which it needs


@cache
def _rules(names: tuple[str, ...]) -> tuple[Rule, tuple[tuple[str, Rule], ...]]:
    shorts: dict[str, list[str]] = {}
    for name in names:
        shorts.setdefault(name.rsplit(".", 1)[-1], []).append(name)
    spelled = [re.escape(n) for n in names]
    spelled += [re.escape(s) for s, full in shorts.items() if len(full) == 1 and "_" in s]
    explicit = r"(?<![\w.])(?:" + "|".join(sorted(spelled, key=len, reverse=True)) + r")(?![\w])"
    return _rule(explicit), tuple((tool, _rule(rx)) for tool, rx in ALIASES)


def _rule(pattern: str) -> Rule:
    return re.compile(pattern, _F), _leading_literals(pattern)


def _leading_literals(pattern: str) -> tuple[str, ...] | None:
    """Lower-case ASCII strings one of which starts every match of `pattern` (after zero-width assertions),
    read off its parsed form; None when that cannot be told. A match can only start where one of them is in
    the case-folded text (see `_folded`), so the pattern is tried there only (`_matches`): a speed-up."""
    try:
        from re import _constants, _parser  # CPython's own regex parser (private): any surprise → None

        found = _leading(list(_parser.parse(pattern, _F)), _constants)
    except Exception:
        return None
    if not found or not all(s.isascii() for s in found):
        return None
    return tuple(sorted({s.lower() for s in found}))


def _leading(items: list[Any], c: Any) -> set[str] | None:
    for i, (op, av) in enumerate(items):
        if op in (c.AT, c.ASSERT, c.ASSERT_NOT):  # zero-width
            continue
        if op is c.LITERAL:
            run = [chr(av)]
            for op2, av2 in items[i + 1 :]:
                if op2 is not c.LITERAL:
                    break
                run.append(chr(av2))
            return {"".join(run)}
        if op is c.BRANCH:
            out: set[str] = set()
            for alternative in av[1]:
                found = _leading(list(alternative) + items[i + 1 :], c)
                if found is None:
                    return None
                out |= found
            return out
        if op is c.SUBPATTERN:
            return _leading(list(av[-1]) + items[i + 1 :], c)
        if op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[0] >= 1:
            return _leading(list(av[2]), c)
        if op is c.IN and av and all(o is c.LITERAL for o, _ in av):
            return {chr(x) for _, x in av}
        return None
    return None  # the pattern can match the empty string


# The only non-ASCII characters that re.IGNORECASE matches to ASCII letters (tested over all of Unicode);
# U+0130 is also the only one whose lower() is two characters.
_FOLDS = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


def _folded(text: str) -> str:
    """`text` with each character re.IGNORECASE matches to an ASCII letter made that lower-case letter."""
    return text.lower() if text.isascii() else text.translate(_FOLDS).lower()


def _matches(rule: Rule, sentence: str, folded: str) -> Iterator[re.Match[str]]:
    """`finditer` of the rule's pattern over `sentence`, trying it only where one of the literals every match
    starts with is (in `folded`, the same positions): the same matches, without scanning the rest."""
    pattern, literals = rule
    if literals is None:
        return pattern.finditer(sentence)
    present = [literal for literal in literals if literal in folded]
    if not present:
        return iter(())
    return _matches_at(
        pattern, sentence, sorted({at for literal in present for at in _find_all(folded, literal)})
    )


def _matches_at(pattern: re.Pattern[str], sentence: str, starts: list[int]) -> Iterator[re.Match[str]]:
    end = 0
    for start in starts:
        if start >= end and (match := pattern.match(sentence, start)) is not None:
            yield match  # not empty (it starts with a literal): the next one starts at its end or later
            end = match.end()


def _find_all(text: str, literal: str) -> list[int]:
    found, at = [], text.find(literal)
    while at >= 0:
        found.append(at)
        at = text.find(literal, at + 1)
    return found


def _explicit_tool(text: str, names: tuple[str, ...]) -> str:
    lowered = text.lower()
    for name in names:
        if lowered in (name.lower(), name.rsplit(".", 1)[-1].lower()):
            return name
    return text


def _not_negated(sentence: str, start: int) -> bool:
    return NEGATION.search(sentence[:start]) is None


def _first_action(sentence: str, names: tuple[str, ...]) -> tuple[str, int] | None:
    """(tool or NO_TOOL, match start) of the action a sentence names first, or None.

    Actions after the sentence's first intent marker come first ("This needs an edit, so I'll hand off")."""
    marker = INTENT.search(sentence)
    if marker is not None and marker.start() > 0:
        found = _action_in(sentence[marker.start() :], names)
        if found is not None:
            return found[0], found[1] + marker.start()
    return _action_in(sentence, names)


def _action_in(sentence: str, names: tuple[str, ...]) -> tuple[str, int] | None:
    explicit, aliases = _rules(names)
    folded = _folded(sentence)
    for match in _matches(explicit, sentence, folded):
        if _not_negated(sentence, match.start()):
            return _explicit_tool(match.group(0), names), match.start()
    found: list[tuple[int, int, str]] = []
    for tool, rule in aliases:
        for match in _matches(rule, sentence, folded):
            if _not_negated(sentence, match.start()):
                found.append((match.start(), -(match.end() - match.start()), tool))
                break
    if not found:
        return None
    start, _, tool = min(found)
    return tool, start


def _sentences(reasoning: str) -> list[str]:
    out = []
    for raw in SENTENCE.split(reasoning):
        text = LEAD_CLAUSE.sub("", raw.strip(" \t-*>#")).strip()
        if text:
            out.append(text)
    return out


def _rank(sentence: str, action: tuple[str, int]) -> int | None:
    """0: current step, 1: intent, 2: later step or task restatement; None: not an announcement."""
    bare = MARKER.sub("", sentence)
    imperative = action[1] <= len(sentence) - len(bare) + 1
    stated = INTENT.search(sentence) or imperative or TASK.search(sentence) or action[0] == NO_TOOL
    if not stated:
        return None
    if LATER.search(sentence) or TASK.search(sentence):
        return 2
    return 0 if CURRENT.search(sentence) else 1


def _quoted(text: str) -> list[str]:
    return [next(g for g in m.groups() if g is not None).strip() for m in QUOTED.finditer(text)]


def _looks_like_path(value: str, names: tuple[str, ...]) -> bool:
    """A quoted value that reads as a path; one with spaces only when it is one whole (not a command)."""
    if not value or value in names:
        return False
    if " " not in value:
        return "/" in value or PATHLIKE.fullmatch(value) is not None
    return (
        value.count(" ") <= 3
        and value.split(" ", 1)[0] not in COMMAND_WORDS
        and SPACED_PATH.fullmatch(value) is not None
    )


def _arguments(tool: str, sentence: str, start: int, names: tuple[str, ...]) -> dict[str, str]:
    """Key arguments the sentence gives for `tool`, looking after the action first."""
    keys = ARG_KEYS.get(tool, ())
    tail, args = sentence[start:], {}
    if "path" in keys:
        for text in (tail, sentence):
            quoted = [q for q in _quoted(text) if _looks_like_path(q, names)]
            bare = [m.group(1) for m in PATHLIKE.finditer(text) if m.group(1) not in names]
            dirs = (
                [m.group(1) for m in DIR_WORD.finditer(text)] if tool == "filesystem.list_directory" else []
            )
            if found := (quoted or bare or dirs):
                args["path"] = found[0]
                break
    if "command" in keys:
        if quoted := _quoted(tail):
            args["command"] = quoted[0]
        elif match := COMMAND.search(sentence):
            args["command"] = match.group(1).strip()
    if "pattern" in keys:
        globs = (
            [m.group(0) for m in re.finditer(r"[\w./-]*\*[\w.*/-]*", tail)] if tool.endswith("glob") else []
        )
        if quoted := (_quoted(tail) or globs):
            args["pattern"] = quoted[0]
    if "tier" in keys and (
        match := TIER_WORD.search(sentence)
        or re.search(r"\bto\s+(?:the\s+)?(" + "|".join(TIERS) + r")\b", tail, _F)
    ):
        args["tier"] = next(g for g in match.groups() if g).lower()
    return args


def compile_rules(tools: Iterable[str]) -> None:
    """Compiles the patterns for these tool names now (otherwise done on first use)."""
    _rules(tuple(sorted(tools)))


def extract_intent(reasoning: str, tools: Iterable[str] | None = None) -> Intent:
    """The next action `reasoning` states; `tools`: the tool names to recognise (default: all known)."""
    return _intent(reasoning or "", tuple(sorted(tools if tools is not None else known_tools())))


@lru_cache(maxsize=1024)  # the same reasoning recurs (fixed phrasings, gold and self-play turns)
def _intent(reasoning: str, names: tuple[str, ...]) -> Intent:
    best: tuple[int, int, str, str, int] | None = None
    for index, sentence in enumerate(_sentences(reasoning)):
        action = _first_action(sentence, names)
        if action is None:
            continue
        rank = _rank(sentence, action)
        if rank is not None and (best is None or (rank, index) < best[:2]):
            best = (rank, index, sentence, action[0], action[1])
    if best is None:
        return Intent("unknown")
    _, _, sentence, tool, start = best
    if tool == NO_TOOL:
        return Intent("none", evidence=sentence)
    return Intent("tool", tool, _arguments(tool, sentence, start, names), sentence)


def _norm_path(value: Any) -> str:
    text = str(value or "").strip().strip("`")
    while text.startswith("./"):
        text = text[2:]
    return "" if text in (".", "./") else text.rstrip("/")


def _norm_text(value: Any) -> str:
    return " ".join(str(value or "").replace("\\", "").split()).lower()


def _contains(a: str, b: str) -> bool:
    """`a` occurs in `b` as whole words (or the reverse)."""
    return any(re.search(r"(?<!\S)" + re.escape(x) + r"(?!\S)", y) for x, y in ((a, b), (b, a)) if x)


def _argument_matches(key: str, said: str, called: Any) -> bool:
    if key == "path":
        a, b = _norm_path(said), _norm_path(called)
        return a == b or b.endswith("/" + a) or a.endswith("/" + b)
    a, b = _norm_text(said), _norm_text(called)
    if key == "tier":
        return a == b
    if key == "pattern":
        return bool(a and b) and (a in b or b in a)
    return a == b or _contains(a, b)


def _same_action(intent: Intent, name: str, arguments: Mapping[str, Any]) -> bool:
    """Tool names equal, or a git tool against the same git subcommand run through bash."""
    if intent.tool == name:
        return True
    pair = {intent.tool, name}
    if "bash.execute" not in pair:
        return False
    git_tool = (pair - {"bash.execute"}).pop()
    command = intent.arguments.get("command") if name.startswith("git.") else arguments.get("command")
    sub = git_tool.removeprefix("git.") if git_tool and git_tool.startswith("git.") else None
    return sub in GIT_SUBCOMMANDS and _norm_text(command).startswith(f"git {sub}")


def judge(intent: Intent, call: tuple[str, Mapping[str, Any]] | None) -> Coherence:
    """Compare the stated intent with the first tool call (`(name, arguments)` or None for no call)."""
    if intent.kind == "unknown":
        return Coherence("unclear", intent, "the reasoning states no next action")
    if intent.kind == "none":
        if call is None:
            return Coherence("coherent", intent, "no tool stated, none called")
        return Coherence("incoherent", intent, f"stated no tool but called {call[0]}")
    if call is None:
        return Coherence("incoherent", intent, f"stated {intent.tool} but made no call")
    name, arguments = call
    if not _same_action(intent, name, arguments):
        return Coherence("incoherent", intent, f"stated {intent.tool} but called {name}")
    if intent.tool == name:
        for key, said in intent.arguments.items():
            if not _argument_matches(key, said, arguments.get(key)):
                return Coherence(
                    "incoherent", intent, f"stated {key} {said!r} but called {key} {arguments.get(key)!r}"
                )
    return Coherence("coherent", intent, f"called {name} as stated")


def coherence(
    reasoning: str, call: tuple[str, Mapping[str, Any]] | None, tools: Iterable[str] | None = None
) -> Coherence:
    """`judge(extract_intent(reasoning, tools), call)`."""
    return judge(extract_intent(reasoning, tools), call)
