"""General-knowledge questions a tier answers in text, without a tool (the `no_tool` edge, simple answers).

`GENERAL` holds (question, short answer, a word the answer must contain) for programming and CS concepts,
math and units, and everyday knowledge (geography, science, language, history), plus a few requests that
need live data the agent has no tool for, answered by saying so. Questions are written without the final
`?` and start with a lower-caseable word, like `facts.CONCEPTS`, which concatenates them. Each answer is
short (one or two sentences) and hand-checked; a question must not repeat a held-out evaluation prompt or
its topic (tests/unit/synth/test_synth_no_tool.py checks the wording).
Non-goals: facts that change over time, anything needing the repo.
"""

from __future__ import annotations

PROGRAMMING = (
    (
        "What is a linked list",
        "A sequence of nodes where each node holds a value and a reference to the next node.",
        "next node",
    ),
    (
        "What is a stack in programming",
        "A last-in, first-out collection: you push items on top and pop them off the top.",
        "last-in",
    ),
    (
        "What is a queue in programming",
        "A first-in, first-out collection: items leave in the order they were added.",
        "first-in",
    ),
    (
        "What does binary search need from its input",
        "The input must be sorted; then each step halves the range, so it takes O(log n) steps.",
        "sorted",
    ),
    (
        "What is a hash table",
        "A structure that stores key-value pairs in buckets chosen by hashing the key, "
        "so lookups take constant time on average.",
        "key",
    ),
    (
        "What is a deadlock",
        "Two or more threads each wait for a lock the other holds, so none of them can continue.",
        "wait",
    ),
    (
        "What is a race condition",
        "A bug where the result depends on the timing of threads or processes that access shared data.",
        "timing",
    ),
    (
        "What is a closure in programming",
        "A function that remembers the variables of the scope it was defined in, even after that scope "
        "has ended.",
        "remembers",
    ),
    (
        "What is a decorator in Python",
        "A function that takes a function and returns a wrapped version of it, applied with `@name` "
        "above a definition.",
        "wrap",
    ),
    (
        "What does `git rebase` do",
        "It replays your branch's commits on top of another branch, giving a linear history.",
        "replays",
    ),
    (
        "What does `git diff` show",
        "It shows the line-by-line changes between your working tree and the index or a commit.",
        "changes",
    ),
    (
        "What does `git pull` do",
        "It fetches new commits from the remote and merges (or rebases) them into your current branch.",
        "fetches",
    ),
    (
        "What does `git push` do",
        "It uploads your local commits to the remote repository.",
        "uploads",
    ),
    (
        "What is a pull request",
        "A request to merge a branch into another, where others can review and discuss the changes first.",
        "review",
    ),
    (
        "What is a lambda in Python",
        "A small anonymous function written in one expression, like `lambda x: x * 2`.",
        "anonymous",
    ),
    (
        "What does `*args` mean in a Python function",
        "It collects any extra positional arguments into a tuple.",
        "positional",
    ),
    (
        "What does `**kwargs` mean in a Python function",
        "It collects any extra keyword arguments into a dict.",
        "keyword",
    ),
    (
        "What is a set in Python",
        "An unordered collection of unique items, written like {1, 2, 3}.",
        "unique",
    ),
    ("What numbers does range(5) produce in Python", "range(5) gives 0, 1, 2, 3 and 4.", "0, 1, 2, 3"),
    (
        "What is a list comprehension in Python",
        "A compact way to build a list from a loop, like `[x * x for x in items]`.",
        "build a list",
    ),
    (
        "What does try/except do in Python",
        "It runs the try block and, if a matching exception is raised, handles it in the except block.",
        "exception",
    ),
    (
        "What is an f-string in Python",
        'A string literal prefixed with f whose {expressions} are filled in, like f"Hi {name}".',
        "prefixed",
    ),
    (
        "What is a regular expression",
        "A pattern that describes a set of strings, used to search, match or replace text.",
        "pattern",
    ),
    (
        "What is an environment variable",
        "A named value set in a process's environment that programs can read, such as PATH or HOME.",
        "named value",
    ),
    (
        "What is inheritance in object-oriented programming",
        "A class can reuse and extend another class's attributes and methods by subclassing it.",
        "subclass",
    ),
    (
        "What is encapsulation in object-oriented programming",
        "Keeping an object's data and the code that works on it together, and hiding internal details.",
        "hiding",
    ),
    (
        "What is a primary key in a database",
        "A column (or set of columns) whose value uniquely identifies each row of a table.",
        "uniquely",
    ),
    (
        "What does a JOIN do in SQL",
        "It combines rows from two tables where a condition on their columns matches.",
        "combines rows",
    ),
    (
        "What is a database index for",
        "It speeds up lookups on a column, at the cost of extra storage and slower writes.",
        "speeds up",
    ),
    (
        "What is an off-by-one error",
        "A bug where a loop or index goes one step too far or stops one step too early.",
        "one step",
    ),
    (
        "What is garbage collection",
        "Automatic memory management: the runtime frees objects that nothing refers to any more.",
        "frees",
    ),
    (
        "What is a mutex",
        "A lock that lets only one thread at a time enter a critical section.",
        "one thread",
    ),
    (
        "What is caching",
        "Keeping the results of slow work in fast storage so repeated requests can reuse them.",
        "reuse",
    ),
    (
        "What does idempotent mean for an operation",
        "Doing it several times has the same effect as doing it once.",
        "same effect",
    ),
    (
        "What does semantic versioning mean",
        "Versions are MAJOR.MINOR.PATCH: major for breaking changes, minor for new features, "
        "patch for fixes.",
        "MAJOR.MINOR.PATCH",
    ),
    (
        "What is a shebang line in a script",
        "The first line starting with #!, which names the interpreter, like #!/usr/bin/env python3.",
        "interpreter",
    ),
    (
        "What does `chmod +x` do",
        "It makes a file executable by adding the execute permission.",
        "executable",
    ),
    ("What does the `pwd` command print", "pwd prints the current working directory.", "working directory"),
    (
        "What does the `grep` command do",
        "grep searches text or files for lines that match a pattern and prints them.",
        "pattern",
    ),
    (
        "Why does 0.1 + 0.2 not equal 0.3 in floating point",
        "0.1 and 0.2 have no exact binary representation, so the sum is 0.30000000000000004.",
        "binary",
    ),
    (
        "What is a pure function",
        "A function whose result depends only on its arguments and that has no side effects.",
        "side effects",
    ),
)

