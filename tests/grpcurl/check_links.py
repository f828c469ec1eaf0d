#!/usr/bin/env python3
"""Checks that every relative link in README.md and docs/*.md resolves.

A link [text](path) or [text](path#anchor) must name a file or directory
that exists inside the repository (never outside it); when it names a
Markdown file with an anchor, that file must have a heading with that
anchor (GitHub's rule: lower case, punctuation dropped, spaces to hyphens).
Links inside code blocks and code spans are not links; absolute URLs
(http:, https:, mailto:) are not checked.

  check_links.py [FILE.md ...]     (default: README.md and docs/**/*.md)

Prints each broken link as FILE:LINE: TARGET: why, and exits non-zero if
there is any, or if there is no link at all to check.
"""
import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

INLINE = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")


def strip_code(text, spans=True):
    """The text with fenced blocks (and code spans) blanked, line numbers kept."""
    out, fence = [], None
    for line in text.split("\n"):
        opening = re.match(r"^\s{0,3}(`{3,}|~{3,})", line)
        if fence:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = None
            out.append("")
            continue
        if opening:
            fence = opening.group(1)
            out.append("")
            continue
        out.append(re.sub(r"(`+)(.+?)\1", lambda m: " " * len(m.group(0)), line) if spans else line)
    return "\n".join(out)


def slug(heading):
    text = re.sub(r"`([^`]*)`", r"\1", heading.strip().lower())
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link keeps its text
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path):
    text = strip_code(open(path, encoding="utf-8").read(), spans=False)
    seen, result = {}, set()
    for match in re.finditer(r"^#{1,6}\s+(.+?)\s*#*\s*$", text, re.M):
        base = slug(match.group(1))
        n = seen.get(base, 0)
        seen[base] = n + 1
        result.add(base if n == 0 else f"{base}-{n}")
    return result


def check(path):
    """Returns (links checked, [problems]) for one Markdown file."""
    text = strip_code(open(path, encoding="utf-8").read())
    problems, count = [], 0
    for number, line in enumerate(text.split("\n"), 1):
        targets = [m.group(1) for m in INLINE.finditer(line)]
        ref = REFERENCE.match(line)
        if ref:
            targets.append(ref.group(1))
        for target in targets:
            count += 1
            where = f"{os.path.relpath(path, ROOT)}:{number}: {target or '(empty)'}"
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
                continue  # an absolute URL
            file_part, _, anchor = target.partition("#")
            if not file_part and not anchor:
                problems.append(f"{where}: empty link")
                continue
            resolved = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) \
                if file_part else path
            if os.path.commonpath([resolved, ROOT]) != ROOT:
                problems.append(f"{where}: points outside the repository")
            elif not os.path.exists(resolved):
                problems.append(f"{where}: no such file or directory")
            elif anchor and resolved.endswith(".md") and anchor not in anchors(resolved):
                problems.append(f"{where}: {os.path.relpath(resolved, ROOT)} has no heading "
                                f"with anchor #{anchor}")
    return count, problems


def main(argv):
    files = [os.path.abspath(f) for f in argv] or (
        [os.path.join(ROOT, "README.md")]
        + sorted(glob.glob(os.path.join(ROOT, "docs", "**", "*.md"), recursive=True)))
    total, problems = 0, []
    for path in files:
        count, found = check(path)
        total += count
        problems.extend(found)
    for problem in problems:
        print(f"broken link  {problem}")
    print(f"links: {total} checked in {len(files)} files, {len(problems)} broken")
    return 1 if problems or total == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
