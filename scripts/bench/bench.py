#!/usr/bin/env python3
"""copyjob side by side with rclone and cp on the local stack; writes docs/benchmarks.md.

  bench.py [--runs N] [--sets A,B,C] [--skip-local] [--skip-scale] [--skip-count]
           [--scale S10k,S100k,S1M] [--out docs/benchmarks.md]

Run through scripts/bench/run, which starts nothing: the local stack (scripts/local-stack start)
must be up. Every timed run copies into a new, empty destination that is removed afterwards, so
both tools always do the whole copy. The tools alternate within a round (copyjob, rclone, then
rclone, copyjob in the next round) and the median of the rounds is reported.
"""
import argparse
import base64
import datetime
import hashlib
import hmac
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BENCH = os.path.join(ROOT, ".bench")
DATA = os.path.join(BENCH, "data")
WORK = os.path.join(BENCH, "work")
COPYJOB = os.path.join(ROOT, "scripts", "copyjob")
sys.path.insert(0, os.path.dirname(__file__))
import gen  # noqa: E402

BUCKET = "copyjob-bench"
ACCOUNT = "devstoreaccount1"
S3_PROXY_PORT, AZ_PROXY_PORT = 19000, 19010
RCLONE_TRANSFERS = 16


def log(*args):
    print("bench:", *args, file=sys.stderr, flush=True)


def stack_env():
    out = subprocess.run([os.path.join(ROOT, "scripts", "local-stack"), "env"],
                         capture_output=True, text=True, check=True).stdout
    env = {}
    for line in out.splitlines():
        m = re.match(r"export (\w+)=(.*)", line)
        if m:
            env[m.group(1)] = m.group(2)
    return env


ENV = {}


def port_of(url):
    return urllib.parse.urlsplit(url).port


# ---------------------------------------------------------------- Azure REST (account SAS)

def account_sas(key_b64, hours=24, version="2019-12-12"):
    now = datetime.datetime.now(datetime.timezone.utc)
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    start, expiry = (now - datetime.timedelta(minutes=5)).strftime(fmt), \
        (now + datetime.timedelta(hours=hours)).strftime(fmt)
    perms, services, types, proto = "rwdlacup", "b", "sco", "https,http"
    to_sign = "\n".join([ACCOUNT, perms, services, types, start, expiry, "", proto, version, ""])
    sig = base64.b64encode(hmac.new(base64.b64decode(key_b64), to_sign.encode(),
                                    hashlib.sha256).digest()).decode()
    return urllib.parse.urlencode({"sv": version, "ss": services, "srt": types, "sp": perms,
                                   "st": start, "se": expiry, "spr": proto, "sig": sig})


def azure_delete_container(endpoint, sas, name):
    req = urllib.request.Request(f"{endpoint}/{name}?restype=container&{sas}", method="DELETE")
    try:
        urllib.request.urlopen(req).read()
    except urllib.error.HTTPError as e:
        if e.code != 404:
            raise


# ---------------------------------------------------------------- measuring a command

def timed(cmd, env=None, cwd=None):
    """Runs cmd under GNU time: (wall s, cpu s, peak RSS MiB, output)."""
    fmt = "BENCHTIME %e %U %S %M"
    p = subprocess.run(["/usr/bin/time", "-f", fmt] + cmd, env=env, cwd=cwd,
                       capture_output=True, text=True)
    line = [l for l in p.stderr.splitlines() if l.startswith("BENCHTIME")][-1].split()
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout[-2000:]}"
                           f"\n{p.stderr[-2000:]}")
    return float(line[1]), float(line[2]) + float(line[3]), int(line[4]) / 1024, p.stdout + p.stderr


def rclone_env(conf="rclone.conf"):
    env = dict(os.environ)
    # Debian's rclone 1.60 refuses to start when AWS_CA_BUNDLE is set and only plain HTTP is used.
    env.pop("AWS_CA_BUNDLE", None)
    env["RCLONE_CONFIG"] = os.path.join(WORK, conf)
    return env


