#!/usr/bin/env python3
"""Checks that the folders of Sources/CharRNN have no back-edges.

    scripts/check-layering.py [REPOSITORY_ROOT]    (default: the repository holding this script)

README.md's "## How the code is laid out" lists the folders of Sources/CharRNN in data-flow order,
and a folder uses only those above it. This script reads that order from the README listing itself,
collects the types each folder declares at file level (struct, enum, class, protocol, actor,
typealias; not private or fileprivate; an extension declares nothing), and prints one line for every
line of code in a folder that names a type declared in a folder below it:

    Kernels/RecurrentKernels.swift:93 uses CellKind (Model), below Kernels

Comments and string literals are not code (an interpolation in a string is). Exits 1 if it printed
any such line, 2 if the README listing or a listed folder cannot be found, 0 otherwise.
"""
import os
import re
import sys

SECTION = "## How the code is laid out"
LIBRARY = "Sources/CharRNN/"

DECLARATION = re.compile(
    r"^(?:@\w+(?:\([^)]*\))?\s+)*"                         # attributes: @frozen, @available(...)
    r"((?:(?:public|internal|package|open|private|fileprivate|final|indirect|nonisolated)\s+)*)"
    r"(?:struct|enum|class|protocol|actor|typealias)\s+([A-Za-z_]\w*)")
IDENTIFIER = re.compile(r"\b[A-Za-z_]\w*\b")


def folder_order(readme_path):
    """The folders under `Sources/CharRNN/` in the README's code listing, top to bottom."""
    with open(readme_path, encoding="utf-8") as readme:
        lines = readme.read().splitlines()
    try:
        start = lines.index(SECTION)
    except ValueError:
        sys.exit(f"check-layering: {readme_path} has no '{SECTION}' section")
    order, inside_library = [], False
    for line in lines[start + 1:]:
        if line.startswith("## "):
            break
        if line.startswith(LIBRARY):
            inside_library = True
            continue
        if inside_library:
            entry = re.match(r"^ +([A-Za-z]\w*)/", line)
            if entry:
                order.append(entry.group(1))
            elif line and not line.startswith(" "):  # the next top-level entry ends the library
                break
    if not order:
        sys.exit(f"check-layering: no folders under {LIBRARY} in {readme_path}'s '{SECTION}' listing")
    return order


def code_lines(text):
    """The file's lines with comments and string literals blanked (an interpolation's code is kept),
    so that line numbers stay the file's."""
    out, i, n = [], 0, len(text)
    # Each context is ("string", closing delimiter, raw hashes) or ("interpolation", paren depth).
    stack, comment_depth = [], 0
    while i < n:
        c = text[i]
        if c == "\n":
            out.append(c)
            i += 1
            continue
        if comment_depth:
            if text.startswith("/*", i):
                comment_depth += 1
                i += 2
            elif text.startswith("*/", i):
                comment_depth -= 1
                i += 2
            else:
                i += 1
            out.append(" ")
            continue
        top = stack[-1] if stack else None
        if top and top[0] == "string":
            _, close, hashes = top
            if text.startswith(close + hashes, i):
                stack.pop()
                out.append(" ")
                i += len(close) + len(hashes)
            elif text.startswith("\\" + hashes + "(", i):
                stack.append(("interpolation", 0))
                out.append(" ")
                i += len(hashes) + 2
            elif c == "\\" and not hashes:
                out.append(" ")
                i += 2 if i + 1 < n and text[i + 1] != "\n" else 1
            else:
                out.append(" ")
                i += 1
            continue
        # Code (top level or inside an interpolation).
        if text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
            continue
        if text.startswith("/*", i):
            comment_depth = 1
            i += 2
            continue
        raw = re.match(r'(#*)("""|")', text[i:i + 64])
        if raw and (raw.group(1) or c == '"'):
            stack.append(("string", raw.group(2), raw.group(1)))
            i += raw.end()
            out.append(" ")
            continue
        if top and top[0] == "interpolation":
            if c == "(":
                stack[-1] = ("interpolation", top[1] + 1)
            elif c == ")":
                if top[1] == 0:
                    stack.pop()
                    out.append(" ")
                    i += 1
                    continue
                stack[-1] = ("interpolation", top[1] - 1)
        out.append(c)
        i += 1
    return "".join(out).split("\n")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, ".."))
    order = folder_order(os.path.join(root, "README.md"))
    library = os.path.join(root, LIBRARY)

    files = {}  # folder → [(relative path, code lines)]
    for folder in order:
        path = os.path.join(library, folder)
        if not os.path.isdir(path):
            print(f"check-layering: the README lists {folder}/, which {LIBRARY} does not have", file=sys.stderr)
            sys.exit(2)
        for directory, _, names in sorted(os.walk(path)):
            for name in sorted(names):
                if name.endswith(".swift"):
                    full = os.path.join(directory, name)
                    with open(full, encoding="utf-8") as source:
                        files.setdefault(folder, []).append((os.path.relpath(full, library), code_lines(source.read())))
    unlisted = sorted(set(os.listdir(library)) - set(order))
    for folder in unlisted:
        if os.path.isdir(os.path.join(library, folder)):
            print(f"check-layering: {LIBRARY}{folder}/ is not in the README listing; add it there", file=sys.stderr)

    home = {}      # type name → the folder declaring it
    own = {}       # file → every name it declares itself, at any level and access (these shadow)
    for folder in order:
        for relative, lines in files.get(folder, []):
            own[relative] = set()
            for line in lines:
                match = DECLARATION.match(line.strip())
                if not match:
                    continue
                own[relative].add(match.group(2))
                visible = not re.search(r"\b(private|fileprivate)\b", match.group(1))
                if visible and not line[:1].isspace():   # file level: nested types are named through their parent
                    home.setdefault(match.group(2), folder)

    rank = {folder: index for index, folder in enumerate(order)}
    found = 0
    for folder in order:
        for relative, lines in files.get(folder, []):
            for number, line in enumerate(lines, start=1):
                named = []
                for word in IDENTIFIER.findall(line):
                    where = home.get(word)
                    if where and rank[where] > rank[folder] and word not in own[relative] and word not in named:
                        named.append(word)
                for word in named:
                    print(f"{relative}:{number} uses {word} ({home[word]}), below {folder}")
                    found += 1
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
