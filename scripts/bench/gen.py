#!/usr/bin/env python3
"""Writes the benchmark datasets: random bytes from a fixed seed, the same on every machine.

  gen.py DIR SET...      SET is A, B, C, D, P5, P2000 or a scale set S10k, S100k, S1M

  A  1,000 x 1 MiB over 5 prefixes      B  10 x 100 MiB
  C  20,000 x 4 KiB over 5 prefixes     D  5 GiB of 64 MiB files (80 files)
  P5  10,000 x 1 KiB over 5 prefixes    P2000  10,000 x 1 KiB over 2,000 prefixes (local sets)
  S10k, S100k, S1M  that many 1-byte files in one folder (the listing scaling run)

A set already written with the same definition is left as it is (DIR/SET.done records it).
"""
import os
import random
import sys

SEED = 20261123
MIB = 1 << 20
SETS = {
    # name: (files, size, prefixes)
    "A": (1_000, MIB, 5),
    "B": (10, 100 * MIB, 1),
    "C": (20_000, 4 << 10, 5),
    "D": (80, 64 * MIB, 1),
    "P5": (10_000, 1 << 10, 5),
    "P2000": (10_000, 1 << 10, 2_000),
    "S10k": (10_000, 1, 1),
    "S100k": (100_000, 1, 1),
    "S1M": (1_000_000, 1, 1),
}
CHUNK = 4 * MIB


def layout(name):
    """(relative path, size) of every file of a set, in folders p0, p1, ... where it has prefixes."""
    files, size, prefixes = SETS[name]
    width = len(str(files - 1))
    for i in range(files):
        folder = f"p{i % prefixes}/" if prefixes > 1 else ""
        yield f"{folder}file-{i:0{width}d}.bin", size


def write(path, size, rng):
    with open(path, "wb") as out:
        left = size
        while left > 0:
            n = min(CHUNK, left)
            out.write(rng.randbytes(n))
            left -= n


def generate(base, name):
    files, size, prefixes = SETS[name]
    definition = f"seed={SEED} files={files} size={size} prefixes={prefixes}\n"
    root = os.path.join(base, name)
    done = os.path.join(base, name + ".done")
    if os.path.exists(done) and open(done).read() == definition:
        print(f"gen: {name} is there ({files} files)", file=sys.stderr)
        return
    print(f"gen: writing {name}: {files} x {size} bytes", file=sys.stderr)
    os.makedirs(root, exist_ok=True)
    for rel, n in layout(name):
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        # One generator per file, seeded by the set and the name: any file can be rewritten alone.
        write(path, n, random.Random(f"{SEED}/{name}/{rel}"))
    with open(done, "w") as f:
        f.write(definition)


def main(argv):
    if len(argv) < 3 or any(s not in SETS for s in argv[2:]):
        print(__doc__, file=sys.stderr)
        return 2
    for name in argv[2:]:
        generate(argv[1], name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