COMPUTER_SCIENCE = (
    ("What is the time complexity of binary search", "Binary search runs in O(log n) time.", "log n"),
    (
        "How fast can a comparison sort be in the worst case",
        "No comparison sort beats O(n log n) comparisons in the worst case; merge sort reaches it.",
        "n log n",
    ),
    (
        "What is the difference between breadth-first and depth-first search",
        "Breadth-first visits all neighbours level by level using a queue; depth-first goes as deep "
        "as it can first, using a stack or recursion.",
        "level by level",
    ),
    (
        "What is a binary tree",
        "A tree in which every node has at most two children, a left and a right one.",
        "two children",
    ),
    (
        "What is a graph in computer science",
        "A set of nodes (vertices) connected by edges.",
        "edges",
    ),
    ("What base does hexadecimal use", "Hexadecimal is base 16, with digits 0-9 and A-F.", "16"),
    ("What base does octal use", "Octal is base 8, with the digits 0 to 7.", "8"),
    (
        "What is two's complement",
        "The usual way to store signed integers in binary: to negate a number, invert its bits and add one.",
        "add one",
    ),
    (
        "What is Unicode",
        "A standard that gives every character in the world's writing systems a unique number "
        "(a code point).",
        "code point",
    ),
    (
        "What is UTF-8",
        "A variable-length encoding of Unicode that uses one to four bytes per character and "
        "matches ASCII for the first 128.",
        "one to four bytes",
    ),
    (
        "What is an IP address",
        "A number that identifies a device on a network, like 192.168.1.10 in IPv4.",
        "identifies",
    ),
    (
        "What is the difference between latency and bandwidth",
        "Latency is how long one piece of data takes to arrive; bandwidth is how much data "
        "can flow per second.",
        "how long",
    ),
    (
        "What is a CPU cache",
        "A small, fast memory on the processor that keeps recently used data close to the cores.",
        "fast memory",
    ),
    (
        "What is the difference between RAM and disk storage",
        "RAM is fast working memory that is cleared when the power goes off; a disk is slower "
        "but keeps its data.",
        "power",
    ),
    (
        "What does an operating system do",
        "It manages the hardware and runs programs, giving them memory, files, devices and CPU time.",
        "manages",
    ),
    (
        "What is the difference between a compile-time error and a runtime error",
        "A compile-time error is caught before the program runs; a runtime error happens while it runs.",
        "while it runs",
    ),
    (
        "What is a browser cookie",
        "A small piece of data a website stores in your browser and gets back with later requests.",
        "browser",
    ),
    (
        "What is public-key cryptography",
        "Each party has a key pair: data encrypted with the public key can only be decrypted "
        "with the matching private key.",
        "private key",
    ),
    (
        "What is a checksum",
        "A small value computed from data, used to detect whether the data was changed or corrupted.",
        "detect",
    ),
    (
        "What is the difference between a bug and a feature request",
        "A bug is behaviour that is wrong; a feature request asks for new behaviour.",
        "new behaviour",
    ),
)

