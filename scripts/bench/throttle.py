#!/usr/bin/env python3
"""How closely copyjob keeps to copy.maxBytesPerSecond, S3 -> Azure and local -> local.

  throttle.py [--caps 100KB,2MB,20MB] [--seconds 30] [--paths s3az,local] [--out FILE]

Run through scripts/bench/throttle, which starts nothing: the local stack (scripts/local-stack
start) must be up. For each cap, a set of files that takes about --seconds at the cap is copied
once per path into a new, empty destination, while the bytes are watched from outside copyjob:

  S3 -> Azure     a counting proxy (countproxy.py) between copyjob and s3proxy counts the bytes
                  read from the source, sampled every 0.5 s
  local -> local  the sink folder's bytes (temporary files included), sampled every 0.25 s

The rate is the slope of a least-squares line through the samples between 10% and 90% of the
bytes: the copy's own pace, without the JVM's start, the checks before the run and the last
file's tail. The whole run's rate (bytes / the run's duration, as its summary prints it) and the
CPU seconds of the copyjob process are reported beside it.
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import bench  # noqa: E402

ROOT = bench.ROOT
BASE = os.path.join(ROOT, ".bench", "throttle")
DATA = os.path.join(BASE, "data")
WORK = os.path.join(BASE, "work")
BUCKET = "copyjob-throttle"
SEED = 20261201
UNITS = {"B": 1, "KB": 1000, "MB": 1000 ** 2, "GB": 1000 ** 3, "KIB": 1024, "MIB": 1024 ** 2}


def log(*args):
    print("throttle:", *args, file=sys.stderr, flush=True)


def parse_size(text):
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([KMG]i?B|B)?", text.strip(), re.IGNORECASE)
    if not m:
        raise ValueError(f"not a size: {text}")
    return int(float(m.group(1)) * UNITS[(m.group(2) or "B").upper()])


def the_set(cap, seconds):
    """(set name, file size, files): about `seconds` of copying at `cap` bytes per second, in
    files of about a quarter of a second's bytes (at least 20 of them, at most 4 MiB each)."""
    size = max(10_000, min(4 << 20, cap // 4))
    files = max(20, round(cap * seconds / size))
    return f"t{cap}", size, files


def generate(name, size, files):
    """Flat names (NAME-NNNN.bin): s3proxy's file backend lists a folder as an object."""
    done = os.path.join(DATA, f".{name}.done")
    definition = f"{size} {files}"
    if os.path.exists(done) and open(done).read() == definition:
        return
    os.makedirs(DATA, exist_ok=True)
    rng = random.Random(SEED + size)
    for i in range(files):
        with open(os.path.join(DATA, f"{name}-{i:04d}.bin"), "wb") as f:
            f.write(rng.randbytes(size))
    with open(done, "w") as f:
        f.write(definition)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def job_file(path, job, source, source_conn, partition, sink, sink_conn, cap, s3=None, az=None):
    bench.copyjob_job(path, job, source, source_conn, [partition], sink, sink_conn,
                      fresh_control(job), s3_endpoint=s3, azure_endpoint=az)
    with open(path, "a") as f:
        f.write(f"copy:\n  maxBytesPerSecond: {cap}\n" if cap else "")


def fresh_control(name):
    path = os.path.join(WORK, "control", name)
    for suffix in (".mv.db", ".trace.db"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


class Sampler(threading.Thread):
    """Samples (seconds, bytes) from `read` every `every` seconds until stopped."""

    def __init__(self, read, every):
        super().__init__(daemon=True)
        self.read, self.every, self.samples = read, every, []
        self.done = threading.Event()

    def run(self):
        start = time.monotonic()
        while not self.done.is_set():
            try:
                self.samples.append((time.monotonic() - start, self.read()))
            except (OSError, ValueError):
                pass
            self.done.wait(self.every)

    def stop(self):
        self.done.set()
        self.join()
        return self.samples


def folder_bytes(path):
    total = 0
    for dirpath, _, names in os.walk(path):
        for name in names:
            try:
                total += os.stat(os.path.join(dirpath, name)).st_size
            except FileNotFoundError:
                pass  # a temporary file renamed meanwhile: counted under its new name next time
    return total


def steady_rate(samples, total):
    """Least-squares slope (bytes/s) of the samples between 10% and 90% of `total`."""
    mid = [(t, b) for t, b in samples if 0.1 * total <= b <= 0.9 * total]
    # A sample each side, so that a copy that crosses the band between two samples still counts.
    before = [s for s in samples if s[1] < 0.1 * total][-1:]
    after = [s for s in samples if s[1] > 0.9 * total][:1]
    points = before + mid + after
    if len(points) < 3:
        return None
    n = len(points)
    mt = sum(t for t, _ in points) / n
    mb = sum(b for _, b in points) / n
    var = sum((t - mt) ** 2 for t, _ in points)
    return sum((t - mt) * (b - mb) for t, b in points) / var if var else None


def run_copyjob(job_path):
    wall, cpu, rss, out = bench.timed([bench.COPYJOB, "run", job_path], env=bench.copyjob_env())
    m = re.search(r"duration\s+([\d.]+) s", out)
    if "SUCCEEDED" not in out or not m:
        raise RuntimeError(f"the run did not succeed:\n{out[-3000:]}")
    return wall, cpu, float(m.group(1))


def s3_to_azure(cap, name, size, files):
    env = bench.ENV
    upstream = env["COPYJOB_LOCAL_S3_ENDPOINT"].split("//", 1)[1]
    port = free_port()
    counts = os.path.join(WORK, f"counts-{name}.json")
    if os.path.exists(counts):
        os.remove(counts)
    proxy = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__), "countproxy.py"),
                              "--listen", f"127.0.0.1:{port}", "--target", upstream,
                              "--out", counts, "--kind", "s3"])
    try:
        for _ in range(100):
            if os.path.exists(counts):
                break
            time.sleep(0.1)
        container = f"throttle-{name}-{int(time.time())}"
        path = os.path.join(WORK, f"s3az-{name}.yaml")
        job_file(path, f"throttle-s3az-{name}", f"s3://{BUCKET}/", "s3", f"{name}-",
                 f"azfs://{bench.ACCOUNT}/{container}/", "lake", cap,
                 s3=f"http://127.0.0.1:{port}", az=env["COPYJOB_LOCAL_AZURE_ENDPOINT"])
        sampler = Sampler(lambda: json.load(open(counts))["bytes_down"], 0.5)
        sampler.start()
        try:
            wall, cpu, duration = run_copyjob(path)
        finally:
            samples = sampler.stop()
        bench.azure_delete_container(env["COPYJOB_LOCAL_AZURE_ENDPOINT"], SAS[0], container)
    finally:
        proxy.send_signal(signal.SIGTERM)
        proxy.wait()
    # The proxy also counts listings and headers: the band is taken on what it counted.
    return result(cap, size, files, samples, samples[-1][1] if samples else 0, wall, cpu, duration)


