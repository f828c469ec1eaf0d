#!/usr/bin/env python3
"""Checks deploy/ against the real build, since neither Docker nor systemd can
run on these machines:

- every server flag that compose.yaml passes, and every LEADBOARD_<FLAG> the
  systemd unit sets or documents, is a flag the built server accepts;
- the files compose.yaml mounts exist beside it;
- the binaries the Dockerfile copies out of its build stage are where a build
  puts them;
- the Dockerfile's runtime stage installs (directly or as dependencies) every
  Debian package whose shared libraries the built binaries load.

Prints one line per check and exits non-zero if any fails; a check that
cannot run here (no apt package lists) is reported as skipped.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
BUILD = ROOT / "build"
SERVER = BUILD / "server" / "leadboard-server"

results = {"ok": 0, "FAIL": 0, "skipped": 0}


def report(outcome: str, what: str, detail: str = "") -> None:
    results[outcome] += 1
    print(f"{outcome:7} {what}{': ' + detail if detail else ''}")


def server_flags() -> set[str]:
    text = subprocess.run([str(SERVER), "--helpfull"], capture_output=True, text=True).stdout
    return set(re.findall(r"^\s+--([a-z0-9_]+)", text, re.MULTILINE))


def check_flags(flags: set[str]) -> None:
    compose = (DEPLOY / "compose.yaml").read_text()
    used = re.findall(r"^\s*-\s*--([a-z0-9_]+)", compose, re.MULTILINE)
    unknown = sorted(set(used) - flags)
    report("FAIL" if unknown or not used else "ok", f"compose.yaml passes {len(used)} known flags",
           f"unknown {unknown}" if unknown else "")
    unit = (DEPLOY / "leadboard@.service").read_text()
    env = {name.lower() for name in re.findall(r"\bLEADBOARD_([A-Z0-9_]+)=", unit)}
    unknown = sorted(env - flags)
    report("FAIL" if unknown or not env else "ok",
           f"leadboard@.service sets {len(env)} known LEADBOARD_<FLAG> variables",
           f"unknown {unknown}" if unknown else "")


def check_mounts() -> None:
    compose = (DEPLOY / "compose.yaml").read_text()
    mounts = re.findall(r"\./([\w.@-]+):/", compose)
    missing = [m for m in mounts if not (DEPLOY / m).is_file()]
    report("FAIL" if missing or not mounts else "ok", f"compose.yaml mounts {mounts}",
           f"missing {missing}" if missing else "")


def runtime_stage() -> str:
    """The Dockerfile's last stage, continuation lines joined."""
    stages = re.split(r"^FROM ", (DEPLOY / "Dockerfile").read_text(), flags=re.MULTILINE)
    return stages[-1].replace("\\\n", " ")


def check_copied_binaries() -> list[Path]:
    runtime = runtime_stage()
    copy = re.search(r"COPY --from=build (.+?) (\S+)\s*$", runtime, re.MULTILINE)
    sources = copy.group(1).split() if copy else []
    binaries = [BUILD / Path(s).relative_to("/build") for s in sources]
    missing = [str(b) for b in binaries if not b.is_file()]
    report("FAIL" if missing or not binaries else "ok",
           f"the Dockerfile copies {[b.name for b in binaries]} from where a build puts them",
           f"missing {missing}" if missing else "")
    return [b for b in binaries if b.is_file()]


def needed_packages(binaries: list[Path]) -> set[str]:
    libraries = set()
    for binary in binaries:
        out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True).stdout
        for path in re.findall(r"=> (/\S+)", out):
            libraries.add(str(Path(path).resolve()))
    owners = subprocess.run(["dpkg", "-S", *sorted(libraries)], capture_output=True,
                            text=True).stdout
    return {line.split(":")[0] for line in owners.splitlines() if ":" in line}


def check_runtime_packages(binaries: list[Path]) -> None:
    runtime = runtime_stage()
    install = re.search(r"apt-get install -y --no-install-recommends ([^&]+)", runtime)
    listed = install.group(1).split() if install else []
    closure = subprocess.run(
        ["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests",
         "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", *listed],
        capture_output=True, text=True).stdout
    installed = {line.strip() for line in closure.splitlines() if not line.startswith(" ")}
    if not installed:
        report("skipped", "the runtime image's packages", "no apt package lists here")
        return
    needed = needed_packages(binaries)
    missing = sorted(needed - installed)
    report("FAIL" if missing or not needed else "ok",
           f"the runtime stage's {len(listed)} packages bring all {len(needed)} the binaries load",
           f"missing {missing}" if missing else "")


def main() -> int:
    if not SERVER.is_file():
        print(f"FAIL    {SERVER} not built")
        return 1
    check_flags(server_flags())
    check_mounts()
    binaries = check_copied_binaries()
    check_runtime_packages(binaries)
    print(f"deploy checks: {results['ok']} passed, {results['FAIL']} failed, "
          f"{results['skipped']} skipped")
    return 1 if results["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
