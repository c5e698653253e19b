#!/usr/bin/env python3
"""Writes the tabular benchmark's CSV files: rows from a fixed seed, the same on every machine.

  tabgen.py DIR ROWS [FILES]     DIR/rows-ROWS[-xFILES]/part-NN.csv, header line in each file

Ten typed columns (see DDL); about 100 bytes a row, so 1,000,000 rows are about 100 MB. The note
column holds commas, doubled quotes and, in one row of 5,000, a line break inside its quotes, so a
reader that splits lines instead of parsing CSV gets the count wrong. A dataset already written
with the same definition is left as it is (its .done file records it). Rows are streamed to disk,
so 10,000,000 rows need no more memory than 1,000.
"""
import datetime
import os
import random
import sys

SEED = 20261201
VERSION = 1  # bump when the rows change, so that old datasets are written again

COLUMNS = ["id", "qty", "amount", "score", "active", "day", "at", "at_tz", "code", "note"]
DDL = """CREATE TABLE {table} (
  id bigint NOT NULL,
  qty integer,
  amount numeric(12,2),
  score double precision,
  active boolean,
  day date,
  at timestamp,
  at_tz timestamptz,
  code varchar(40),
  note text
)"""

WORDS = ["alpha", "beta", "gamma", "delta", "north", "south", "east", "west", "red", "green",
         "blue", "amber", "copper", "silver", "harbour", "meadow", "granite", "willow"]
EPOCH = datetime.datetime(2020, 1, 1)
DAY0 = datetime.date(2020, 1, 1).toordinal()


def name(rows, files):
    return f"rows-{rows}" + (f"-x{files}" if files > 1 else "")


def path(root, rows, files=1):
    return os.path.join(root, name(rows, files))


def row(i, rng):
    qty = rng.randrange(-100, 10000)
    amount = f"{rng.randrange(-999999, 9999999) / 100:.2f}"
    score = f"{rng.random() * 1e4:.3f}"
    active = "true" if rng.random() < 0.5 else "false"
    day = datetime.date.fromordinal(DAY0 + rng.randrange(3650)).isoformat()
    at = (EPOCH + datetime.timedelta(seconds=rng.randrange(315_360_000),
                                     milliseconds=rng.randrange(1000)))
    at_text = at.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    offset = rng.choice(["+00:00", "+02:00", "-05:00", "+09:00"])
    at_tz = at.strftime("%Y-%m-%d %H:%M:%S") + offset
    code = f"{rng.choice(WORDS)[:4]}-{i}"
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(1, 4)))
    kind = i % 10
    if i % 5000 == 0:
        note = f'"{words},\nsecond line"'
    elif kind < 3:
        note = f'"{words}, {rng.choice(WORDS)}"'  # a comma inside quotes
    elif kind < 5:
        note = f'"said ""{words}"""'  # doubled quotes
    elif kind == 5:
        note = ""  # NULL (the jobs' and the tools' null value is the empty field)
    else:
        note = words
    nullable_qty = "" if i % 97 == 0 else str(qty)
    return ",".join([str(i), nullable_qty, amount, score, active, day, at_text, at_tz, code, note])


def generate(root, rows, files=1):
    """Writes the dataset once; returns its folder."""
    folder = path(root, rows, files)
    done = os.path.join(folder, ".done")
    stamp = f"{VERSION} {SEED} {rows} {files}"
    if os.path.exists(done) and open(done).read() == stamp:
        return folder
    os.makedirs(folder, exist_ok=True)
    for old in os.listdir(folder):
        os.remove(os.path.join(folder, old))
    rng = random.Random(SEED)
    per = rows // files
    i = 1
    for f in range(files):
        count = per if f < files - 1 else rows - per * (files - 1)
        with open(os.path.join(folder, f"part-{f:02d}.csv"), "w", newline="",
                  buffering=1 << 20) as out:
            out.write(",".join(COLUMNS) + "\n")
            chunk = []
            for _ in range(count):
                chunk.append(row(i, rng))
                i += 1
                if len(chunk) == 10_000:
                    out.write("\n".join(chunk) + "\n")
                    chunk = []
            if chunk:
                out.write("\n".join(chunk) + "\n")
    with open(done, "w") as f:
        f.write(stamp)
    return folder


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    print(generate(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) == 4 else 1))