MATH_AND_UNITS = (
    ("What is the square root of 144", "The square root of 144 is 12.", "12"),
    (
        "What do the angles of a triangle add up to",
        "The interior angles of a triangle add up to 180 degrees.",
        "180",
    ),
    ("How many degrees are in a full circle", "A full circle has 360 degrees.", "360"),
    ("What is pi to two decimal places", "Pi is about 3.14 (3.14159...).", "3.14"),
    ("What is 0 factorial", "0! is defined as 1.", "1"),
    (
        "What does the Pythagorean theorem say",
        "In a right triangle, a² + b² = c², where c is the side opposite the right angle.",
        "c²",
    ),
    (
        "How do you work out the area of a circle",
        "Multiply pi by the radius squared: A = πr².",
        "radius",
    ),
    (
        "What is the derivative of x squared",
        "The derivative of x² is 2x.",
        "2x",
    ),
    ("Is 1 a prime number", "No: a prime has exactly two divisors, and 1 has only one.", "no"),
    ("What is the smallest prime number", "2 is the smallest prime, and the only even one.", "2"),
    ("What is 7 squared", "7 squared is 49.", "49"),
    ("What is the cube of 3", "3 cubed is 27.", "27"),
    ("What is one third as a decimal", "One third is 0.333..., a repeating decimal.", "0.333"),
    ("What is three quarters as a percentage", "Three quarters is 75%.", "75"),
    (
        "What is the mean of 2, 4 and 9",
        "The mean is (2 + 4 + 9) / 3 = 5.",
        "5",
    ),
    (
        "What is the median of 3, 8 and 5",
        "Sorted they are 3, 5, 8, so the median is 5.",
        "5",
    ),
    ("How many centimetres are in a metre", "There are 100 centimetres in a metre.", "100"),
    ("How many grams are in a kilogram", "There are 1000 grams in a kilogram.", "1000"),
    ("How many millilitres are in a litre", "There are 1000 millilitres in a litre.", "1000"),
    ("How many inches are in a foot", "There are 12 inches in a foot.", "12"),
    ("How many feet are in a mile", "A mile is 5280 feet.", "5280"),
    ("How many kilometres is one mile", "One mile is about 1.609 kilometres.", "1.609"),
    ("How many centimetres is one inch", "One inch is exactly 2.54 centimetres.", "2.54"),
    ("How many seconds are in an hour", "An hour has 3600 seconds.", "3600"),
    ("How many hours are in a week", "A week has 168 hours (7 × 24).", "168"),
    (
        "How do you convert Celsius to Fahrenheit",
        "Multiply by 9/5 and add 32: F = C × 9/5 + 32.",
        "32",
    ),
    ("At what temperature in Fahrenheit does water freeze", "Water freezes at 32 °F (0 °C).", "32"),
    ("How many bytes are in a kibibyte", "A kibibyte (KiB) is 1024 bytes.", "1024"),
    (
        "What is the difference between a megabyte and a mebibyte",
        "A megabyte (MB) is 1000000 bytes; a mebibyte (MiB) is 1048576 bytes (1024²).",
        "1048576",
    ),
    ("How many edges does a cube have", "A cube has 12 edges (and 6 faces and 8 corners).", "12"),
)