def copyjob_env():
    env = dict(os.environ)
    env.update(ENV)
    return env


def write_rclone_conf(s3_endpoint, azure_endpoint, sas, conf="rclone.conf"):
    with open(os.path.join(WORK, conf), "w") as f:
        f.write(f"""[src]
type = s3
provider = Other
access_key_id = {ENV['COPYJOB_LOCAL_S3_KEY']}
secret_access_key = {ENV['COPYJOB_LOCAL_S3_SECRET']}
endpoint = {s3_endpoint}
force_path_style = true

[dst]
type = azureblob
sas_url = {azure_endpoint}?{sas}
""")


def prefixes(name):
    files, _, n = gen.SETS[name]
    return [f"{name}/p{i}/" for i in range(n)] if n > 1 else [f"{name}/"]


def copyjob_job(path, job, source, source_conn, partitions, sink, sink_conn, control,
                s3_endpoint=None, azure_endpoint=None):
    conns = []
    if s3_endpoint:
        conns.append(f"""  s3:
    type: s3
    endpoint: {s3_endpoint}
    pathStyle: true
    accessKeyIdEnv: COPYJOB_LOCAL_S3_KEY
    secretAccessKeyEnv: COPYJOB_LOCAL_S3_SECRET
    createBucket: true""")
    if azure_endpoint:
        conns.append(f"""  lake:
    type: azure
    account: {ACCOUNT}
    endpoint: {azure_endpoint}
    accountKeyEnv: COPYJOB_LOCAL_AZURE_KEY
    createContainer: true""")
    with open(path, "w") as f:
        f.write(f"name: {job}\n")
        if conns:
            f.write("connections:\n" + "\n".join(conns) + "\n")
        f.write(f"source:\n  root: {source}\n")
        if source_conn:
            f.write(f"  connection: {source_conn}\n")
        f.write(f"  partitions: [{', '.join(partitions)}]\n")
        f.write(f"sink:\n  root: {sink}\n")
        if sink_conn:
            f.write(f"  connection: {sink_conn}\n")
        f.write(f"control:\n  url: jdbc:h2:file:{control}\n")


