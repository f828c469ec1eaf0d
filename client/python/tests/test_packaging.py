"""The package under test is the installed one, with stubs generated at build time."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import leadboard
import leadboard._proto as proto

SOURCE = Path(__file__).resolve().parents[1] / "leadboard"


def test_installed_package_has_generated_stubs() -> None:
    installed = Path(leadboard.__file__).resolve().parent
    assert installed != SOURCE.resolve(), "tests must run against the installed (non-editable) package"
    generated = {p.name for p in Path(proto.__file__).parent.glob("*_pb2*.py")}
    for name in ("event", "enrichment", "lead", "board", "leadboard"):
        assert f"{name}_pb2.py" in generated
    assert "leadboard_pb2_grpc.py" in generated
    # Imports were rewritten to be package-relative (no top-level `leadboard.v1`).
    text = (Path(proto.__file__).parent / "leadboard_pb2_grpc.py").read_text()
    assert "from leadboard.v1" not in text and "from . import" in text


def test_public_api_reexports() -> None:
    for name in ("Client", "AsyncClient", "adapt", "EventAdapter", "ReportSummary", "Rejection",
                 "PipelineEvent", "Lead", "Board", "WatchEvent", "RetryPolicy"):
        assert hasattr(leadboard, name)
    assert leadboard.Client.__doc__ and leadboard.adapt.__doc__ and leadboard.Client.report.__doc__


def test_status_table_has_one_root() -> None:
    import grpc

    for code, cls in leadboard.STATUS_TO_ERROR.items():
        assert issubclass(cls, leadboard.LeadboardError)
    assert leadboard.STATUS_TO_ERROR[grpc.StatusCode.UNAVAILABLE] is leadboard.UnavailableError
    assert leadboard.STATUS_TO_ERROR[grpc.StatusCode.NOT_FOUND] is leadboard.NotFoundError
    assert leadboard.STATUS_TO_ERROR[grpc.StatusCode.PERMISSION_DENIED] is leadboard.PermissionDeniedError
    assert leadboard.STATUS_TO_ERROR[grpc.StatusCode.UNAUTHENTICATED] is leadboard.UnauthenticatedError
    assert leadboard.STATUS_TO_ERROR[grpc.StatusCode.INVALID_ARGUMENT] is leadboard.InvalidArgumentError
    assert issubclass(leadboard.RejectedEventsError, leadboard.LeadboardError)


def test_bearer_metadata() -> None:
    from leadboard._common import auth_metadata

    assert auth_metadata("s3cret") == (("authorization", "Bearer s3cret"),)
    assert auth_metadata(None) == ()


def test_sdist_builds_a_wheel_away_from_the_repository(tmp_path: Path) -> None:
    """`python -m build` makes the sdist, then the wheel from the unpacked sdist
    in a temporary directory: the protos must travel inside the sdist."""
    pytest.importorskip("build")
    env = {k: v for k, v in os.environ.items() if k != "LEADBOARD_PROTO_DIR"}
    done = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(tmp_path), str(SOURCE.parent)],
        env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    (sdist,) = tmp_path.glob("leadboard-*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = tar.getnames()
    assert any(n.endswith("proto/leadboard/v1/lead.proto") for n in names), names
    (wheel,) = tmp_path.glob("leadboard-*.whl")
    with zipfile.ZipFile(wheel) as whl:
        members = set(whl.namelist())
    for name in ("event", "enrichment", "lead", "board", "leadboard"):
        assert f"leadboard/_proto/{name}_pb2.py" in members
    for module in ("__init__", "__main__", "cli", "jobs", "_sample_data"):
        assert f"leadboard/sim/{module}.py" in members
    (entry_points,) = [n for n in members if n.endswith(".dist-info/entry_points.txt")]
    (metadata,) = [n for n in members if n.endswith(".dist-info/METADATA")]
    with zipfile.ZipFile(wheel) as whl:
        assert "leadboard-simulate = leadboard.sim.cli:main" in whl.read(entry_points).decode()
        # The package's README is its long description.
        description = whl.read(metadata).decode()
    assert "Description-Content-Type: text/markdown" in description
    assert "# leadboard — the Python worker SDK" in description and "## Move a card" in description


def test_simulator_runs_as_a_console_script_and_as_a_module(tmp_path: Path) -> None:
    script = shutil.which("leadboard-simulate", path=str(Path(sys.executable).parent))
    assert script, "the leadboard-simulate console script is not installed beside the interpreter"
    for command in ([script], [sys.executable, "-m", "leadboard.sim"]):
        # cwd away from the source tree: `-m` puts the cwd on sys.path.
        done = subprocess.run(command + ["--help"], capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert "--salespeople" in done.stdout and "--leads" in done.stdout
