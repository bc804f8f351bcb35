"""Regenerate libs/proto from protos/ with the pinned grpcio-tools, or check for drift.

Usage: python scripts/generate_protos.py [--check]

The generated tree is a normal package (``datacompass.<service>.v1``) with ``__init__.py``
files, so imports work without sys.path tricks.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import tempfile
from pathlib import Path

import grpc_tools
from grpc_tools import protoc

ROOT = Path(__file__).resolve().parents[1]
PROTO_ROOT = ROOT / "protos"
OUT_ROOT = ROOT / "libs" / "proto"
PACKAGE = "datacompass"


def generate(out: Path) -> None:
    protos = sorted(str(p.relative_to(PROTO_ROOT)) for p in PROTO_ROOT.rglob("*.proto"))
    include = Path(grpc_tools.__file__).parent / "_proto"
    # The mypy plugins live beside this interpreter; don't rely on the venv being on PATH.
    bindir = Path(sys.executable).parent
    args = [
        "protoc",
        f"--plugin=protoc-gen-mypy={bindir / 'protoc-gen-mypy'}",
        f"--plugin=protoc-gen-mypy_grpc={bindir / 'protoc-gen-mypy_grpc'}",
        f"-I{PROTO_ROOT}",
        f"-I{include}",
        f"--python_out={out}",
        f"--grpc_python_out={out}",
        f"--mypy_out={out}",
        f"--mypy_grpc_out={out}",
        *protos,
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    pkg = out / PACKAGE
    for directory in [pkg, *(d for d in pkg.rglob("*") if d.is_dir())]:
        (directory / "__init__.py").touch()
    (pkg / "py.typed").touch()


def tree(root: Path) -> set[str]:
    return {
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true", help="fail on drift, write nothing")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        generate(fresh)
        if opts.check:
            committed = OUT_ROOT / PACKAGE
            want, have = tree(fresh / PACKAGE), tree(committed) if committed.exists() else set()
            drift = sorted(want ^ have) + sorted(
                f
                for f in want & have
                if not filecmp.cmp(fresh / PACKAGE / f, committed / f, shallow=False)
            )
            if drift:
                print("generated code is out of date; run `make generate`:", *drift, sep="\n  ")
                return 1
            print(f"generated code is up to date ({len(want)} files)")
            return 0
        shutil.rmtree(OUT_ROOT / PACKAGE, ignore_errors=True)
        shutil.copytree(fresh / PACKAGE, OUT_ROOT / PACKAGE)
        print(f"generated {len(tree(OUT_ROOT / PACKAGE))} files into {OUT_ROOT / PACKAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
