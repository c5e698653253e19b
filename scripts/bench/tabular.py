#!/usr/bin/env python3
"""Tabular copy: one CSV dataset (10 typed columns) loaded into PostgreSQL by copyjob (from S3),
pgloader and psql's \\copy (both from the same file on local disk); then PostgreSQL -> Parquet in
S3 when the jar has a file sink; then copyjob's peak RSS on 1M and 10M rows.

  tabular.py [--rows 1000000] [--big 10000000] [--files 10] [--skip-big] [--skip-files]
             [--skip-pgloader] [--no-report] [--out docs/benchmarks.md]

Run through scripts/bench/tabular, which provides s3proxy and the environment below:
  BENCH_S3_ENDPOINT  s3proxy's URL (key and secret in COPYJOB_LOCAL_S3_KEY / _SECRET)
  BENCH_PG_URL       jdbc:postgresql://host:port/database (user copyjob, password in PGPASSWORD)
Every load goes into a new table of the same DDL (dropped and created again), and the rows in it
are counted afterwards: a tool that loads a different number of rows fails the benchmark.
"""
import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
import bench  # noqa: E402  (machine(), the upload job, timing)
import tabgen  # noqa: E402

ROOT = bench.ROOT
BENCH = os.path.join(ROOT, ".bench", "tabular")
DATA = os.path.join(BENCH, "data")
WORK = os.path.join(BENCH, "work")
COPYJOB = bench.COPYJOB
BUCKET = "copyjob-bench-tabular"
TABLE = "bench_rows"
SECTION = "## Tabular copy: CSV in S3 → PostgreSQL"


def log(*args):
    print("tabular:", *args, file=sys.stderr, flush=True)


def env():
    e = dict(os.environ)
    e.setdefault("PGPASSWORD", "copyjob")
    return e


def pg():
    """(host, port, database) of BENCH_PG_URL."""
    u = urllib.parse.urlsplit(os.environ["BENCH_PG_URL"][len("jdbc:"):])
    return u.hostname, u.port or 5432, u.path.lstrip("/")


def psql(*args, sql=None):
    host, port, db = pg()
    cmd = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", str(port),
           "-U", "copyjob", "-d", db, "-At"] + list(args)
    if sql is not None:
        cmd += ["-c", sql]
    return subprocess.run(cmd, env=env(), capture_output=True, text=True, check=True).stdout


def fresh_table():
    # copyjob's ledger goes too: each run starts a fresh control store, so it is run 1 again, and
    # a ledger row of an earlier run 1 would make it skip the piece as loaded.
    psql(sql=f"DROP TABLE IF EXISTS {TABLE}; DROP TABLE IF EXISTS copyjob_loaded; "
             f"{tabgen.DDL.format(table=TABLE)}")


def count():
    return int(psql(sql=f"SELECT count(*) FROM {TABLE}").strip())


def fingerprint():
    """What the rows hold, beyond their count: NULLs, quotes kept, the sum of the amounts."""
    return psql(sql=f"SELECT count(note), count(qty), sum(amount), "
                    f"count(*) FILTER (WHERE note LIKE '%\"%'), "
                    f"count(*) FILTER (WHERE note LIKE E'%\\n%'), "
                    f"min(at_tz), max(day) FROM {TABLE}").strip()


def timed(cmd, cwd=None):
    """Runs cmd under GNU time: (wall s, cpu s, peak RSS MiB, output)."""
    return bench.timed(cmd, env=env(), cwd=cwd)


# ---------------------------------------------------------------- the dataset in S3

def s3_connection():
    return f"""connections:
  s3:
    type: s3
    endpoint: {os.environ['BENCH_S3_ENDPOINT']}
    pathStyle: true
    accessKeyIdEnv: COPYJOB_LOCAL_S3_KEY
    secretAccessKeyEnv: COPYJOB_LOCAL_S3_SECRET
    createBucket: true
"""