def fresh_control(name):
    path = os.path.join(WORK, "control", name)
    for suffix in (".mv.db", ".trace.db"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


# ---------------------------------------------------------------- the datasets in S3

def upload(sets):
    path = os.path.join(WORK, "upload.yaml")
    copyjob_job(path, "bench-upload", DATA + "/", None, [f"{s}/" for s in sets],
                f"s3://{BUCKET}/", "s3", fresh_control("upload"),
                s3_endpoint=ENV["COPYJOB_LOCAL_S3_ENDPOINT"])
    log(f"uploading {','.join(sets)} to s3://{BUCKET}/ (files already there are skipped)")
    wall, _, _, out = timed([COPYJOB, "run", path], env=copyjob_env())
    log(f"upload checked in {wall:.1f} s")


# ---------------------------------------------------------------- S3 -> Azurite

def run_s3_to_azure(tool, name, container, s3_endpoint, azure_endpoint, conf="rclone.conf"):
    if tool == "copyjob":
        path = os.path.join(WORK, f"s3az-{name}.yaml")
        copyjob_job(path, f"bench-{name}", f"s3://{BUCKET}/", "s3", prefixes(name),
                    f"azfs://{ACCOUNT}/{container}/", "lake", fresh_control(container),
                    s3_endpoint=s3_endpoint, azure_endpoint=azure_endpoint)
        return timed([COPYJOB, "run", path], env=copyjob_env())
    return timed(["rclone", "copy", "--transfers", str(RCLONE_TRANSFERS),
                  "--checkers", str(RCLONE_TRANSFERS), f"src:{BUCKET}/{name}",
                  f"dst:{container}/{name}"], env=rclone_env(conf))


def check_container(container, name):
    out = subprocess.run(["rclone", "size", "--json", f"dst:{container}"], env=rclone_env(),
                         capture_output=True, text=True, check=True).stdout
    got = json.loads(out)
    files, size, _ = gen.SETS[name]
    if got["count"] != files or got["bytes"] != files * size:
        raise RuntimeError(f"{container}: {got['count']} files, {got['bytes']} bytes; "
                           f"expected {files}, {files * size}")


def s3_to_azure(sets, runs, sas):
    az = ENV["COPYJOB_LOCAL_AZURE_ENDPOINT"]
    write_rclone_conf(ENV["COPYJOB_LOCAL_S3_ENDPOINT"], az, sas)
    results = {}
    stamp = int(time.time())
    # One untimed run of each tool first: s3proxy's and Azurite's first requests are slow.
    for tool in ("copyjob", "rclone"):
        c = f"warm-{tool}-{stamp}"
        run_s3_to_azure(tool, sets[0], c, ENV["COPYJOB_LOCAL_S3_ENDPOINT"], az)
        azure_delete_container(az, sas, c)
    for r in range(runs):
        order = ("copyjob", "rclone") if r % 2 == 0 else ("rclone", "copyjob")
        for name in sets:
            for tool in order:
                c = f"b{stamp}-{tool}-{name.lower()}-{r}"
                wall, cpu, rss, _ = run_s3_to_azure(
                    tool, name, c, ENV["COPYJOB_LOCAL_S3_ENDPOINT"], az)
                check_container(c, name)
                azure_delete_container(az, sas, c)
                results.setdefault((name, tool), []).append((wall, cpu, rss))
                log(f"run {r + 1}/{runs} {name} {tool}: {wall:.1f} s, cpu {cpu:.1f} s, "
                    f"rss {rss:.0f} MiB")
    return results


# ---------------------------------------------------------------- requests per file

def count_requests(sets, sas):
    """One run per tool and set with both servers behind counting proxies."""
    az = ENV["COPYJOB_LOCAL_AZURE_ENDPOINT"]
    s3_port, az_port = port_of(ENV["COPYJOB_LOCAL_S3_ENDPOINT"]), port_of(az)
    s3p = f"http://127.0.0.1:{S3_PROXY_PORT}"
    azp = f"http://127.0.0.1:{AZ_PROXY_PORT}/{ACCOUNT}"
    write_rclone_conf(s3p, azp, sas, "rclone-count.conf")
    counts = {}
    stamp = int(time.time())
    for name in sets:
        for tool in ("copyjob", "rclone"):
                files = {}
                procs = []
                for kind, listen, target in (("s3", S3_PROXY_PORT, s3_port),
                                             ("azure", AZ_PROXY_PORT, az_port)):
                    out = os.path.join(WORK, f"counts-{kind}.json")
                    if os.path.exists(out):
                        os.remove(out)
                    procs.append(subprocess.Popen(
                        [sys.executable, os.path.join(os.path.dirname(__file__), "countproxy.py"),
                         "--listen", f"127.0.0.1:{listen}", "--target", f"127.0.0.1:{target}",
                         "--out", out, "--kind", kind]))
                    files[kind] = out
                for out in files.values():
                    for _ in range(100):
                        if os.path.exists(out):
                            break
                        time.sleep(0.1)
                c = f"n{stamp}-{tool}-{name.lower()}"
                try:
                    run_s3_to_azure(tool, name, c, s3p, azp, "rclone-count.conf")
                finally:
                    for p in procs:
                        p.send_signal(signal.SIGTERM)
                        p.wait()
                check_container(c, name)
                azure_delete_container(az, sas, c)
                counts[(name, tool)] = {k: json.load(open(v)) for k, v in files.items()}
                log(f"requests {name} {tool}: s3 {counts[(name, tool)]['s3']['total']}, "
                    f"azure {counts[(name, tool)]['azure']['total']}")
    return counts


# ---------------------------------------------------------------- local -> local

def local_to_local(runs):
    out_dir = os.path.join(BENCH, "out-local")
    results = {}
    for r in range(runs):
        order = ("copyjob", "cp") if r % 2 == 0 else ("cp", "copyjob")
        for tool in order:
            shutil.rmtree(out_dir, ignore_errors=True)
            subprocess.run(["sync"])
            if tool == "cp":
                wall, cpu, rss, _ = timed(["cp", "-r", os.path.join(DATA, "D"), out_dir])
            else:
                path = os.path.join(WORK, "local-D.yaml")
                copyjob_job(path, "bench-local", DATA + "/", None, ["D/"], out_dir + "/", None,
                            fresh_control("local-d"))
                wall, cpu, rss, _ = timed([COPYJOB, "run", path], env=copyjob_env())
            got = sum(os.path.getsize(os.path.join(d, f))
                      for d, _, fs in os.walk(out_dir) for f in fs)
            files, size, _ = gen.SETS["D"]
            if got != files * size:
                raise RuntimeError(f"{tool} wrote {got} bytes of {files * size}")
            results.setdefault(("D", tool), []).append((wall, cpu, rss))
            log(f"run {r + 1}/{runs} D {tool}: {wall:.1f} s, cpu {cpu:.1f} s, rss {rss:.0f} MiB")
    shutil.rmtree(out_dir, ignore_errors=True)
    return results


# ---------------------------------------------------------------- listing scale

def scaling(sets):
    results = {}
    for name in sets:
        path = os.path.join(WORK, f"plan-{name}.yaml")
        copyjob_job(path, f"bench-plan-{name.lower()}", DATA + "/", None, [f"{name}/"],
                    os.path.join(BENCH, "out-plan") + "/", None, fresh_control(f"plan-{name}"))
        wall, cpu, rss, out = timed([COPYJOB, "plan", path], env=copyjob_env())
        files = gen.SETS[name][0]
        if f": 1 partition(s), {files} files," not in out:
            raise RuntimeError(f"plan of {name} did not count {files} files:\n{out}")
        results[name] = (files, wall, cpu, rss)
        log(f"plan {name}: {files} files, {wall:.1f} s, rss {rss:.0f} MiB")
    return results


# ---------------------------------------------------------------- report

def med(values, i):
    return statistics.median(v[i] for v in values)


def version(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True).stdout.strip().splitlines()[0]
    except (OSError, IndexError):
        return "?"


def machine():
    cpu = "?"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = int(open("/proc/meminfo").readline().split()[1]) // 1024 // 1024
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    sha = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True).stdout.strip()
    azurite = json.load(open(os.path.join(ROOT, ".local-stack", "node_modules", "azurite",
                                          "package.json")))["version"]
    s3proxy = re.search(r"S3PROXY_VERSION=(\S+)",
                        open(os.path.join(ROOT, "scripts", "lib", "s3proxy.sh")).read()).group(1)
    return [("machine", f"{cpu}, {os.cpu_count()} cores, {mem} GiB RAM, "
                        f"Linux {platform.release()}"),
            ("copyjob", f"commit {sha}, DirectRunner, launcher defaults (scripts/copyjob: "
                        "C1 JIT, class data sharing archive made by an untimed first run)"),
            ("java", java), ("rclone", version(["rclone", "version"])),
            ("Azurite", f"{azurite}, one process for both tools: --silent --loose "
                        f"--skipApiVersionCheck, disk persistence"),
            ("s3proxy", f"{s3proxy}, filesystem backend"), ("cp", version(["cp", "--version"]))]


