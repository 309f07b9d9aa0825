"""Tool-call permissions: allow / ask / deny rules, the bash denylist, "always" rules, approval shapes.

A rule is `tool-glob` (fnmatch on the tool name, e.g. `filesystem.*`) or `tool-glob:subject-glob` (fnmatch on
what the tool acts on: a path, a shell command, space-joined paths). Order: plan mode refuses every tool that
changes anything → deny rules → the bash denylist → allow rules → ask rules → ask. A shell command is judged
per segment (split on `&&`, `||`, `;`, `|`, `&`, newlines, `$(`, backticks and parentheses): a deny rule or
denylist glob matching the whole command, any segment or any quoted part (`sh -c 'sudo id'`) refuses it, and
a `bash.execute:<glob>` allow rule allows a compound command only when every segment is allowed, so `ls *`
never lets `ls && rm x` through.
Non-goals: sandboxing (the denylist is a net, not a wall: quoting and shell tricks can slip past it), asking
the user (an `Approver` does), running tools. `remember()` rewrites `.entropi/config.local.yaml` with PyYAML:
keys and values survive, comments in that file do not.
"""

from __future__ import annotations

import difflib
import glob
import os
import re
import tempfile
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Literal, Protocol

import yaml

from entropi.config.schema import PermissionsConfig

BASH_TOOL = "bash.execute"
LOCAL_CONFIG = Path(".entropi") / "config.local.yaml"
PREVIEW_MAX_CHARS = 20_000
_SEGMENT_SPLIT = re.compile(r"&&|\|\||;|\||&|\n|\$\(|`|\(|\)")
_QUOTED_SPLIT = re.compile(_SEGMENT_SPLIT.pattern + r"|'|\"")

Decision = Literal["allow", "ask", "deny"]


class PermissionsError(Exception):
    """An "always" rule could not be stored (the local config file is unreadable or malformed)."""


class CheckedTool(Protocol):
    """What permissions need of a tool (the agent's `Tool` satisfies it)."""

    name: str
    mutates: bool

    def subject(self, args: dict[str, Any]) -> str: ...


@dataclass(frozen=True)
class PermissionCheck:
    """The verdict on one call: `rule` is the pattern that decided it (None when nothing matched)."""

    decision: Decision
    rule: str | None
    reason: str


@dataclass
class ApprovalRequest:
    """What the user is asked about; `preview` is a unified diff for file writes, the command for bash."""

    tool: str
    args: dict[str, Any]
    subject: str
    reason: str
    preview: str | None


@dataclass
class ApprovalDecision:
    """The user's answer; `feedback` (with deny_feedback) goes back to the model."""

    decision: Literal["allow_once", "allow_always", "deny", "deny_feedback"]
    feedback: str | None = None


class Approver(Protocol):
    """Asks someone (a UI, a flag) about one call."""

    def __call__(self, request: ApprovalRequest) -> ApprovalDecision: ...


@dataclass(frozen=True)
class HeadlessApprover:
    """Approval without a person: `--yes` allows each call once, otherwise every call is refused."""

    yes: bool

    def __call__(self, request: ApprovalRequest) -> ApprovalDecision:
        if self.yes:
            return ApprovalDecision("allow_once")
        pattern = always_pattern(request.tool, request.subject)
        return ApprovalDecision(
            "deny",
            feedback=f"approval needed: rerun with --yes or add an allow rule for {pattern} "
            f"in .entropi/config.yaml",
        )


def always_pattern(tool_name: str, subject: str) -> str:
    """The allow rule an "always" answer stores: bash by first word, file tools by path, others by name."""
    if tool_name == BASH_TOOL:
        words = subject.split()
        # An empty command must not turn into the bare rule, which would allow every command.
        return f"{BASH_TOOL}:{glob.escape(words[0])} *" if words else f"{BASH_TOOL}:"
    if tool_name.startswith("filesystem.") and subject:
        return f"{tool_name}:{glob.escape(subject)}"
    return tool_name


def command_segments(command: str, *, split_quotes: bool = False) -> list[str]:
    """The simple commands inside a shell command line, whitespace-normalized, empty ones dropped.

    With `split_quotes`, quote characters split too, which exposes commands hidden in `sh -c '…'`.
    """
    splitter = _QUOTED_SPLIT if split_quotes else _SEGMENT_SPLIT
    parts = (" ".join(part.split()) for part in splitter.split(command))
    return [part for part in parts if part]