def fresh_control(name):
    path = os.path.join(WORK, "control", name)
    for suffix in (".mv.db", ".trace.db"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


def upload(folders):
    """The datasets into s3://BUCKET/ by a copyjob file copy (files already there are skipped)."""
    path = os.path.join(WORK, "upload.yaml")
    with open(path, "w") as f:
        f.write("name: bench-tabular-upload\n" + s3_connection())
        f.write(f"source:\n  root: {DATA}/\n  partitions: [{', '.join(n + '/' for n in folders)}]\n")
        f.write(f"sink:\n  root: s3://{BUCKET}/\n  connection: s3\n")
        f.write(f"control:\n  url: jdbc:h2:file:{fresh_control('upload')}\n")
    wall, _, _, _ = timed([COPYJOB, "run", path])
    log(f"uploaded {', '.join(folders)} to s3://{BUCKET}/ in {wall:.1f} s")


# ---------------------------------------------------------------- the loads

def copyjob_job(name, folder):
    path = os.path.join(WORK, f"{name}.yaml")
    with open(path, "w") as f:
        f.write(f"name: {name}\n" + s3_connection())
        f.write(f"""source:
  root: s3://{BUCKET}/
  connection: s3
  format: csv
  csv: {{header: true, nullValue: ""}}
sink:
  database:
    url: {os.environ['BENCH_PG_URL']}
    user: copyjob
    passwordEnv: PGPASSWORD
tableDefaults:
  write: append
  timeZone: UTC
tables:
  rows:
    files: {folder}/
    glob: "*.csv"
    target: public.{TABLE}
mode: full
control:
  url: jdbc:h2:file:{fresh_control(name)}
""")
    return path


def load_copyjob(folder):
    fresh_table()
    wall, cpu, rss, _ = timed([COPYJOB, "run", copyjob_job("bench-tabular", folder)])
    return wall, cpu, rss


def load_pgloader(folder):
    fresh_table()
    host, port, db = pg()
    files = sorted(f for f in os.listdir(os.path.join(DATA, folder)) if f.endswith(".csv"))
    if len(files) != 1:
        raise RuntimeError("the pgloader load reads one file")
    cols = ", ".join(f"{c} [null if blanks]" for c in tabgen.COLUMNS)
    spec = os.path.join(WORK, "pgloader.load")
    with open(spec, "w") as f:
        f.write(f"""LOAD CSV
  FROM '{os.path.join(DATA, folder, files[0])}' ({cols})
  INTO postgresql://copyjob@{host}:{port}/{db}?{TABLE} ({", ".join(tabgen.COLUMNS)})
  WITH skip header = 1,
       fields optionally enclosed by '"',
       fields escaped by double-quote,
       fields terminated by ','
  SET client_encoding to 'utf8';
""")
    wall, cpu, rss, out = timed(["pgloader", "--no-ssl-cert-verification", spec], cwd=WORK)
    errors = re.findall(r"^\s*Total import time\s+\S+\s+(\d+)\s+(\d+)\s+(\d+)", out, re.M)
    log(f"pgloader's summary: {errors[-1] if errors else '?'} (read, imported, errors)")
    return wall, cpu, rss


def load_psql(folder):
    fresh_table()
    host, port, db = pg()
    files = sorted(f for f in os.listdir(os.path.join(DATA, folder)) if f.endswith(".csv"))
    copies = [f"\\copy {TABLE} FROM '{os.path.join(DATA, folder, f)}' WITH (FORMAT csv, HEADER true)"
              for f in files]
    cmd = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", str(port), "-U",
           "copyjob", "-d", db]
    for c in copies:
        cmd += ["-c", c]
    wall, cpu, rss, _ = timed(cmd)
    return wall, cpu, rss


def jvm_start():
    """copyjob --version: the JVM and the command line, nothing else."""
    wall, _, _, _ = timed([COPYJOB, "--version"])
    return wall


def fixed_cost():
    """A run of one row: JVM, control store, preflight, pipeline, one COPY, the commit."""
    folder = "rows-1"
    tabgen.generate(DATA, 1)
    upload([folder])
    fresh_table()
    wall, _, _, _ = timed([COPYJOB, "run", copyjob_job("bench-tabular-one", folder)])
    return wall


# ---------------------------------------------------------------- PostgreSQL -> Parquet