def local_to_local(cap, name, size, files):
    sink = os.path.join(WORK, f"sink-{name}")
    shutil.rmtree(sink, ignore_errors=True)
    path = os.path.join(WORK, f"local-{name}.yaml")
    job_file(path, f"throttle-local-{name}", DATA + "/", None, f"{name}-", sink + "/", None, cap)
    subprocess.run(["sync"], check=True)
    sampler = Sampler(lambda: folder_bytes(sink), 0.25)
    sampler.start()
    try:
        wall, cpu, duration = run_copyjob(path)
    finally:
        samples = sampler.stop()
    got = folder_bytes(sink)
    shutil.rmtree(sink, ignore_errors=True)
    if got != size * files:
        raise RuntimeError(f"the sink holds {got} bytes, not {size * files}")
    return result(cap, size, files, samples, got, wall, cpu, duration)


def result(cap, size, files, samples, total, wall, cpu, duration):
    rate = steady_rate(samples, total)
    return {"cap": cap, "file_size": size, "files": files, "bytes": size * files,
            "steady": rate, "whole": size * files / duration, "duration": duration,
            "wall": wall, "cpu": cpu, "samples": len(samples)}


def human(rate):
    for unit, div in (("MiB/s", 1 << 20), ("KiB/s", 1 << 10)):
        if rate >= div:
            return f"{rate / div:.2f} {unit}"
    return f"{rate:.0f} B/s"


def report(rows, seconds):
    lines = [
        f"Caps of copy.maxBytesPerSecond, each over a set of about {seconds} s at the cap; "
        "steady rate: the slope of the bytes seen from outside copyjob between 10% and 90% "
        "of the set; whole run: bytes / the run's duration as its summary prints it.",
        "",
        "| path | cap | files | steady rate | % of cap | whole run | % of cap | run s | CPU s |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for path, label, r in rows:
        steady = "-" if r["steady"] is None else human(r["steady"])
        pct = "-" if r["steady"] is None else f"{100 * r['steady'] / r['cap']:.0f}%"
        lines.append(
            f"| {path} | {label} ({human(r['cap'])}) | {r['files']} x {r['file_size']:,} B "
            f"| {steady} | {pct} | {human(r['whole'])} | {100 * r['whole'] / r['cap']:.0f}% "
            f"| {r['duration']:.1f} | {r['cpu']:.1f} |")
    return "\n".join(lines) + "\n"


SAS = [None]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--caps", default="100KB,2MB,20MB")
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--paths", default="s3az,local")
    ap.add_argument("--out", default=os.path.join(BASE, "throttle.md"))
    args = ap.parse_args()
    bench.ENV.update(bench.stack_env())
    bench.WORK = WORK
    os.makedirs(WORK, exist_ok=True)
    SAS[0] = bench.account_sas(bench.ENV["COPYJOB_LOCAL_AZURE_KEY"])
    caps = [(c, parse_size(c)) for c in args.caps.split(",")]
    paths = args.paths.split(",")
    sets = [(label, cap) + the_set(cap, args.seconds) for label, cap in caps]
    for _, _, name, size, files in sets:
        generate(name, size, files)
    if "s3az" in paths:
        path = os.path.join(WORK, "upload.yaml")
        bench.copyjob_job(path, "throttle-upload", DATA + "/", None,
                          [f"{name}-" for _, _, name, _, _ in sets], f"s3://{BUCKET}/", "s3",
                          fresh_control("throttle-upload"),
                          s3_endpoint=bench.ENV["COPYJOB_LOCAL_S3_ENDPOINT"])
        log(f"uploading the sets to s3://{BUCKET}/")
        run_copyjob(path)
    rows = []
    for label, cap, name, size, files in sets:
        for path in paths:
            log(f"{path} at {label}: {files} x {size:,} B")
            r = (s3_to_azure if path == "s3az" else local_to_local)(cap, name, size, files)
            log(f"  steady {human(r['steady'] or 0)}, whole run {human(r['whole'])}, "
                f"{r['duration']:.1f} s, {r['cpu']:.1f} CPU s")
            rows.append(("S3 -> Azure" if path == "s3az" else "local -> local", label, r))
    text = report(rows, args.seconds)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