def report(path, runs, copies, local, counts, scale, started, host):
    mb = 1e6
    lines = ["# Benchmarks", "",
             "Written by `scripts/bench/run` (see its header for how to run it); do not edit by hand.",
             f"Run on {started:%Y-%m-%d %H:%M} UTC, {runs} timed runs per tool and dataset, "
             "medians shown. Wall time is the whole command, JVM start included; CPU is user + "
             "system seconds of the tool's processes; RSS is the peak resident set.", "",
             "| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in host]
    lines += ["", "Datasets (random bytes, fixed seed, `scripts/bench/gen.py`): "
              "A 1,000 × 1 MiB over 5 prefixes; B 10 × 100 MiB; C 20,000 × 4 KiB over 5 "
              "prefixes; D 80 × 64 MiB (5 GiB).", ""]
    if copies:
        lines += ["## S3 (s3proxy) → Azure Blob (Azurite)", "",
                  f"copyjob: one partition per prefix, `transfersPerWorker` 16. rclone: `copy "
                  f"--transfers {RCLONE_TRANSFERS} --checkers {RCLONE_TRANSFERS}`, Azurite reached "
                  "through an account SAS URL. Each run copies into a new container.", "",
                  "| set | tool | wall s | MB/s | files/s | CPU s | peak RSS MiB | "
                  "files/s copyjob ÷ rclone |",
                  "|---|---|---:|---:|---:|---:|---:|---:|"]
        for name in [n for n in "ABC" if (n, "copyjob") in copies]:
            files, size, _ = gen.SETS[name]
            ratio = med(copies[(name, "rclone")], 0) / med(copies[(name, "copyjob")], 0)
            for tool in ("copyjob", "rclone"):
                v = copies[(name, tool)]
                w = med(v, 0)
                lines.append(f"| {name} | {tool} | {w:.1f} | {files * size / mb / w:.1f} | "
                             f"{files / w:.{2 if files / w < 10 else 0}f} | {med(v, 1):.1f} | {med(v, 2):.0f} | "
                             + (f"**{ratio:.2f}×** |" if tool == "copyjob" else "|"))
        lines.append("")
    if counts:
        lines += ["## HTTP requests per file", "",
                  "One extra run per tool and set, with s3proxy and Azurite behind a counting "
                  "proxy (`scripts/bench/countproxy.py`).", "",
                  "| set | tool | S3 requests / file | Azure requests / file | Azure requests by kind |",
                  "|---|---|---:|---:|---|"]
        for (name, tool), c in sorted(counts.items()):
            files = gen.SETS[name][0]
            kinds = ", ".join(f"{k} {n}" for k, n in sorted(c["azure"]["by_kind"].items(),
                                                             key=lambda kv: -kv[1]))
            lines.append(f"| {name} | {tool} | {c['s3']['total'] / files:.2f} | "
                         f"{c['azure']['total'] / files:.2f} | {kinds} |")
        lines.append("")
    if local:
        files, size, _ = gen.SETS["D"]
        ratio = med(local[("D", "copyjob")], 0) / med(local[("D", "cp")], 0)
        lines += ["## Local → local (D, 5 GiB)", "",
                  "`sync` before every run; the destination folder is new each time.", "",
                  "| tool | wall s | MB/s | CPU s | peak RSS MiB |", "|---|---:|---:|---:|---:|"]
        for tool in ("copyjob", "cp"):
            v = local[("D", tool)]
            lines.append(f"| {tool} | {med(v, 0):.1f} | {files * size / mb / med(v, 0):.0f} | "
                         f"{med(v, 1):.1f} | {med(v, 2):.0f} |")
        lines += ["", f"copyjob's wall time is **{ratio:.2f}×** `cp -r`'s.", ""]
    if scale:
        base = min(scale.values(), key=lambda v: v[0])[3]
        lines += ["## Listing scale: `copyjob plan` over one partition of local files", "",
                  "| files | wall s | CPU s | peak RSS MiB | RSS vs the smallest |",
                  "|---:|---:|---:|---:|---:|"]
        for name, (files, wall, cpu, rss) in sorted(scale.items(), key=lambda kv: kv[1][0]):
            lines.append(f"| {files:,} | {wall:.1f} | {cpu:.1f} | {rss:.0f} | "
                         f"{(rss / base - 1) * 100:+.0f}% |")
        lines.append("")
    targets = []
    for name, want in (("C", 2.5), ("A", 1.5), ("B", 1.2)):
        if (name, "copyjob") in copies:
            got = med(copies[(name, "rclone")], 0) / med(copies[(name, "copyjob")], 0)
            targets.append((f"S3 → Azurite, {name}: files/s ≥ {want}× rclone's", f"{got:.2f}×",
                            got >= want))
    if local:
        got = med(local[("D", "copyjob")], 0) / med(local[("D", "cp")], 0)
        targets.append(("local → local, D: wall ≤ 1.5× `cp -r`'s", f"{got:.2f}×", got <= 1.5))
    if scale:
        rss = [v[3] for v in scale.values()]
        got = max(rss) / min(rss) - 1
        targets.append(("plan's peak RSS flat (within 10%) up to the largest listing",
                        f"{got * 100:+.0f}%", got <= 0.10))
    if targets:
        lines += ["## Targets", "", "| target | measured | |", "|---|---:|---|"]
        lines += [f"| {t} | {g} | {'met' if ok else '**missed**'} |" for t, g, ok in targets]
        lines.append("")
    lines += kept_tabular_section(path)
    notes = os.path.join(os.path.dirname(__file__), "NOTES.md")
    if os.path.exists(notes):
        lines += [open(notes).read().rstrip(), ""]
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(lines))
    log(f"wrote {path}")