GEOGRAPHY = (
    ("What is the capital of Japan", "The capital of Japan is Tokyo.", "Tokyo"),
    ("What is the capital of Australia", "The capital of Australia is Canberra.", "Canberra"),
    ("What is the capital of Canada", "The capital of Canada is Ottawa.", "Ottawa"),
    ("What is the capital of Italy", "The capital of Italy is Rome.", "Rome"),
    ("What is the capital of Egypt", "The capital of Egypt is Cairo.", "Cairo"),
    ("What is the capital of Brazil", "The capital of Brazil is Brasília.", "Brasília"),
    ("What is the capital of Germany", "The capital of Germany is Berlin.", "Berlin"),
    ("What is the capital of Kenya", "The capital of Kenya is Nairobi.", "Nairobi"),
    ("Which is the largest ocean", "The Pacific is the largest and deepest ocean.", "Pacific"),
    (
        "Which ocean lies between Europe and North America",
        "The Atlantic Ocean lies between them.",
        "Atlantic",
    ),
    (
        "Which country has the largest land area",
        "Russia is the largest country by area.",
        "Russia",
    ),
    ("Which is the smallest country in the world", "Vatican City is the smallest country.", "Vatican"),
    (
        "How many continents are there",
        "By the usual count there are seven: Africa, Antarctica, Asia, Australia (Oceania), Europe, "
        "North America and South America.",
        "seven",
    ),
    ("Which river flows through Paris", "The Seine flows through Paris.", "Seine"),
    ("Which river flows through London", "The Thames flows through London.", "Thames"),
    (
        "What is the largest hot desert",
        "The Sahara in North Africa is the largest hot desert.",
        "Sahara",
    ),
    (
        "Where is the deepest point of the ocean",
        "In the Mariana Trench in the western Pacific, at the Challenger Deep, about 11 km down.",
        "Mariana",
    ),
    (
        "What is the equator",
        "The imaginary line around the Earth halfway between the North and South Poles, at 0° latitude.",
        "latitude",
    ),
    ("On which continent is Argentina", "Argentina is in South America.", "South America"),
    ("Which country has the city of Marrakesh", "Marrakesh is in Morocco.", "Morocco"),
)

SCIENCE = (
    ("What is the chemical symbol for gold", "Gold's chemical symbol is Au.", "Au"),
    ("What is the chemical symbol for sodium", "Sodium's chemical symbol is Na.", "Na"),
    ("What is the chemical symbol for iron", "Iron's chemical symbol is Fe.", "Fe"),
    (
        "What is the chemical formula of water",
        "Water is H2O: two hydrogen atoms and one oxygen atom.",
        "H2O",
    ),
    ("How many planets are in the solar system", "There are eight planets.", "eight"),
    ("Which planet is closest to the Sun", "Mercury is the closest planet to the Sun.", "Mercury"),
    (
        "Which planet of our solar system is the biggest",
        "Jupiter is the largest planet in the solar system.",
        "Jupiter",
    ),
    ("Which planet is called the red planet", "Mars is called the red planet.", "Mars"),
    (
        "Which gas makes up most of Earth's atmosphere",
        "Nitrogen, about 78% of the air.",
        "Nitrogen",
    ),
    (
        "What is the hardest natural material",
        "Diamond is the hardest naturally occurring material.",
        "Diamond",
    ),
    ("How many bones does an adult human have", "An adult human has 206 bones.", "206"),
    (
        "How many chambers does the human heart have",
        "Four: two atria and two ventricles.",
        "Four",
    ),
    ("What is the largest organ of the human body", "The skin is the largest organ.", "skin"),
    (
        "What is absolute zero",
        "The lowest possible temperature: 0 kelvin, which is -273.15 °C.",
        "-273.15",
    ),
    ("What is the SI unit of force", "The newton (N).", "newton"),
    ("What is the unit of electrical resistance", "The ohm (Ω).", "ohm"),
    (
        "How fast does sound travel in air",
        "About 343 metres per second in air at 20 °C.",
        "343",
    ),
    (
        "What is the acceleration due to gravity on Earth",
        "About 9.8 m/s² at the surface.",
        "9.8",
    ),
    (
        "What is an atom's nucleus made of",
        "Protons and neutrons; electrons move around it.",
        "protons",
    ),
    ("What does DNA stand for", "DNA stands for deoxyribonucleic acid.", "deoxyribonucleic"),
    ("Which is the fastest land animal", "The cheetah is the fastest land animal.", "cheetah"),
    (
        "Which is the largest animal that has ever lived",
        "The blue whale is the largest known animal.",
        "blue whale",
    ),
    ("Which mammal can truly fly", "Bats are the only mammals capable of true flight.", "bat"),
    (
        "What is the difference between a virus and a bacterium",
        "Bacteria are living single cells that can reproduce on their own; viruses are much smaller "
        "and can only multiply inside a host cell.",
        "host cell",
    ),
)