class PermissionPolicy:
    """Decides allow / ask / deny for tool calls and stores "always" answers for the project."""

    def __init__(self, config: PermissionsConfig, *, project_root: Path) -> None:
        self.project_root = project_root
        self.plan_mode = config.plan_mode
        self.allow = list(config.allow)
        self.ask = list(config.ask)
        self.deny = list(config.deny)
        self.bash_denylist = list(config.bash_denylist)

    def check(self, tool: CheckedTool, args: dict[str, Any]) -> PermissionCheck:
        """The decision for calling `tool` with `args`; the first matching step of the order wins."""
        subject = tool.subject(args)
        is_bash = tool.name == BASH_TOOL
        # For deny and ask, one matching piece is enough; the whole string is always one of the pieces.
        pieces = [subject]
        if is_bash:
            pieces += command_segments(subject) + command_segments(subject, split_quotes=True)
        if self.plan_mode and tool.mutates:
            return PermissionCheck("deny", "plan_mode", f"plan mode is on: {tool.name} changes things")
        if rule := self._first(self.deny, tool.name, pieces):
            return PermissionCheck("deny", rule, f"denied by rule {rule}")
        if is_bash:
            for glob_ in self.bash_denylist:
                if any(fnmatchcase(piece, glob_) for piece in pieces):
                    return PermissionCheck(
                        "deny", glob_, f"command matches the bash denylist entry {glob_!r}"
                    )
        if rule := self._allowed(tool.name, subject, is_bash):
            return PermissionCheck("allow", rule, f"allowed by rule {rule}")
        if rule := self._first(self.ask, tool.name, pieces):
            return PermissionCheck("ask", rule, f"rule {rule} asks first")
        return PermissionCheck("ask", None, f"no rule covers {tool.name}; asking")

    def remember(self, tool: CheckedTool, args: dict[str, Any]) -> str:
        """Store an allow rule for calls like this one in memory and in config.local.yaml; return it.

        The loader replaces lists layer by layer, so when the local file has no `permissions.allow` yet it
        is seeded with the whole allow list in force, else the rules from other layers would stop applying.
        Raises PermissionsError (and changes nothing) when the local file cannot be read or parsed.
        """
        pattern = always_pattern(tool.name, tool.subject(args))
        path = self.project_root / LOCAL_CONFIG
        data = _read_local_config(path)
        section = data.setdefault("permissions", {})
        if section is None:
            section = data["permissions"] = {}
        if not isinstance(section, dict):
            raise PermissionsError(f"{path}: permissions must be a mapping, got {type(section).__name__}")
        allow = section.get("allow")
        if allow is None:
            allow = list(self.allow)
        elif not isinstance(allow, list) or not all(isinstance(item, str) for item in allow):
            raise PermissionsError(f"{path}: permissions.allow must be a list of strings")
        if pattern not in allow:
            allow.append(pattern)
        section["allow"] = allow
        _atomic_write(path, yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
        if pattern not in self.allow:
            self.allow.append(pattern)
        return pattern

    def approval_request(
        self, tool: CheckedTool, args: dict[str, Any], check: PermissionCheck
    ) -> ApprovalRequest:
        """The question to put to an Approver for a call that `check` said to ask about."""
        subject = tool.subject(args)
        return ApprovalRequest(tool.name, args, subject, check.reason, self._preview(tool.name, args))

    def _first(self, rules: list[str], name: str, pieces: list[str]) -> str | None:
        for rule in rules:
            name_glob, has_subject, subject_glob = rule.partition(":")
            if fnmatchcase(name, name_glob) and (
                not has_subject or any(fnmatchcase(piece, subject_glob) for piece in pieces)
            ):
                return rule
        return None

    def _allowed(self, name: str, subject: str, is_bash: bool) -> str | None:
        if not is_bash or len(segments := command_segments(subject)) <= 1:
            return self._first(self.allow, name, [subject])
        # A compound command: allowed only when every segment is (a bare tool rule allows them all).
        rules = [self._first(self.allow, name, [segment]) for segment in segments]
        return None if None in rules else rules[0]

    def _preview(self, name: str, args: dict[str, Any]) -> str | None:
        if name == BASH_TOOL:
            return str(args.get("command", ""))
        if name not in ("filesystem.write_file", "filesystem.edit_file"):
            return None
        rel = str(args.get("path", ""))
        try:
            root = self.project_root.resolve()
            target = (root / rel).resolve()
            if not rel or os.path.isabs(rel) or not target.is_relative_to(root):
                return f"(no preview: {rel!r} is outside the project)"
            old = target.read_text(encoding="utf-8") if target.exists() else ""
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            return f"(no preview: cannot read {rel}: {exc})"
        if name == "filesystem.write_file":
            new = str(args.get("content", ""))
        else:
            old_string, new_string = str(args.get("old_string", "")), str(args.get("new_string", ""))
            if not old_string or old.count(old_string) != 1:
                return f"(no preview: the text to replace does not occur exactly once in {rel})"
            new = old.replace(old_string, new_string, 1)
        diff = "".join(
            difflib.unified_diff(
                old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{rel}", f"b/{rel}"
            )
        )
        if len(diff) > PREVIEW_MAX_CHARS:
            diff = diff[:PREVIEW_MAX_CHARS] + f"\n[… {len(diff) - PREVIEW_MAX_CHARS} more characters]"
        return diff or "(no changes)"


def _read_local_config(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise PermissionsError(f"{path}: cannot read the file: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PermissionsError(f"{path}: not valid YAML, left unchanged: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise PermissionsError(f"{path}: the top level must be a mapping, got {type(data).__name__}")
    return data


def _atomic_write(path: Path, text: str) -> None:
    """Replace `path` with `text` at once (temp file in the same folder, fsync, rename), keeping its mode."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise PermissionsError(f"{path}: cannot write the file: {exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise PermissionsError(f"{path}: cannot write the file: {exc}") from None
        raise
