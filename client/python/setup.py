"""Build hook: generate leadboard/_proto from the repository's proto files.

The proto directory is found, in order, from the environment variable
``LEADBOARD_PROTO_DIR``, then by walking up from this file to a directory that
holds ``proto/leadboard/v1`` (in the repository, ``../../proto``; in an
sdist, ``proto/`` beside this file, which the sdist command copies in).
Generated modules import each other package-relatively, so they live in the
private ``leadboard._proto`` package and never clash with another copy of the
same protos.

The runtime lower bounds of grpcio and protobuf are set to the versions the
stubs were generated with: generated code refuses older runtimes.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

HERE = Path(__file__).resolve().parent
PROTO_SUBDIR = Path("leadboard") / "v1"


def find_proto_root() -> Path:
    env = os.environ.get("LEADBOARD_PROTO_DIR")
    if env:
        root = Path(env).resolve()
        if (root / PROTO_SUBDIR).is_dir():
            return root
        raise SystemExit(f"LEADBOARD_PROTO_DIR={env} has no {PROTO_SUBDIR} directory")
    for parent in [HERE, *HERE.parents]:
        candidate = parent / "proto"
        if (candidate / PROTO_SUBDIR).is_dir():
            return candidate
    raise SystemExit(
        "cannot find proto/leadboard/v1 above "
        f"{HERE}; set LEADBOARD_PROTO_DIR to the repository's proto directory"
    )


_IMPORT_RE = re.compile(r"^from leadboard\.v1 import (\w+_pb2)", re.MULTILINE)


def generate(out_dir: Path) -> None:
    """Compiles every proto of leadboard/v1 into out_dir (a flat package)."""
    from grpc_tools import protoc  # build dependency
    import grpc_tools

    proto_root = find_proto_root()
    well_known = Path(grpc_tools.__file__).resolve().parent / "_proto"
    protos = sorted(str(p.relative_to(proto_root)) for p in (proto_root / PROTO_SUBDIR).glob("*.proto"))
    if not protos:
        raise SystemExit(f"no .proto files in {proto_root / PROTO_SUBDIR}")
    with tempfile.TemporaryDirectory() as tmp:
        args = [
            "grpc_tools.protoc",
            f"-I{proto_root}",
            f"-I{well_known}",
            f"--python_out={tmp}",
            f"--pyi_out={tmp}",
            f"--grpc_python_out={tmp}",
            *protos,
        ]
        if protoc.main(args) != 0:
            raise SystemExit("grpc_tools.protoc failed on " + " ".join(protos))
        out_dir.mkdir(parents=True, exist_ok=True)
        for old in out_dir.glob("*_pb2*.py*"):
            old.unlink()
        for src in sorted((Path(tmp) / PROTO_SUBDIR).iterdir()):
            text = src.read_text(encoding="utf-8")
            text = _IMPORT_RE.sub(r"from . import \1", text)
            (out_dir / src.name).write_text(text, encoding="utf-8")
    init = out_dir / "__init__.py"
    if not init.exists():
        shutil.copyfile(HERE / "leadboard" / "_proto" / "__init__.py", init)


class BuildPyWithProtos(build_py):
    """build_py that also generates leadboard/_proto."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            # Editable installs import from the source tree.
            generate(HERE / "leadboard" / "_proto")
        else:
            generate(Path(self.build_lib) / "leadboard" / "_proto")


class SdistWithProtos(sdist):
    """sdist that carries the protos (as proto/leadboard/v1 beside setup.py),
    so a wheel builds from it away from the repository."""

    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        super().make_release_tree(base_dir, files)
        source = find_proto_root() / PROTO_SUBDIR
        dest = Path(base_dir) / "proto" / PROTO_SUBDIR
        dest.mkdir(parents=True, exist_ok=True)
        for proto in sorted(source.glob("*.proto")):
            shutil.copyfile(proto, dest / proto.name)


def runtime_requirements() -> list[str]:
    reqs = ["grpcio>=1.62", "protobuf>=4.25", "googleapis-common-protos>=1.56"]
    try:
        from importlib.metadata import version

        grpc_version = version("grpcio-tools")
        pb_version = version("protobuf")
        reqs = [
            f"grpcio>={grpc_version}",
            f"protobuf>={pb_version},<{int(pb_version.split('.')[0]) + 1}",
            "googleapis-common-protos>=1.56",
        ]
    except Exception:  # pragma: no cover - metadata-only builds
        pass
    return reqs


setup(
    cmdclass={"build_py": BuildPyWithProtos, "sdist": SdistWithProtos},
    install_requires=runtime_requirements(),
)
