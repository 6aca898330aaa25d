#!/usr/bin/env python3
"""Checks that csrc's #include lines run one way (DESIGN.md, "Layout"):

    bindings -> ops -> (autograd, kernels) -> core

- core includes only core;
- kernels include only kernels and core (never ops, autograd or bindings); a CUDA kernel never
  includes a CPU kernel's header, and the shared kernel headers (kernels/*.h) include neither
  side's: what both twins need lives in kernels/ (Note [One declaration per kernel family]);
- autograd includes autograd and core, and of ops only the math API, ops/ops.h;
- ops include anything but bindings;
- nothing outside bindings includes bindings.

Prints each offending line as file:line and exits 1 if there is any; exits 0 when all is well.
Usage: python tools/check_layers.py [CSRC_DIR]   (default: csrc beside this folder)
"""
import re
import sys
from pathlib import Path

# For each layer (the first folder under csrc/), what its files may include: a folder name
# allows that whole layer, a path ending in a file name allows that one header.
ALLOWED = {
    "core": {"core"},
    "kernels": {"kernels", "core"},
    "autograd": {"autograd", "core", "ops/ops.h"},
    "ops": {"ops", "autograd", "kernels", "core"},
    "bindings": {"bindings", "ops", "autograd", "kernels", "core"},
}
# Folders whose files may not include these prefixes, though their layer allows them.
FORBIDDEN = {
    "kernels/cuda": ("kernels/cpu/",),
    "kernels": ("kernels/cpu/", "kernels/cuda/"),  # the shared headers directly in kernels/
}
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')
SOURCE_SUFFIXES = {".h", ".cpp", ".cu", ".cuh"}


def violations(csrc: Path):
    for path in sorted(csrc.rglob("*")):
        if path.suffix not in SOURCE_SUFFIXES:
            continue
        parts = path.relative_to(csrc).parts
        layer, folder = parts[0], "/".join(parts[:-1])
        allowed = ALLOWED.get(layer)
        if allowed is None:
            yield f"{path}: unknown layer '{layer}' (add it to tools/check_layers.py)"
            continue
        for lineno, line in enumerate(path.read_text().splitlines(), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            target = m.group(1)
            if "/" not in target:  # a sibling header included by its bare name
                continue
            if target.startswith(FORBIDDEN.get(folder, ())):
                yield f"{path}:{lineno}: {folder} may not include \"{target}\""
            elif not (target.split("/")[0] in allowed or target in allowed):
                yield f"{path}:{lineno}: {layer} may not include \"{target}\""


def main(argv):
    csrc = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent / "csrc"
    found = list(violations(csrc))
    for v in found:
        print(v)
    if found:
        print(f"{len(found)} include(s) run against the layering (see tools/check_layers.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