LANGUAGE = (
    ("What is the plural of mouse", "The plural of mouse is mice.", "mice"),
    ("What is the plural of child", "The plural of child is children.", "children"),
    ("What is the plural of goose", "The plural of goose is geese.", "geese"),
    ("What is the opposite of ancient", "The opposite of ancient is modern.", "modern"),
    (
        "What is a synonym for happy",
        "Glad, cheerful or joyful all mean roughly the same as happy.",
        "joyful",
    ),
    ("What does e.g. stand for", "e.g. is Latin exempli gratia, meaning 'for example'.", "for example"),
    ("What does i.e. stand for", "i.e. is Latin id est, meaning 'that is'.", "that is"),
    (
        "What is a palindrome",
        "A word or phrase that reads the same backwards, like 'level' or 'racecar'.",
        "backwards",
    ),
    (
        "What is an anagram",
        "A word made by rearranging the letters of another, like 'listen' and 'silent'.",
        "rearranging",
    ),
    (
        "What is a simile",
        "A comparison using 'like' or 'as', for example 'as brave as a lion'.",
        "like",
    ),
    (
        "What is a metaphor",
        "A figure of speech that says one thing is another, like 'time is money'.",
        "figure of speech",
    ),
    (
        "When do you write it's and when its",
        "It's is short for 'it is' or 'it has'; its is the possessive, as in 'the dog wagged its tail'.",
        "possessive",
    ),
    (
        "What is the difference between affect and effect",
        "Usually affect is the verb (to influence) and effect is the noun (the result).",
        "verb",
    ),
    ("How many letters are in the English alphabet", "The English alphabet has 26 letters.", "26"),
    ("What is the Italian word for thank you", "Thank you in Italian is grazie.", "grazie"),
    ("What is the Spanish word for cat", "Cat in Spanish is gato.", "gato"),
    (
        "What is an adverb",
        "A word that describes a verb, adjective or another adverb, often ending in -ly, like 'quickly'.",
        "verb",
    ),
)

HISTORY_AND_CULTURE = (
    ("Who wrote Romeo and Juliet", "William Shakespeare wrote Romeo and Juliet.", "Shakespeare"),
    ("Who painted the Mona Lisa", "Leonardo da Vinci painted the Mona Lisa.", "Leonardo"),
    (
        "Who discovered penicillin",
        "Alexander Fleming discovered penicillin in 1928.",
        "Fleming",
    ),
    (
        "Who was the first person to walk on the Moon",
        "Neil Armstrong, in July 1969 during the Apollo 11 mission.",
        "Armstrong",
    ),
    ("In which year did World War II end", "World War II ended in 1945.", "1945"),
    (
        "Who was the first president of the United States",
        "George Washington was the first US president.",
        "Washington",
    ),
    (
        "Who proposed evolution by natural selection",
        "Charles Darwin, with Alfred Russel Wallace, in the 1850s.",
        "Darwin",
    ),
    (
        "Who wrote the first version of the Linux kernel",
        "Linus Torvalds wrote it in 1991.",
        "Torvalds",
    ),
    (
        "Who is often called the first computer programmer",
        "Ada Lovelace, for her 1843 notes on Babbage's Analytical Engine.",
        "Lovelace",
    ),
    (
        "How many players does a football (soccer) team have on the pitch",
        "Eleven per team, including the goalkeeper.",
        "Eleven",
    ),
    ("How many keys does a standard piano have", "A standard piano has 88 keys.", "88"),
    ("How many strings does a standard guitar have", "A standard guitar has six strings.", "six"),
)

# Requests for live data: entropi has no tool that reaches it, so it says so and points elsewhere.
NO_LIVE_DATA = (
    (
        "What's the weather forecast for this afternoon",
        "I can't check live weather from here: I have no internet access. A weather app or site "
        "will show your local forecast.",
        "weather app",
    ),
    (
        "What are today's top news headlines",
        "I have no internet access, so I can't see today's news; a news site or app will have them.",
        "news site",
    ),
    (
        "What is the current price of a share of Apple",
        "I can't see live market data from here; a finance site or your broker shows the current price.",
        "live market data",
    ),
    (
        "What was the final score of last night's match",
        "I have no access to live sports results; a sports news site will have the final score.",
        "live sports",
    ),
    (
        "Can you book me a table at a restaurant for tonight",
        "I can't make bookings: I only work with this project's files. The restaurant's website "
        "or a booking app can do that.",
        "can't make bookings",
    ),
    (
        "Can you order a pizza for me",
        "I can't place orders: I only work with this project's files and tools. A delivery app "
        "or the pizzeria can take your order.",
        "can't place orders",
    ),
)

GENERAL = (
    PROGRAMMING + COMPUTER_SCIENCE + MATH_AND_UNITS + GEOGRAPHY + SCIENCE + LANGUAGE + HISTORY_AND_CULTURE
) + NO_LIVE_DATA
