#!/usr/bin/env python3
"""Runs the README's grpcurl (and CLI) recipes against a real server.

Every command in the README's "grpcurl" and "Operating leadboard" shell blocks
is run as written, with the address replaced by the test server's, and its
output is checked for what the README promises. Prints one line per command
and "N passed, M failed" at the end; exits non-zero on any failure.
"""
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
README = os.path.join(ROOT, "README.md")

# (pattern in the command, text its output must contain)
EXPECTATIONS = [
    (r"grpcurl .* list$", "leadboard.v1.LeadBoard"),
    (r"describe leadboard.v1.LeadBoard", "rpc IngestEvents ( stream .leadboard.v1.PipelineEvent ) returns ( .leadboard.v1.IngestSummary )"),
    (r"Health/Check", '"status": "SERVING"'),
    (r"LeadBoard/IngestEvents", '"accepted": "2"'),
    (r"LeadBoard/WatchLeads", '"synced": {}'),
    (r"LeadBoard/GetLead", "TechStart Solutions"),
    (r"LeadBoard/ListLeads", '"stage": "research"'),
    (r"LeadBoard/GetBoard", '"id": "harvested"'),
    (r"leadboard board", "leads at revision"),
    (r"leadboard list", "techstart"),
    (r"leadboard get techstart", "== Pain point analysis"),
    (r"leadboard watch", "synced at r"),
    (r"leadboard ingest", "accepted"),
    (r"curl .*/metrics", "leadboard_events_total"),
    (r"sqlite3 .*\.backup", ""),
    (r"cat > events.json", ""),
]

STREAMING = ("LeadBoard/WatchLeads", "leadboard watch")


def blocks(section_titles):
    """Shell commands of the ```sh blocks under the given '## ' sections."""
    text = open(README, encoding="utf-8").read()
    commands = []
    for title in section_titles:
        match = re.search(r"^## " + re.escape(title) + r"\n(.*?)(?=^## )", text, re.S | re.M)
        if not match:
            raise SystemExit(f"README has no section '## {title}'")
        for block in re.findall(r"```sh\n(.*?)```", match.group(1), re.S):
            lines = block.splitlines()
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


def main():
    target, metrics, data_dir = sys.argv[1], sys.argv[2], sys.argv[3]
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([os.path.join(ROOT, "build", "go-bin"),
                                   os.path.join(ROOT, "build", "client", "cpp"), env["PATH"]])
    env["LEADBOARD_TARGET"] = target
    work = tempfile.mkdtemp(prefix="leadboard-readme-")
    passed = failed = 0
    for command in blocks(["grpcurl", "Operating leadboard"]):
        runnable = (command.replace("127.0.0.1:50051", target)
                    .replace("127.0.0.1:9464", metrics)
                    .replace("~/.local/share/leadboard", data_dir))
        streaming = any(s in command for s in STREAMING)
        if streaming:
            runnable = f"timeout 3 {runnable}"
        result = subprocess.run(["bash", "-c", runnable], cwd=work, env=env, text=True,
                                capture_output=True, stdin=subprocess.DEVNULL)
        output = result.stdout + result.stderr
        expected = next((e for p, e in EXPECTATIONS if re.search(p, command.splitlines()[0])), None)
        ok_exit = result.returncode == 0 or (streaming and result.returncode == 124)
        if expected is None:
            ok, why = False, "no expectation in check_readme.py for this README command"
        elif not ok_exit:
            ok, why = False, f"exit code {result.returncode}"
        elif expected not in output:
            ok, why = False, f"output lacks {expected!r}"
        else:
            ok, why = True, ""
        first = command.splitlines()[0]
        if ok:
            passed += 1
            print(f"ok    {first}")
        else:
            failed += 1
            print(f"FAIL  {first}: {why}\n{output[-2000:]}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