def kept_tabular_section(path):
    """The section scripts/bench/tabular wrote into the report: it is not this script's to drop."""
    if not os.path.exists(path):
        return []
    lines = open(path).read().split("\n")
    starts = [i for i, l in enumerate(lines) if l.startswith("## Tabular copy")]
    if not starts:
        return []
    end = next((i for i in range(starts[0] + 1, len(lines)) if lines[i].startswith("## ")),
               len(lines))
    return lines[starts[0]:end]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sets", default="A,B,C")
    ap.add_argument("--scale", default="S10k,S100k,S1M")
    ap.add_argument("--skip-local", action="store_true")
    ap.add_argument("--skip-scale", action="store_true")
    ap.add_argument("--skip-count", action="store_true")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "benchmarks.md"))
    ap.add_argument("--report-only", action="store_true",
                    help="rewrite the report from the last run's figures (.bench/results.json)")
    args = ap.parse_args()
    saved = os.path.join(BENCH, "results.json")
    if args.report_only:
        r = json.load(open(saved))
        report(args.out, r["runs"], keyed(r["copies"]), keyed(r["local"]), keyed(r["counts"]),
               r["scale"], datetime.datetime.fromisoformat(r["started"]), r["machine"])
        return
    started = datetime.datetime.now(datetime.timezone.utc)
    sets = [s for s in args.sets.split(",") if s]
    scale_sets = [] if args.skip_scale else [s for s in args.scale.split(",") if s]
    ENV.update(stack_env())
    os.makedirs(WORK, exist_ok=True)
    for name in sets + ([] if args.skip_local else ["D"]) + scale_sets:
        gen.generate(DATA, name)
    sas = account_sas(ENV["COPYJOB_LOCAL_AZURE_KEY"])
    copies, counts, local, scale = {}, {}, {}, {}
    if sets:
        upload(sets)
        copies = s3_to_azure(sets, args.runs, sas)
        if not args.skip_count:
            counts = count_requests(sets, sas)
    if not args.skip_local:
        local = local_to_local(args.runs)
    if scale_sets:
        scale = scaling(scale_sets)
    with open(saved, "w") as f:
        json.dump({"runs": args.runs, "started": started.isoformat(), "machine": machine(),
                   "copies": flat(copies), "local": flat(local), "counts": flat(counts),
                   "scale": scale}, f, indent=1)
    report(args.out, args.runs, copies, local, counts, scale, started, machine())


def flat(d):
    return {"|".join(k): v for k, v in d.items()}


def keyed(d):
    return {tuple(k.split("|")): v for k, v in d.items()}


if __name__ == "__main__":
    main()