def parquet_job():
    path = os.path.join(WORK, "to-parquet.yaml")
    with open(path, "w") as f:
        f.write("name: bench-tabular-parquet\n" + s3_connection())
        f.write(f"""source:
  database:
    url: {os.environ['BENCH_PG_URL']}
    user: copyjob
    passwordEnv: PGPASSWORD
sink:
  root: s3://{BUCKET}/parquet/
  connection: s3
  format: parquet
tables:
  rows:
    table: public.{TABLE}
    target: {TABLE}/
mode: full
control:
  url: jdbc:h2:file:{fresh_control('parquet')}
""")
    return path


def to_parquet():
    """Runs only when the jar takes sink.format: parquet (copyjob plan exits 0); else None."""
    path = parquet_job()
    p = subprocess.run([COPYJOB, "plan", path], env=env(), capture_output=True, text=True)
    if p.returncode != 0:
        why = (p.stderr.strip().splitlines() or ["?"])[-1]
        log(f"PostgreSQL -> Parquet skipped: copyjob plan exits {p.returncode}: {why}")
        return None
    path = parquet_job()  # a fresh control store: plan made one
    wall, cpu, rss, _ = timed([COPYJOB, "run", path])
    return wall, cpu, rss


# ---------------------------------------------------------------- the run

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=2, help="timed rounds, each reported")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--big", type=int, default=10_000_000)
    ap.add_argument("--files", type=int, default=10)
    ap.add_argument("--skip-big", action="store_true")
    ap.add_argument("--skip-files", action="store_true")
    ap.add_argument("--skip-pgloader", action="store_true")
    ap.add_argument("--no-report", action="store_true")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "benchmarks.md"))
    ap.add_argument("--report-only", action="store_true",
                    help="rewrite the section from the last run's figures (.bench/tabular/results.json)")
    args = ap.parse_args()
    saved = os.path.join(BENCH, "results.json")
    if args.report_only:
        write_section(args.out, json.load(open(saved)))
        return
    os.makedirs(WORK, exist_ok=True)
    started = datetime.datetime.now(datetime.timezone.utc)

    one = tabgen.name(args.rows, 1)
    folders = [one]
    log(f"writing the datasets under {DATA} (once)")
    tabgen.generate(DATA, args.rows)
    if not args.skip_files:
        folders.append(tabgen.name(args.rows, args.files))
        tabgen.generate(DATA, args.rows, args.files)
    if not args.skip_big:
        folders.append(tabgen.name(args.big, 1))
        tabgen.generate(DATA, args.big)
    upload(folders)
    size = sum(os.path.getsize(os.path.join(DATA, one, f))
               for f in os.listdir(os.path.join(DATA, one)) if f.endswith(".csv"))
    pgloader = not args.skip_pgloader and \
        subprocess.run(["which", "pgloader"], capture_output=True).returncode == 0
    if not pgloader and not args.skip_pgloader:
        log("pgloader is not installed (Debian: apt-get install pgloader); its row is missing")

    # One untimed copyjob run: the launcher's class data sharing archive, s3proxy's first reads.
    log("warming up (untimed copyjob run of one row)")
    fixed_cost()

    runs = []
    for k in range(1, args.runs + 1):
        results = []

        def measure(label, fn, *a, rows=args.rows):
            log(f"run {k}: {label} ...")
            r = fn(*a)
            n = count()
            fp = fingerprint()
            log(f"run {k}: {label}: {r[0]:.1f} s wall, {r[1]:.1f} s CPU, {r[2]:.0f} MiB peak RSS, "
                f"{n:,} rows")
            results.append({"tool": label, "wall": r[0], "cpu": r[1], "rss": r[2], "rows": n,
                            "expected": rows, "fingerprint": fp})
            return results[-1]

        load_before = os.getloadavg()
        measure("copyjob (S3)", load_copyjob, one)
        if pgloader:
            measure("pgloader (local file)", load_pgloader, one)
        measure("psql \\copy (local file)", load_psql, one)
        if not args.skip_files:
            measure(f"copyjob (S3, {args.files} files)", load_copyjob, folders[1])
            measure(f"psql \\copy ({args.files} files)", load_psql, folders[1])
        start = jvm_start()
        fixed = fixed_cost()
        log(f"run {k}: JVM start {start:.1f} s, a one-row run {fixed:.1f} s")

        # PostgreSQL -> Parquet in S3: the rows of the 1M set, loaded by psql.
        log(f"run {k}: PostgreSQL -> Parquet ...")
        load_psql(one)
        parquet = to_parquet()

        if not args.skip_big:
            measure(f"copyjob (S3, {args.big:,} rows)", load_copyjob, folders[-1], rows=args.big)
            fresh_table()  # the big table is not kept: ten times the disk of the others
        runs.append({"results": results, "jvm_start": start, "fixed": fixed, "parquet": parquet,
                     "load_before": load_before, "load_after": os.getloadavg()})

    figures = {"started": started.isoformat(), "rows": args.rows, "big": args.big,
               "files": args.files, "bytes": size, "runs": runs, "machine": machine()}
    with open(saved, "w") as f:
        json.dump(figures, f, indent=1)
    print(table(figures))
    bad = [(i + 1, r) for i, run in enumerate(runs) for r in run["results"]
           if r["rows"] != r["expected"]]
    if bad:
        log("row counts wrong: " + ", ".join(f"run {k} {r['tool']} {r['rows']:,}" for k, r in bad))
        sys.exit(1)
    fps = {r["fingerprint"] for run in runs for r in run["results"] if r["expected"] == args.rows}
    if len(fps) > 1:
        log("the tools loaded different values: " + "; ".join(
            f"{r['tool']}: {r['fingerprint']}" for r in runs[0]["results"]))
    if not args.no_report:
        write_section(args.out, figures)


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), "?")
    mem = int(open("/proc/meminfo").readline().split()[1]) // 1024 // 1024
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    sha = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True).stdout.strip()
    s3proxy = re.search(r"S3PROXY_VERSION=(\S+)",
                        open(os.path.join(ROOT, "scripts", "lib", "s3proxy.sh")).read()).group(1)
    pgv = psql(sql="SHOW server_version").strip()
    pgl = subprocess.run(["pgloader", "--version"], capture_output=True, text=True)
    return [("machine", f"{cpu}, {os.cpu_count()} cores, {mem} GiB RAM, "
                        f"Linux {platform.release()}"),
            ("copyjob", f"commit {sha}, DirectRunner, launcher defaults (scripts/copyjob: "
                        "C1 JIT, class data sharing archive made by an untimed first run)"),
            ("java", java),
            ("PostgreSQL", f"{pgv}, on the same machine, default settings (shared_buffers "
                           f"{psql(sql='SHOW shared_buffers').strip()}, fsync on)"),
            ("pgloader", (pgl.stdout.splitlines() or ["not installed"])[0]),
            ("psql", bench.version(["psql", "--version"])),
            ("s3proxy", f"{s3proxy}, filesystem backend")]


