"""Facts the simple tier answers directly, and small computations with exact answers.

`ACRONYMS`, `PORTS`, `HTTP` and `CONCEPTS` are hand-checked tables (`CONCEPTS`: the Python and git
questions here plus the general-knowledge ones of `facts_general`); `computation` draws an arithmetic, unit,
base or string question with its exact answer. The generator's exclusion filter drops any question that is
too close to a held-out prompt, so a table entry that the evaluation sets also ask about is never used.
Non-goals: facts that change over time, anything needing the repo.
"""

from __future__ import annotations

import random

from entropi.synth.facts_general import GENERAL

ACRONYMS = {
    "API": "Application Programming Interface",
    "CPU": "Central Processing Unit",
    "RAM": "Random Access Memory",
    "URL": "Uniform Resource Locator",
    "HTTP": "Hypertext Transfer Protocol",
    "HTML": "HyperText Markup Language",
    "CSS": "Cascading Style Sheets",
    "SQL": "Structured Query Language",
    "YAML": "YAML Ain't Markup Language",
    "CSV": "Comma-Separated Values",
    "PDF": "Portable Document Format",
    "DNS": "Domain Name System",
    "TCP": "Transmission Control Protocol",
    "UDP": "User Datagram Protocol",
    "SSH": "Secure Shell",
    "TLS": "Transport Layer Security",
    "GUI": "Graphical User Interface",
    "CLI": "Command-Line Interface",
    "IDE": "Integrated Development Environment",
    "USB": "Universal Serial Bus",
    "GPU": "Graphics Processing Unit",
    "SSD": "Solid-State Drive",
    "LAN": "Local Area Network",
    "VPN": "Virtual Private Network",
    "REST": "Representational State Transfer",
    "CRUD": "Create, Read, Update, Delete",
    "ORM": "Object-Relational Mapping",
    "MVC": "Model-View-Controller",
    "OOP": "Object-Oriented Programming",
    "TDD": "Test-Driven Development",
    "XML": "Extensible Markup Language",
    "JWT": "JSON Web Token",
    "SDK": "Software Development Kit",
    "FTP": "File Transfer Protocol",
    "SMTP": "Simple Mail Transfer Protocol",
    "LRU": "Least Recently Used",
    "FIFO": "First In, First Out",
    "LIFO": "Last In, First Out",
    "DRY": "Don't Repeat Yourself",
    "PEP": "Python Enhancement Proposal",
    "PyPI": "Python Package Index",
    "GIL": "Global Interpreter Lock",
    "REPL": "Read-Eval-Print Loop",
    "UUID": "Universally Unique Identifier",
    "RFC": "Request for Comments",
    "CDN": "Content Delivery Network",
    "DOM": "Document Object Model",
    "MIME": "Multipurpose Internet Mail Extensions",
    "IP": "Internet Protocol",
    "UTC": "Coordinated Universal Time",
    "ASCII": "American Standard Code for Information Interchange",
    "KISS": "Keep It Simple, Stupid",
    "YAGNI": "You Aren't Gonna Need It",
    "CI": "Continuous Integration",
    "SaaS": "Software as a Service",
    "NAT": "Network Address Translation",
    "ACL": "Access Control List",
}
PORTS = {
    "SSH": 22,
    "HTTP": 80,
    "HTTPS": 443,
    "SMTP": 25,
    "DNS": 53,
    "PostgreSQL": 5432,
    "MySQL": 3306,
    "Redis": 6379,
    "MongoDB": 27017,
    "FTP": 21,
    "Telnet": 23,
    "IMAP": 143,
    "RDP": 3389,
}
HTTP = {
    200: "OK",
    201: "Created",
    204: "No Content",
    301: "Moved Permanently",
    302: "Found",
    304: "Not Modified",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    410: "Gone",
    418: "I'm a teapot",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
# (question, answer, words the answer must contain). Left out: questions the held-out cases ask
# (def keyword, len(), git stash): the exclusion filter only sees the bare question, not its phrasings.
CODE_CONCEPTS = (
    (
        "Is a Python list mutable",
        "Yes: a list can be changed in place (append, assign by index, remove).",
        "yes",
    ),
    ("Is a Python string mutable", "No: str is immutable; every change builds a new string.", "immutable"),
    ("What is the type of 7 / 2 in Python 3", "It is a float: 7 / 2 is 3.5.", "float"),
    ("What does 7 // 2 give in Python", "7 // 2 is floor division and gives 3.", "3"),
    (
        "What does `git init` do",
        "`git init` creates a new, empty Git repository in the current folder.",
        "repository",
    ),
    (
        "What does `git clone` do",
        "`git clone` copies an existing repository, with its history, to a new folder.",
        "copies",
    ),
    (
        "What is the difference between == and is in Python",
        "== compares values; is checks whether both names refer to the same object.",
        "same object",
    ),
    ("What does a Python dict map", "A dict maps keys to values.", "keys"),
    (
        "What does the `with` statement do in Python",
        "It runs a block inside a context manager that sets up and always cleans up, e.g. closes a file.",
        "context manager",
    ),
    (
        "What is a virtual environment in Python",
        "An isolated Python environment with its own installed packages, made with `python -m venv`.",
        "isolated",
    ),
    (
        "What does `pip install` do",
        "It downloads and installs a Python package (from PyPI by default).",
        "installs",
    ),
    ("What is a tuple in Python", "An immutable, ordered sequence, written like (1, 2).", "immutable"),
    (
        "What does `return` do in a function",
        "It ends the function and hands a value back to the caller.",
        "caller",
    ),
    (
        "What is recursion",
        "Recursion is when a function calls itself on a smaller part of the problem.",
        "calls itself",
    ),
    (
        "What is a merge conflict in git",
        "Two branches changed the same lines differently, so git cannot merge them on its own.",
        "same lines",
    ),
    ("What does `None` mean in Python", "None is Python's null value: the absence of a value.", "absence"),
    (
        "What is a unit test",
        "A small automated test that checks one piece of code, such as a function.",
        "automated",
    ),
    (
        "What does `__init__` do in a Python class",
        "__init__ initialises a new instance right after it is created.",
        "instance",
    ),
    (
        "What is big-O notation",
        "A way to describe how running time or memory grows with the input size.",
        "grows",
    ),
    (
        "What does a hash function do",
        "It maps data of any size to a fixed-size value (a hash).",
        "fixed-size",
    ),
    (
        "What is the difference between a process and a thread",
        "A process has its own memory; threads run inside a process and share its memory.",
        "share",
    ),
)
CONCEPTS = CODE_CONCEPTS + GENERAL
CHAT = (
    ("Hi there", "Hi! What can I help you with?", ["help"]),
    ("Good morning", "Good morning! What would you like to work on?", ["morning"]),
    ("Thanks, that worked", "Glad it worked! Anything else?", ["glad"]),
    ("Thank you so much for the help", "You're welcome! Happy to help.", ["welcome"]),
    ("How are you today", "I'm ready to help. What are you working on?", ["help"]),
    ("What can you do", "I can answer questions and read, search and change code in this project.", ["code"]),
    ("Who are you", "I'm entropi, a local coding assistant.", ["coding"]),
    ("Bye for now", "Bye! Come back any time.", ["bye"]),
    ("Are you still there", "Yes, I'm here. What do you need?", ["here"]),
    ("Nice work on that last change", "Thanks! Anything else to do?", ["thanks"]),
)


def computation(rng: random.Random) -> tuple[str, str, str, str]:
    """(imperative core, question, terse form, exact answer) of a drawn computation."""
    kind = rng.choice(
        ("add", "mul", "sub", "minutes", "seconds", "kib", "hex", "binary", "pct", "len", "pow")
    )
    a, b = rng.randint(12, 999), rng.randint(3, 99)
    if kind == "add":
        return f"Add {a} and {b}", f"What is {a} plus {b}?", f"{a}+{b}?", str(a + b)
    if kind == "mul":
        return f"Multiply {a} by {b}", f"What is {a} times {b}?", f"{a}*{b}=?", str(a * b)
    if kind == "sub":
        return f"Subtract {b} from {a}", f"What is {a} minus {b}?", f"{a}-{b}", str(a - b)
    if kind == "minutes":
        h = rng.randint(2, 48)
        return (
            f"Convert {h} hours to minutes",
            f"How many minutes are in {h} hours?",
            f"{h}h in min?",
            str(60 * h),
        )
    if kind == "seconds":
        m = rng.randint(2, 180)
        return (
            f"Convert {m} minutes to seconds",
            f"How many seconds are {m} minutes?",
            f"{m} min in s",
            str(60 * m),
        )
    if kind == "kib":
        k = rng.randint(2, 512)
        return (
            f"Convert {k} KiB to bytes",
            f"How many bytes are {k} KiB?",
            f"{k} KiB = ? bytes",
            str(1024 * k),
        )
    if kind == "hex":
        n = rng.randint(16, 4095)
        return f"Convert 0x{n:x} to decimal", f"What is 0x{n:x} in decimal?", f"0x{n:x} to dec", str(n)
    if kind == "binary":
        n = rng.randint(5, 255)
        return f"Write {n} in binary", f"What is {n} in binary?", f"{n} in bin?", f"{n:b}"
    if kind == "pct":
        whole = rng.choice([40, 80, 120, 200, 250, 400, 600, 800])
        pct = rng.choice([5, 10, 15, 20, 25, 50, 75])
        value = whole * pct // 100 if whole * pct % 100 == 0 else whole * pct / 100
        return f"Work out {pct}% of {whole}", f"What is {pct}% of {whole}?", f"{pct}% of {whole}", str(value)
    if kind == "len":
        word = rng.choice(
            (
                "serendipity",
                "algorithm",
                "kubernetes",
                "refactoring",
                "polymorphism",
                "idempotent",
                "asynchronous",
                "concurrency",
                "dependency",
                "middleware",
                "benchmark",
                "namespace",
            )
        )
        return (
            f"Count the letters in the word '{word}'",
            f"How many letters does '{word}' have?",
            f"len('{word}')?",
            str(len(word)),
        )
    e = rng.randint(3, 20)
    return f"Compute 2 to the power of {e}", f"What is 2 to the power of {e}?", f"2**{e}?", str(2**e)
