"""Rewrites CUDA launches for the host emulator (tools/cuda_emu/README.md).

    kernel<T><<<grid, block, smem, stream>>>(a, b)
becomes
    ::emu::launch_args(dim3(grid), dim3(block), smem, stream, [=](auto... k) { kernel<T>(k...); }, a, b)

so the arguments are evaluated and copied at the launch, as CUDA copies them, and the kernel's
template arguments are still deduced from the call. Everything else of the
source is kept byte for byte. Usage: preprocess.py SRC_DIR OUT_DIR (every .cu/.cuh of SRC_DIR).
"""
import pathlib
import sys

OPEN = {"(": ")", "[": "]", "{": "}"}


def split_top(text):
    """Splits at commas outside (), [] and {}."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    parts.append(cur.strip())
    return parts


def kernel_start(src, end):
    """Index where the kernel expression ending at `end` (exclusive) begins."""
    i = end
    while True:
        if i > 0 and src[i - 1] == ">":  # explicit template arguments: skip the balanced <...>
            depth, i = 0, i - 1
            while True:
                if src[i] == ">":
                    depth += 1
                elif src[i] == "<":
                    depth -= 1
                    if depth == 0:
                        break
                i -= 1
        while i > 0 and (src[i - 1].isalnum() or src[i - 1] in "_:"):
            i -= 1
        return i


def rewrite(src):
    out, pos = [], 0
    while True:
        k = src.find("<<<", pos)
        if k < 0:
            out.append(src[pos:])
            return "".join(out)
        start = kernel_start(src, k)
        kernel = src[start:k]
        close = src.find(">>>", k)
        config = split_top(src[k + 3:close])
        while len(config) < 4:
            config.append("0" if len(config) == 2 else "nullptr")
        p = close + 3
        while src[p].isspace():
            p += 1
        assert src[p] == "(", "launch without an argument list at " + repr(src[start:p + 20])
        depth, q = 0, p
        while True:
            if src[q] == "(":
                depth += 1
            elif src[q] == ")":
                depth -= 1
                if depth == 0:
                    break
            q += 1
        args = src[p + 1:q].strip()
        out.append(src[pos:start])
        out.append("::emu::launch_args(dim3(%s), dim3(%s), %s, %s, [=](auto... k) { %s(k...); }%s)"
                   % (config[0], config[1], config[2], config[3], kernel, ", " + args if args else ""))
        pos = q + 1


def main():
    src_dir, out_dir = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    out_dir.mkdir(parents=True, exist_ok=True)
    for f in sorted(src_dir.iterdir()):
        if f.suffix in (".cu", ".cuh"):
            (out_dir / f.name).write_text(rewrite(f.read_text()))
        elif f.suffix == ".h":
            (out_dir / f.name).write_text(f.read_text())


if __name__ == "__main__":
    main()