def table(fig):
    lines = ["| run | tool | wall s | rows/s | CPU s | peak RSS MiB | rows in the table |",
             "|---:|---|---:|---:|---:|---:|---:|"]
    for k, run in enumerate(fig["runs"], 1):
        for r in run["results"]:
            lines.append(f"| {k} | {r['tool']} | {r['wall']:.1f} | {r['expected'] / r['wall']:,.0f} | "
                         f"{r['cpu']:.1f} | {r['rss']:.0f} | {r['rows']:,} |")
    return "\n".join(lines)


def targets(fig):
    """(target, what each run measured, met in every run)."""
    out = []
    per = [{r["tool"]: r for r in run["results"]} for run in fig["runs"]]
    cj, pgl, ps = "copyjob (S3)", "pgloader (local file)", "psql \\copy (local file)"
    big = f"copyjob (S3, {fig['big']:,} rows)"
    if all(pgl in p for p in per):
        got = [p[pgl]["wall"] / p[cj]["wall"] for p in per]
        out.append(("copyjob rows/s ≥ pgloader's", got, "×", all(g >= 1 for g in got)))
    got = [p[cj]["wall"] / p[ps]["wall"] for p in per]
    out.append(("copyjob wall ≤ 2× `psql \\copy`'s", got, "×", all(g <= 2 for g in got)))
    if all(big in p for p in per):
        got = [p[big]["rss"] / p[cj]["rss"] - 1 for p in per]
        out.append((f"copyjob peak RSS flat from {fig['rows']:,} to {fig['big']:,} rows "
                    "(within 10%)", [g * 100 for g in got], "%", all(g <= 0.10 for g in got)))
    return out


