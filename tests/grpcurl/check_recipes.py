#!/usr/bin/env python3
"""Runs the documented grpcurl (and CLI) recipes against a real server.

Recipes are the commands of the ```sh blocks of:
  - docs/operating.md: every block (the page says so at its top);
  - README.md: every block outside its "## Two commands" section (those set
    up a machine; they are not recipes).
Each command is run as written, in document order (README first), with the
address replaced by the test server's, and its output is checked for what
the docs promise (EXPECTATIONS). A command with no expectation fails, so a
new recipe cannot go unchecked; so does an expectation no recipe matches any
more, and a source with no recipe at all.

  check_recipes.py TARGET METRICS_ADDR DATA_DIR

Prints one line per command and "N passed, M failed"; exits non-zero on any
failure.
"""
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# (file, sections whose blocks are skipped)
SOURCES = [
    ("README.md", {"Two commands"}),
    ("docs/operating.md", set()),
]

# (pattern matched against the command's first line, text its output must
# contain[, the exit code it must end with when not 0])
EXPECTATIONS = [
    (r"grpcurl .* list$", "leadboard.v1.LeadBoard"),
    (r"describe leadboard.v1.LeadBoard", "rpc IngestEvents ( stream .leadboard.v1.PipelineEvent ) returns ( .leadboard.v1.IngestSummary )"),
    (r"Health/Check", '"status": "SERVING"'),
    (r"LeadBoard/IngestEvents", '"accepted": "2"'),
    (r"LeadBoard/WatchLeads", '"synced": {}'),
    (r"LeadBoard/GetLead", "TechStart Solutions"),
    (r"LeadBoard/ListLeads", '"stage": "research"'),
    (r"LeadBoard/GetBoard", '"id": "harvested"'),
    (r"^leadboard board", "leads at revision"),
    (r"^leadboard list --stage", "techstart"),
    (r"^leadboard get techstart", "== Pain point analysis"),
    (r"^leadboard jobs", "job-1"),
    (r"^leadboard watch", "synced at r"),
    (r"^leadboard ingest", "accepted"),
    (r"^curl .*/metrics \| grep leadboard_events_total", "leadboard_events_total"),
    (r"^curl .*/metrics \| grep -E '\^leadboard_\(commit_queue", "leadboard_fanout_seconds_count"),
    (r"^sqlite3 .*\.backup", ""),
    (r"^cat > events.json", ""),
    (r"^cat > enriched.json", ""),
    (r"LeadBoard/MoveLead", '"moved": true'),
    (r"^leadboard move romano negotiating", "moved romano to negotiating at revision 7"),
    (r"^leadboard move romano reviewing --if-revision 6",
     'it is in "negotiating" at revision 7, moved there by Bruno', 1),
    (r"leadboard_agent_step_seconds_count", 'leadboard_agent_step_seconds_count{agent="leadqualification"} 1'),
    (r"^leadboard history romano", "person Bruno"),
    (r"^leadboard timeline romano", "LeadQualificationAgent"),
    (r"^leadboard agents --since 24h", "AGENT"),  # README: before any event, a header
    (r"^leadboard agents", "2 steps"),
    (r"LeadBoard/GetAgentStats", '"agent": "leadqualification"'),
    (r"^sleep ", ""),
    (r"^leadboard list --stalled +#", " leads"),  # README: before any event
    (r"^leadboard list --stalled$", "STALLED, no event since"),
]

STREAMING = ("LeadBoard/WatchLeads", "leadboard watch")


def sections(text):
    """Yields (title of the enclosing '## ' section or '', body) pieces."""
    title, start = "", 0
    for match in re.finditer(r"^## (.+)$", text, re.M):
        yield title, text[start:match.start()]
        title, start = match.group(1).strip(), match.end()
    yield title, text[start:]


def split_commands(block):
    """One command per line; a heredoc is one command with its body."""
    lines = block.splitlines()
    commands = []
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        heredoc = re.search(r"<<'(\w+)'", line)
        if heredoc:
            body = [line]
            while i < len(lines):
                body.append(lines[i])
                i += 1
                if lines[i - 1].strip() == heredoc.group(1):
                    break
            commands.append("\n".join(body))
        else:
            commands.append(line)
    return commands


def recipes(path, skipped):
    """(source, command) for every command of the file's ```sh blocks."""
    text = open(os.path.join(ROOT, path), encoding="utf-8").read()
    found = []
    for title, body in sections(text):
        if title in skipped:
            continue
        for block in re.findall(r"^```sh\n(.*?)^```", body, re.S | re.M):
            found.extend((path, c) for c in split_commands(block))
    return found


def main():
    target, metrics, data_dir = sys.argv[1], sys.argv[2], sys.argv[3]
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([os.path.join(ROOT, "build", "go-bin"),
                                   os.path.join(ROOT, "build", "client", "cpp"), env["PATH"]])
    env["LEADBOARD_TARGET"] = target
    work = tempfile.mkdtemp(prefix="leadboard-recipes-")
    passed = failed = 0
    commands = []
    for path, skipped in SOURCES:
        found = recipes(path, skipped)
        if not found:
            failed += 1
            print(f"FAIL  {path}: no recipe found (no ```sh block)")
        commands.extend(found)
    used = set()
    for path, command in commands:
        first = command.splitlines()[0]
        runnable = (command.replace("127.0.0.1:50051", target)
                    .replace("127.0.0.1:9464", metrics)
                    .replace("~/.local/share/leadboard", data_dir))
        streaming = any(s in command for s in STREAMING)
        if streaming:
            runnable = f"timeout 3 {runnable}"
        result = subprocess.run(["bash", "-c", runnable], cwd=work, env=env, text=True,
                                capture_output=True, stdin=subprocess.DEVNULL)
        output = result.stdout + result.stderr
        match = next((x for x in EXPECTATIONS if re.search(x[0], first)), None)
        wanted_exit = match[2] if match is not None and len(match) > 2 else 0
        ok_exit = result.returncode == wanted_exit or (streaming and result.returncode == 124)
        if match is None:
            ok, why = False, "no expectation in tests/grpcurl/check_recipes.py for this recipe"
        else:
            used.add(match[0])
            match = match[:2]
            if not ok_exit:
                ok, why = False, f"exit code {result.returncode}"
            elif match[1] not in output:
                ok, why = False, f"output lacks {match[1]!r}"
            else:
                ok, why = True, ""
        if ok:
            passed += 1
            print(f"ok    {path}: {first}")
        else:
            failed += 1
            print(f"FAIL  {path}: {first}: {why}\n{output[-2000:]}")
    for pattern, *_ in EXPECTATIONS:
        if pattern not in used:
            failed += 1
            print(f"FAIL  no documented recipe matches {pattern!r} any more: "
                  "restore the recipe or drop the expectation")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
