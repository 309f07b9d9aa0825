"""The fixed vocabulary of the coherence extractor: described actions per tool, intent and sequence markers,
negation, and the shapes of key arguments. Data only; the logic is in `coherence.py`.

Changing a rule changes every label: add a hand-written case to `tests/data/test_coherence.py` with it.
"""

from __future__ import annotations

import re

from entropi.config.schema import TIERS

NO_TOOL = "<no tool>"
_F = re.IGNORECASE
_W = r"(?:\s+\w+)?"  # one optional word

# (tool, regex): described actions. NO_TOOL marks "answer without a tool".
ALIASES: tuple[tuple[str, str], ...] = (
    ("entropi.todo_write", r"\bto-?do(?:\s+list)?s?\b|\btask\s+list\b|\bchecklist\b|\bmake\s+a\s+plan\b"
     r"|\bplan(?:ning)?\b(?!\s+(?:is|was|to)\b)|\bbreak\s+(?:it|this|the\s+\w+)\s+(?:down|into)\b"
     r"|\btrack\s+(?:the|my|each|our)\s+(?:steps?|progress)\b"),
    ("entropi.handoff", r"\bhand(?:ing)?[\s-]?(?:it\s+|this\s+|the\s+(?:task|request|work)\s+)?(?:off|over)\b"
     r"|\bhandoff\b|\bdelegat(?:e|ing)\b|\b(?:switch|escalate|pass|move|transfer|route)\w*\s+(?:it\s+|this\s+"
     r"|the\s+(?:task|request)\s+)?(?:over\s+)?to\s+(?:the\s+)?(?:thinking|normal|code|simple)\s+tier\b"),
    ("git.status", r"\bgit\s+status\b|\bworking\s+tree\b|\buncommitted\b"
     r"|\bstatus\s+of\s+the\s+(?:repo|repository)|\b(?:what|which)\s+(?:files\s+)?(?:has|have)\s+(?:been\s+)?(?:changed|modified)\b"),
    ("git.diff", r"\bgit\s+diff\b|\bdiffs?\b"),
    ("git.log", r"\bgit\s+log\b|\bcommit\s+(?:history|log)\b|\bhistory\b"
     r"|\b(?:recent|last|latest|previous|past)" + _W + r"\s+commits?\b"),
    ("git.add", r"\bgit\s+add\b|\bstag(?:e|ing)\b"),
    ("git.commit", r"\bgit\s+commit\b|\bcommit(?:ting)?\b(?!\s+(?:history|log)\b)"),
    ("bash.execute", r"\brun(?:ning)?\s+(?:the\s+|all\s+(?:the\s+)?)?(?:unit\s+)?tests?\b|\btest\s+suite\b"
     r"|\bpytest\b|\bunittest\b|\bexecut(?:e|ing)\b|\bshell\b|\bbash\b|\bterminal\b|\brun(?:ning)?\s+`"
     r"|\brun(?:ning)?\s+(?:the\s+)?(?:command|script|program|linter|build|code|benchmark)\b"
     r"|\brun(?:ning)?\s+(?:python3?|pytest|npm|make|cargo|go|pip|uv|node|ls|cat|echo)\b"),
    ("filesystem.glob", r"\bglob\b|\bfind(?:ing)?\s+(?:all\s+)?(?:the\s+)?(?:\w+\s+)?files\b"
     r"|\bfiles?\s+(?:matching|named|ending\s+(?:in|with))\b|\blocat(?:e|ing)\s+(?:the\s+)?(?:\w+\s+)?files?\b"
     r"|\b(?:search|look)(?:ing)?\s+for\s+(?:all\s+)?(?:the\s+)?(?:\w+\s+)?files\b"),
    ("filesystem.grep", r"\bgrep\b|\bsearch(?:ing)?\b|\blook(?:ing)?\s+for\s+(?:usages?|uses|occurrences?"
     r"|references?|calls?|callers|mentions?|the\s+(?:string|text|word|pattern|definition)|where)\b"
     r"|\bfind(?:ing)?\s+(?:all\s+)?(?:the\s+)?(?:usages?|uses|occurrences?|references?|calls?|callers"
     r"|mentions?|definitions?|where)\b"),
    ("filesystem.list_directory", r"\blist(?:ing)?\s+(?:the\s+|all\s+(?:the\s+)?)?(?:files|director(?:y|ies)"
     r"|folders?|contents|entries|project)\b|\bdirectory\s+listing\b|\b(?:look\s+at|explore|see|check"
     r"|inspect|view)\s+(?:the\s+)?(?:project\s+|repo(?:sitory)?\s+)?(?:structure|layout|director(?:y|ies)"
     r"|folders?|tree)\b|\bwhat\s+files\s+(?:are|exist)\b"),
    ("filesystem.write_file", r"\bwrit(?:e|ing)\s+(?:a\s+|an\s+|the\s+|out\s+)?(?:new\s+)?(?:\w+\s+)?(?:file"
     r"|module|script|doc|readme|document)s?\b|\bcreat(?:e|ing)\s+(?:a\s+|an\s+|the\s+)?(?:new\s+)?(?:\w+\s+)?"
     r"(?:file|module|script|doc|readme|document)s?\b|\bwrite\s+(?:it\s+)?(?:to|into)\b|\bcreate\s+`"
     r"|\bwrite\s+`|\bsav(?:e|ing)\s+(?:it|this|the\s+\w+)\s+(?:to|as|in)\b"),
    ("filesystem.edit_file", r"\bedit(?:ing)?\b|\bmodify(?:ing)?\b|\breplac(?:e|ing)\b|\bpatch(?:ing)?\b"
     r"|\bchang(?:e|ing)\s+(?:the\s+|line|it\b|that\b|this\b)|\bupdat(?:e|ing)\s+(?:the\s+)?(?:file|function"
     r"|line|code|implementation|docstring|greeting)\b|\brenam(?:e|ing)\b|\bapply\s+(?:the\s+)?(?:fix|change"
     r"|edit)|\bfix(?:ing)?\s+(?:the\s+|this\s+|that\s+)?(?:bug|typo|line|code|function|implementation)\b"),
    ("filesystem.read_file", r"\bread(?:ing)?\b(?!\s+(?:the\s+)?(?:diff|history|log)\b)|\bcontents?\s+of\b"
     r"|\b(?:look(?:ing)?\s+at|view(?:ing)?|check(?:ing)?|inspect(?:ing)?|examin(?:e|ing)|see|open(?:ing)?)"
     r"\s+(?:the\s+)?(?:file\s+)?(?:`?[\w./-]+\.[A-Za-z]\w{0,7}\b|contents?\b|source\b|file\b"
     r"|implementation\b|definition\b)"),
    (NO_TOOL, r"\bno\s+(?:tools?|tool\s+calls?)\b(?:\s+(?:is|are))?\s+(?:needed|required|necessary)"
     r"|\bno\s+need\s+(?:for|to\s+(?:use|call))\s+(?:a\s+|any\s+)?tools?\b|\b(?:don't|do\s+not|doesn't"
     r"|does\s+not|won't)\s+need\s+(?:to\s+(?:use|call)\s+)?(?:a\s+|any\s+)?tools?\b|\bwithout\s+(?:using\s+"
     r"|calling\s+)?(?:a\s+|any\s+)?tools?\b|\b(?:answer|reply|respond)\s+(?:this\s+|it\s+)?directly\b"
     r"|\bcan\s+(?:just\s+|now\s+)?answer\b|\b(?:have|know)\s+(?:enough|the\s+answer|everything)\b"
     r"|\bready\s+to\s+answer\b|\bgive\s+(?:the\s+|my\s+)?(?:final\s+)?answer\b|\bjust\s+answer\b"
     r"|\bfrom\s+(?:memory|general\s+knowledge)\b"),
)  # fmt: skip