def section(fig):
    started = datetime.datetime.fromisoformat(fig["started"])
    loads = "; ".join(f"run {k}: {run['load_before'][0]:.1f} before, {run['load_after'][0]:.1f} after"
                      for k, run in enumerate(fig["runs"], 1))
    lines = [SECTION, "",
             f"Written by `scripts/bench/tabular` (see scripts/bench/NOTES.md); run on "
             f"{started:%Y-%m-%d %H:%M} UTC, {len(fig['runs'])} rounds, each shown. Load average "
             f"(1 min) {loads}: the 2 cores were shared with other work, which slows every tool "
             "by what it takes of the CPU.", "",
             "| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in fig["machine"]]
    lines += ["", f"Dataset (`scripts/bench/tabgen.py`, fixed seed): {fig['rows']:,} rows × 10 "
              f"columns (bigint, int, numeric(12,2), double, boolean, date, timestamp, "
              f"timestamptz, varchar(40), text with commas, doubled quotes and a quoted line "
              f"break every 5,000 rows), one CSV file of {fig['bytes'] / 1e6:.0f} MB, in s3proxy "
              f"for copyjob and on local disk for pgloader and psql; the same rows as "
              f"{fig['files']} files; and {fig['big']:,} rows in one file for the memory check. "
              f"Each load goes into a new table of the same DDL; the rows are counted after it. "
              f"copyjob: `scripts/copyjob run`, write `append`, DirectRunner. pgloader: `LOAD CSV` "
              f"with its defaults. psql: `\\copy ... WITH (FORMAT csv, HEADER true)`. Wall time "
              f"is the whole command, JVM start included.", "",
              table(fig), ""]
    fixed = "; ".join(f"run {k}: JVM start {run['jvm_start']:.1f} s, one-row run {run['fixed']:.1f} s"
                      for k, run in enumerate(fig["runs"], 1))
    lines += [f"copyjob's fixed cost (in every copyjob row above): the JVM and command line alone "
              f"(`copyjob --version`), and a run that loads one row (JVM, control store, "
              f"preflight, pipeline, one COPY and its commit): {fixed}.", ""]
    parquet = [run["parquet"] for run in fig["runs"]]
    if all(parquet):
        lines += ["PostgreSQL → Parquet in S3, the same rows: " + "; ".join(
            f"run {k}: {w:.1f} s wall, {fig['rows'] / w:,.0f} rows/s, {c:.1f} s CPU, "
            f"{r:.0f} MiB peak RSS" for k, (w, c, r) in enumerate(parquet, 1)) + ".", ""]
    else:
        lines += ["PostgreSQL → Parquet in S3: not measured; this jar has no file sink yet "
                  "(`copyjob plan` refuses `sink.format: parquet`). The script measures it once "
                  "it does.", ""]
    lines += ["| target | measured | |", "|---|---:|---|"]
    for t, got, unit, ok in targets(fig):
        shown = ", ".join((f"{g:+.0f}{unit}" if unit == "%" else f"{g:.2f}{unit}") for g in got)
        lines.append(f"| {t} | {shown} | {'met' if ok else '**missed**'} |")
    lines.append("")
    return lines


def write_section(path, fig):
    """Puts the section into the report, in place of an older one, before the notes."""
    text = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
    lines = text.rstrip("\n").split("\n")
    new = section(fig)
    if SECTION in lines:
        i = lines.index(SECTION)
        j = next((k for k in range(i + 1, len(lines)) if lines[k].startswith("## ")), len(lines))
        lines[i:j] = new
    else:
        j = next((k for k, l in enumerate(lines) if l == "## Where the time goes"), len(lines))
        lines[j:j] = new
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    log(f"wrote {path}")


if __name__ == "__main__":
    main()
