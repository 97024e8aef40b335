"""Generate the Python code of doudi's contracts from protos/ (run by `make proto`).

The generated tree is never edited by hand and never committed: it is rebuilt from the
protos, and a stamp holding the protos' digest lets tests detect a stale build.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from pathlib import Path

import grpc_tools
from grpc_tools import protoc

ROOT = Path(__file__).resolve().parents[2]
PROTOS = ROOT / "protos"
OUT = Path(__file__).resolve().parent / "src"
GENERATED = OUT / "doudi"
STAMP = GENERATED / "PROTOS_DIGEST"


def protos_digest(protos_dir: Path = PROTOS) -> str:
    """Digest of every .proto file (path and content), in a stable order."""
    digest = hashlib.sha256()
    for path in sorted(protos_dir.rglob("*.proto")):
        digest.update(path.relative_to(protos_dir).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def main() -> int:
    files = sorted(str(p.relative_to(PROTOS)) for p in PROTOS.rglob("*.proto"))
    if GENERATED.exists():
        shutil.rmtree(GENERATED)
    GENERATED.mkdir(parents=True)
    include = Path(grpc_tools.__file__).parent / "_proto"
    args = [
        "protoc",
        f"-I{PROTOS}",
        f"-I{include}",
        f"--python_out={OUT}",
        f"--grpc_python_out={OUT}",
        f"--mypy_out=quiet:{OUT}",
        f"--mypy_grpc_out=quiet:{OUT}",
        *files,
    ]
    # protoc finds the mypy plugins on PATH: they live beside this interpreter.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    if protoc.main(args) != 0:
        print("protoc failed", file=sys.stderr)
        return 1
    for folder in [GENERATED, *(p for p in GENERATED.rglob("*") if p.is_dir())]:
        (folder / "__init__.py").touch()
    STAMP.write_text(protos_digest() + "\n")
    print(f"generated {len(files)} proto files into {GENERATED.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