INTENT = re.compile(
    r"\b(?:i'll|i\s+will|i'm\s+going\s+to|i\s+am\s+going\s+to|going\s+to|i\s+need\s+to|i\s+should|i\s+must"
    r"|i\s+have\s+to|i\s+want\s+to|i'd\s+like\s+to|let\s+me|let's|i\s+can|we\s+need\s+to|we\s+should|next"
    r"|now|first|start\s+by|begin\s+by|the\s+next\s+step|time\s+to|plan\s+is\s+to|is\s+to|call|use)\b",
    _F,
)
CURRENT = re.compile(r"\b(?:first|now|next|start\s+by|begin\s+by|to\s+start|immediately)\b", _F)
LATER = re.compile(
    r"^(?:then|after\s+that|afterwards|later|finally|lastly|eventually|after\s+this|once\s+(?:that|this))\b",
    _F,
)
TASK = re.compile(
    r"\b(?:wants\s+me\s+to|asks?\s+me\s+to|asked\s+me\s+to|the\s+user\s+wants|the\s+task\s+is|the\s+goal\s+is"
    r"|i'm\s+asked|i\s+am\s+asked|the\s+request\s+is)\b",
    _F,
)
LEAD_CLAUSE = re.compile(
    r"^(?:(?:after|once|now\s+that|since|because|as|when|before|to|in\s+order\s+to)\b[^,]*,\s*)+", _F
)
MARKER = re.compile(r"^(?:(?:ok(?:ay)?|so|well|alright|first(?:ly)?|now|next|then)\b[,:]?\s*)+", _F)
NEGATION = re.compile(
    r"\b(?:not|don't|do\s+not|no\s+need\s+to|needn't|won't|never|without|instead\s+of|rather\s+than"
    r"|shouldn't|can't|cannot|avoid)(?:\s+\w+){0,3}\s*$",
    _F,
)
SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
QUOTED = re.compile(r"`([^`\n]+)`|\"([^\"\n]+)\"|'([^'\n]{2,})'(?!\w)")
PATHLIKE = re.compile(
    r"(?<![\w@/.-])((?:\.{1,2}/)?(?:[\w.-]+/)*(?:[\w-][\w.-]*\.[A-Za-z][A-Za-z0-9]{0,7}|\.[A-Za-z][\w.-]*)"
    r"|(?:[\w.-]+/)+[\w.-]*)(?![\w/@])"
)
# A quoted path may hold spaces (`my scripts/run.toml`): directories, then a name, or a name with an extension
_SEG = r"[^\s/`'\"]+(?: [^\s/`'\"]+)*"
SPACED_PATH = re.compile(rf"(?:\.{{1,2}}/)?(?:{_SEG}/)+(?:{_SEG})?|{_SEG}\.[A-Za-z][A-Za-z0-9]{{0,7}}")
COMMAND_WORDS = (
    "python",
    "python3",
    "pytest",
    "npm",
    "make",
    "cargo",
    "go",
    "pip",
    "uv",
    "node",
    "ls",
    "cat",
)
DIR_WORD = re.compile(r"\b(?:the\s+)?`?([\w.-]+/?)`?\s+(?:directory|folder|dir)\b", _F)
COMMAND = re.compile(
    r"\brun(?:ning)?\s+((?:python3?|pytest|npm|make|cargo|go|pip|uv|node|ls|cat|echo|git)\b.*?)"
    r"(?=\s+(?:to|and|so|then|because|with)\b|[,;]|[.!?]?$)",
    _F,
)
TIER_WORD = re.compile(r"\b(" + "|".join(TIERS) + r")\s+tier\b|\btier\s+(" + "|".join(TIERS) + r")\b", _F)
GIT_SUBCOMMANDS = ("status", "diff", "log", "add", "commit")
ARG_KEYS: dict[str, tuple[str, ...]] = {
    "filesystem.read_file": ("path",),
    "filesystem.write_file": ("path",),
    "filesystem.edit_file": ("path",),
    "filesystem.list_directory": ("path",),
    "filesystem.grep": ("pattern",),
    "filesystem.glob": ("pattern",),
    "bash.execute": ("command",),
    "entropi.handoff": ("tier",),
}
