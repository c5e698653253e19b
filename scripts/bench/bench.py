#!/usr/bin/env python3
"""copyjob side by side with rclone and cp on the local stack; writes docs/benchmarks.md.

  bench.py [--runs N] [--sets A,B,C] [--scale S10k,S100k,S1M] [--out docs/benchmarks.md]
           [--only SECTION,...] [--skip-SECTION ...] [--results .bench/results.json]
           [--report-only]

The sections, in the order they run: s3 (the sets S3 -> Azurite against rclone), count (requests
per file), local (D against cp -r), small (10,000 x 1 KiB local -> local against rclone and cp -r),
partitions (5 x 2,000 against 2,000 x 5 files, and the rerun that skips them all), empty (runs
with nothing to copy, and copyjob --version), flink (A on a standalone 2-slot Flink cluster
against the DirectRunner, and where the cluster's time goes), scale (plan's listing).

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

def cpu_times():
    """(busy, total) jiffies of all cores so far, from /proc/stat."""
    fields = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return sum(fields) - idle, sum(fields)


SETTLE_IDLE, SETTLE_MAX = 0.9, 30.0


def settle():
    """Waits until the machine's cores were at least SETTLE_IDLE idle over the last second (a
    server still cleaning up after the run before, a page cache flush), SETTLE_MAX seconds at most,
    so that every timed command starts on a quiet machine rather than on the last one's tail."""
    deadline = time.monotonic() + SETTLE_MAX
    busy, total = cpu_times()
    while time.monotonic() < deadline:
        time.sleep(1.0)
        b, t = cpu_times()
        if t > total and (b - busy) / (t - total) <= 1 - SETTLE_IDLE:
            return
        busy, total = b, t
    log(f"the machine did not settle in {SETTLE_MAX:.0f} s; timing anyway")


def timed(cmd, env=None, cwd=None):
    """Runs cmd under GNU time once the machine has settled: (wall s, cpu s, peak RSS MiB,
    output)."""
    settle()
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
        if control.startswith("jdbc:"):  # a server's control store: the user and password env
            url, user, password_env = control.split(" ")
            f.write(f"control:\n  url: {url}\n  user: {user}\n  passwordEnv: {password_env}\n")
        else:
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


def server_cpu():
    """CPU seconds Azurite and s3proxy (the local stack's, from its pid files) have used so far."""
    stack = os.path.join(ROOT, ".local-stack")
    return tuple(jvm_cpu(int(open(os.path.join(stack, f)).read()))
                 for f in ("azurite/azurite.pid", "s3proxy/pid"))


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
                before = server_cpu()
                wall, cpu, rss, _ = run_s3_to_azure(
                    tool, name, c, ENV["COPYJOB_LOCAL_S3_ENDPOINT"], az)
                azurite, s3proxy = (a - b for a, b in zip(server_cpu(), before))
                check_container(c, name)
                azure_delete_container(az, sas, c)
                results.setdefault((name, tool), []).append((wall, cpu, rss, azurite, s3proxy))
                log(f"run {r + 1}/{runs} {name} {tool}: {wall:.1f} s, cpu {cpu:.1f} s, "
                    f"rss {rss:.0f} MiB; Azurite {azurite:.1f} CPU s, s3proxy {s3proxy:.1f}")
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
                for p, (kind, out) in zip(procs, files.items()):
                    for _ in range(100):
                        if os.path.exists(out) or p.poll() is not None:
                            break
                        time.sleep(0.1)
                    if p.poll() is not None or not os.path.exists(out):
                        for q in procs:
                            q.send_signal(signal.SIGTERM)
                            q.wait()
                        raise RuntimeError(f"the {kind} counting proxy did not start (is port "
                                           f"{S3_PROXY_PORT if kind == 's3' else AZ_PROXY_PORT} "
                                           "taken?)")
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


# ---------------------------------------------------------------- helpers of the local sections

def loadavg():
    """The 1-minute load average: what the other work on the machine took of its cores."""
    return float(open("/proc/loadavg").read().split()[0])


def copy_summary(out):
    """(copied, skipped, failed) files from copyjob run's summary."""
    m = re.search(r"files\s+(\d+) copied, (\d+) skipped, (\d+) failed", out)
    if not m:
        raise RuntimeError(f"no files line in copyjob's summary:\n{out[-2000:]}")
    return tuple(int(g) for g in m.groups())


def tree_bytes(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


def check_tree(tool, path, name):
    files, size, _ = gen.SETS[name]
    got = tree_bytes(path)
    if got != files * size:
        raise RuntimeError(f"{tool} wrote {got} bytes of {files * size} into {path}")


def local_job(name, out_dir, control):
    """A local -> local job of one set, one partition per prefix; returns the job file."""
    path = os.path.join(WORK, f"local-{name}.yaml")
    copyjob_job(path, f"bench-local-{name.lower()}", DATA + "/", None, prefixes(name),
                out_dir + "/", None, control)
    return path


def warm_up():
    """One untimed run when the jar's class data archive is not made yet: the launcher writes it
    at the end of the first run after a build, and every timed run should map the same archive."""
    jar = os.environ.get("COPYJOB_JAR", os.path.join(ROOT, "target", "copyjob.jar"))
    archive = jar[:-len(".jar")] + ".jsa"
    if os.path.exists(archive) and os.path.getmtime(archive) > os.path.getmtime(jar):
        return
    base = os.path.join(WORK, "warm")
    shutil.rmtree(base, ignore_errors=True)
    for p in range(2):
        os.makedirs(os.path.join(base, "src", f"w{p}"))
        for i in range(20):
            with open(os.path.join(base, "src", f"w{p}", f"f{i}.bin"), "wb") as f:
                f.write(os.urandom(1024))
    path = os.path.join(base, "job.yaml")
    copyjob_job(path, "bench-warm", os.path.join(base, "src") + "/", None, ["w0/", "w1/"],
                os.path.join(base, "dst") + "/", None, fresh_control("warm"))
    log("an untimed first run writes the class data archive")
    timed([COPYJOB, "run", path], env=copyjob_env())
    shutil.rmtree(base, ignore_errors=True)


# ---------------------------------------------------------------- many partitions

def many_partitions(runs):
    """10,000 files of 1 KiB as 5 partitions of 2,000 (P5) and as 2,000 of 5 (P2000), local ->
    local, then P2000 again after `partitions reset --all`: every file found and skipped."""
    out_dir = os.path.join(BENCH, "out-partitions")
    results = {}
    for r in range(runs):
        for name in ("P5", "P2000"):
            shutil.rmtree(out_dir, ignore_errors=True)
            path = local_job(name, out_dir, fresh_control(f"partitions-{name}"))
            wall, cpu, rss, out = timed([COPYJOB, "run", path], env=copyjob_env())
            check_tree(f"copyjob {name}", out_dir, name)
            results.setdefault(name, []).append((wall, cpu, rss))
            log(f"run {r + 1}/{runs} {name}: {wall:.1f} s, cpu {cpu:.1f} s, rss {rss:.0f} MiB")
        # P2000's sink is still there: after the reset every file is listed, found, skipped.
        timed([COPYJOB, "partitions", "reset", "--all", path], env=copyjob_env())
        wall, cpu, rss, out = timed([COPYJOB, "run", path], env=copyjob_env())
        copied, skipped, failed = copy_summary(out)
        if (copied, skipped, failed) != (0, gen.SETS["P2000"][0], 0):
            raise RuntimeError(f"the rerun copied {copied}, skipped {skipped}, failed {failed}")
        results.setdefault("rerun", []).append((wall, cpu, rss))
        log(f"run {r + 1}/{runs} P2000 rerun: {wall:.1f} s, cpu {cpu:.1f} s, rss {rss:.0f} MiB")
    shutil.rmtree(out_dir, ignore_errors=True)
    return results


# ---------------------------------------------------------------- empty runs

def empty_runs(runs):
    """`copyjob run` with nothing to copy: (a) one partition whose source folder is empty,
    (b) a job run again after a run that copied everything; `copyjob --version` as the floor."""
    base = os.path.join(WORK, "empty")
    shutil.rmtree(base, ignore_errors=True)
    os.makedirs(os.path.join(base, "src", "none"))
    for p in range(5):
        os.makedirs(os.path.join(base, "src", f"d{p}"))
        for i in range(20):
            with open(os.path.join(base, "src", f"d{p}", f"f{i}.bin"), "wb") as f:
                f.write(os.urandom(1024))
    empty, done = os.path.join(base, "empty.yaml"), os.path.join(base, "done.yaml")
    copyjob_job(empty, "bench-empty", os.path.join(base, "src") + "/", None, ["none/"],
                os.path.join(base, "dst-empty") + "/", None, fresh_control("empty"))
    copyjob_job(done, "bench-done", os.path.join(base, "src") + "/", None,
                [f"d{p}/" for p in range(5)], os.path.join(base, "dst-done") + "/", None,
                fresh_control("done"))
    # Untimed: the control stores' schemas, and the copy that makes every partition of `done` done.
    for path in (empty, done):
        timed([COPYJOB, "run", path], env=copyjob_env())
    results = {}
    for r in range(runs):
        timed([COPYJOB, "partitions", "reset", "--all", empty], env=copyjob_env())
        for case, cmd in (("version", [COPYJOB, "--version"]),
                          ("empty", [COPYJOB, "run", empty]),
                          ("done", [COPYJOB, "run", done])):
            wall, cpu, rss, out = timed(cmd, env=copyjob_env())
            with open(os.path.join(WORK, f"empty-{case}.log"), "w") as f:
                f.write(out)  # the last run's output, to read what it did
            if case != "version" and copy_summary(out)[0] != 0:
                raise RuntimeError(f"the {case} run copied files:\n{out[-2000:]}")
            results.setdefault(case, []).append((wall, cpu, rss))
            log(f"run {r + 1}/{runs} {case}: {wall:.2f} s, cpu {cpu:.1f} s, rss {rss:.0f} MiB")
    shutil.rmtree(base, ignore_errors=True)
    return results


# ---------------------------------------------------------------- local small files

def small_files(runs):
    """P5 (10,000 x 1 KiB) local -> local: copyjob, rclone copy and cp -r, in turn."""
    out_dir = os.path.join(BENCH, "out-small")
    results = {}
    tools = ["copyjob", "rclone", "cp"]
    for r in range(runs):
        for tool in tools[r % 3:] + tools[:r % 3]:
            shutil.rmtree(out_dir, ignore_errors=True)
            subprocess.run(["sync"])
            if tool == "cp":
                wall, cpu, rss, _ = timed(["cp", "-r", os.path.join(DATA, "P5"), out_dir])
            elif tool == "rclone":
                wall, cpu, rss, _ = timed(
                    ["rclone", "copy", "--transfers", str(RCLONE_TRANSFERS), "--checkers",
                     str(RCLONE_TRANSFERS), os.path.join(DATA, "P5"), out_dir],
                    env=rclone_env("rclone-local.conf"))
            else:
                path = local_job("P5", out_dir, fresh_control("small"))
                wall, cpu, rss, _ = timed([COPYJOB, "run", path], env=copyjob_env())
            check_tree(tool, out_dir, "P5")
            results.setdefault(tool, []).append((wall, cpu, rss))
            log(f"run {r + 1}/{runs} P5 {tool}: {wall:.2f} s, cpu {cpu:.1f} s, "
                f"rss {rss:.0f} MiB")
    shutil.rmtree(out_dir, ignore_errors=True)
    return results


# ---------------------------------------------------------------- Flink

FLINK_HOME = os.path.join(BENCH, "flink")
FLINK_PHASES = ("submit", "start", "before", "copy", "after", "finish")


def flink_cluster(command):
    env = copyjob_env()  # the TaskManager reads the stores' and the database's secrets from it
    env.update(COPYJOB_FLINK_HOME=FLINK_HOME, COPYJOB_FLINK_SLOTS="2")
    p = subprocess.run([os.path.join(ROOT, "scripts", "flink-cluster"), command], env=env,
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"scripts/flink-cluster {command} failed:\n{p.stdout}{p.stderr}")


def flink_rest(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
        return json.load(r)


def jvm_cpu(pid):
    """CPU seconds (user + system) a running process has used so far."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cluster_cpu():
    return sum(jvm_cpu(int(open(os.path.join(FLINK_HOME, f"{role}.pid")).read()))
               for role in ("jobmanager", "taskmanager"))


def jar_upload(port):
    """Seconds to upload copyjob's jar alone through the REST API, as Beam stages it per job."""
    jar = os.environ.get("COPYJOB_JAR", os.path.join(ROOT, "target", "copyjob.jar"))
    start = time.monotonic()
    out = subprocess.run(["curl", "-fsS", "-X", "POST", "-F", f"jarfile=@{jar}",
                          f"http://127.0.0.1:{port}/jars/upload"],
                         capture_output=True, text=True, check=True).stdout
    took = time.monotonic() - start
    jar_id = os.path.basename(json.loads(out)["filename"])
    urllib.request.urlopen(urllib.request.Request(
        f"http://127.0.0.1:{port}/jars/{jar_id}", method="DELETE"), timeout=10).read()
    return took, os.path.getsize(jar) / 1e6


def flink_phases(port, job_name, started, ended):
    """Where a job's wall time went, from the REST API's timestamps (ms since the epoch):
    submit = the client's JVM, pipeline and staging up to the Dispatcher taking the job;
    start = from there until the first subtask runs (JobMaster, slots, deployment);
    before = until the copy step's vertex starts (control store reads, listings);
    copy = that vertex's run; after = until the job is FINISHED (the partitions' and the run's
    records); finish = until the client exits."""
    name = "copyjob-" + re.sub(r"[^a-z0-9-]", "-", job_name.lower())
    jobs = [j for j in flink_rest(port, "/jobs/overview")["jobs"]
            if j["name"] == name and j["start-time"] >= started * 1000 - 1000]
    if len(jobs) != 1:
        raise RuntimeError(f"{len(jobs)} Flink jobs named {name} since the run started")
    job = flink_rest(port, f"/jobs/{jobs[0]['jid']}")
    if job["state"] != "FINISHED":
        raise RuntimeError(f"Flink job {name} is {job['state']}")
    ts = job["timestamps"]
    first_running = min(
        t["timestamps"]["RUNNING"]
        for v in job["vertices"]
        for t in flink_rest(port, f"/jobs/{job['jid']}/vertices/{v['id']}/subtasktimes")["subtasks"]
        if t["timestamps"].get("RUNNING", 0) > 0)
    accepted = ts.get("INITIALIZING") or ts["CREATED"]
    copy = [v for v in job["vertices"] if "at CopyFiles/" in v["name"]]
    if len(copy) != 1:
        raise RuntimeError(f"{len(copy)} vertices of {name} run CopyFiles")
    return {"submit": accepted / 1000 - started,
            "start": (first_running - accepted) / 1000,
            "before": (copy[0]["start-time"] - first_running) / 1000,
            "copy": (copy[0]["end-time"] - copy[0]["start-time"]) / 1000,
            "after": (ts["FINISHED"] - copy[0]["end-time"]) / 1000,
            "finish": ended - ts["FINISHED"] / 1000,
            "vertices": len(job["vertices"])}


def flink(runs, sas):
    """Dataset A, S3 -> Azurite, on a standalone 2-slot cluster and on the DirectRunner, in turn,
    with the same PostgreSQL control store; the cluster is started once, outside the timings."""
    az = ENV["COPYJOB_LOCAL_AZURE_ENDPOINT"]
    write_rclone_conf(ENV["COPYJOB_LOCAL_S3_ENDPOINT"], az, sas)  # check_container reads it
    pg = os.environ.get("BENCH_PG_URL", ENV["COPYJOB_LOCAL_PG_URL"])
    control = f"{pg} {os.environ.get('BENCH_PG_USER', 'copyjob')} COPYJOB_LOCAL_PG_PASSWORD"
    start = time.monotonic()
    flink_cluster("start")
    results = {"cluster_start": time.monotonic() - start}
    port = int(open(os.path.join(FLINK_HOME, "rest-port")).read())
    log(f"Flink cluster up on port {port} in {results['cluster_start']:.0f} s")
    stamp = int(time.time())
    try:
        results["upload"] = jar_upload(port)
        for r in range(-1, runs):  # run -1: untimed, the cluster's first job
            order = ("flink",) if r < 0 else ("flink", "direct") if r % 2 == 0 else \
                ("direct", "flink")
            for runner in order:
                c = f"f{stamp}-{runner}-{r + 1}"
                job = f"bench-flink-{stamp}-{runner}-{r + 1}"
                path = os.path.join(WORK, f"flink-{runner}.yaml")
                copyjob_job(path, job, f"s3://{BUCKET}/", "s3", prefixes("A"),
                            f"azfs://{ACCOUNT}/{c}/", "lake", control,
                            s3_endpoint=ENV["COPYJOB_LOCAL_S3_ENDPOINT"], azure_endpoint=az)
                cmd = [COPYJOB, "run", path]
                if runner == "flink":
                    cmd += ["--runner=flink", f"--flink-master=127.0.0.1:{port}"]
                cluster_before, started = cluster_cpu(), time.time()
                wall, cpu, rss, out = timed(cmd, env=copyjob_env())
                ended, cluster = time.time(), cluster_cpu() - cluster_before
                check_container(c, "A")
                azure_delete_container(az, sas, c)
                if r < 0:
                    continue
                row = {"wall": wall, "cpu": cpu, "rss": rss, "cluster_cpu": cluster}
                if runner == "flink":
                    row.update(flink_phases(port, job, started, ended))
                results.setdefault(runner, []).append(row)
                log(f"run {r + 1}/{runs} A {runner}: {wall:.1f} s, cpu {cpu:.1f} s "
                    f"(cluster {cluster:.1f} s), rss {rss:.0f} MiB"
                    + ("; " + ", ".join(f"{k} {row[k]:.1f} s" for k in FLINK_PHASES)
                       if runner == "flink" else ""))
    finally:
        flink_cluster("stop")
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
    try:  # the stack may have been started from another checkout
        azurite = json.load(open(os.path.join(ROOT, ".local-stack", "node_modules", "azurite",
                                              "package.json")))["version"]
    except OSError:
        azurite = "?"
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


def again_line(res, section):
    """Says when a section was run again on its own into this run's figures (--merge)."""
    when = res.get("again", {}).get(section)
    return [f"This section was run again on its own at {when} UTC (`--only {section} --merge`); "
            "the others are the run's.", ""] if when else []


def load_line(res, section):
    load = res["loads"].get(section)
    if not load:
        return again_line(res, section)
    return again_line(res, section) + [
        f"Load average (1 min, {os.cpu_count()} cores) {load[0]:.1f} at the section's start, "
        f"{load[1]:.1f} at its end.", ""]


def table(rows, header):
    """Rows of (label, [(wall, cpu, rss), ...]) as a markdown table of medians."""
    lines = [header, "|---|---:|---:|---:|"]
    for label, v in rows:
        lines.append(f"| {label} | {med(v, 0):.2f} | {med(v, 1):.1f} | {med(v, 2):.0f} |")
    return lines


def targets(res):
    """Every target of issue 17, and the listing's: (target, measured, met) with measured None
    when this run did not measure it and met None when there is no number to meet."""
    copies, local, part, empty, small, fl = (res[k] for k in (
        "copies", "local", "partitions", "empty", "small", "flink"))
    rows = []
    for name, want in (("C", 2.5), ("A", 1.5), ("B", 1.3)):
        t = f"S3 → Azurite, {name}: files/s ≥ {want}× rclone's"
        if (name, "copyjob") in copies:
            got = med(copies[(name, "rclone")], 0) / med(copies[(name, "copyjob")], 0)
            rows.append((t, f"{got:.2f}×", got >= want))
        else:
            rows.append((t, None, None))
    for name, want in (("A", 2), ("B", 3), ("C", 2)):
        t = f"S3 → Azurite, {name}: CPU s ≤ {want}× rclone's"
        if (name, "copyjob") in copies:
            got = med(copies[(name, "copyjob")], 1) / med(copies[(name, "rclone")], 1)
            rows.append((t, f"{got:.2f}×", got <= want))
        else:
            rows.append((t, None, None))
    for name in "ABC":
        t = f"S3 → Azurite, {name}: peak RSS ≤ 512 MiB"
        if (name, "copyjob") in copies:
            got = med(copies[(name, "copyjob")], 2)
            rows.append((t, f"{got:.0f} MiB", got <= 512))
        else:
            rows.append((t, None, None))
    t = "local → local, D: wall ≤ 1.5× `cp -r`'s"
    if local:
        got = med(local[("D", "copyjob")], 0) / med(local[("D", "cp")], 0)
        rows.append((t, f"{got:.2f}×", got <= 1.5))
    else:
        rows.append((t, None, None))
    for case, what in (("empty", "one partition, its source folder empty"),
                       ("done", "every partition already done")):
        t = f"empty run ({what}): wall ≤ 1.5 s"
        if empty:
            got = med(empty[case], 0)
            rows.append((t, f"{got:.2f} s", got <= 1.5))
        else:
            rows.append((t, None, None))
    t = "many partitions: 2,000 × 5 files ≤ 5× the wall of 5 × 2,000"
    if part:
        got = med(part["P2000"], 0) / med(part["P5"], 0)
        rows.append((t, f"{got:.2f}×", got <= 5))
    else:
        rows.append((t, None, None))
    t = "many partitions: rerun of 2,000 × 5, every file skipped, ≤ 5 s"
    if part:
        got = med(part["rerun"], 0)
        rows.append((t, f"{got:.1f} s", got <= 5))
    else:
        rows.append((t, None, None))
    t = "local small files (10,000 × 1 KiB): wall ≤ 3× rclone's"
    if small:
        got = med(small["copyjob"], 0) / med(small["rclone"], 0)
        rows.append((t, f"{got:.2f}×", got <= 3))
    else:
        rows.append((t, None, None))
    t = "local small files: peak RSS ≤ 512 MiB"
    if small:
        got = med(small["copyjob"], 2)
        rows.append((t, f"{got:.0f} MiB", got <= 512))
    else:
        rows.append((t, None, None))
    t = "Flink: A on a 2-slot standalone cluster against the DirectRunner (reported)"
    if fl:
        rows.append((t, f"{median_of(fl['flink'], 'wall'):.1f} s against "
                        f"{median_of(fl['direct'], 'wall'):.1f} s", None))
    else:
        rows.append((t, None, None))
    t = "plan's peak RSS flat (within 10%) up to the largest listing"
    if res["scale"]:
        rss = [v[3] for v in res["scale"].values()]
        got = max(rss) / min(rss) - 1
        rows.append((t, f"{got * 100:+.0f}%", got <= 0.10))
    else:
        rows.append((t, None, None))
    return rows


def median_of(rows, key):
    return statistics.median(r[key] for r in rows)


def report(path, res, started, host):
    mb = 1e6
    runs, copies, local, counts, scale = (res[k] for k in (
        "runs", "copies", "local", "counts", "scale"))
    lines = ["# Benchmarks", "",
             "Written by `scripts/bench/run` (see its header for how to run it); do not edit by hand.",
             f"Run on {started:%Y-%m-%d %H:%M} UTC, {runs} timed runs per tool and dataset, "
             "medians shown. Wall time is the whole command, JVM start included; CPU is user + "
             "system seconds of the tool's processes; RSS is the peak resident set. Each timed "
             f"command starts once the machine's cores were {SETTLE_IDLE:.0%} idle for a second "
             f"(after at most {SETTLE_MAX:.0f} s).", "",
             "| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in host]
    lines += ["", "Datasets (random bytes, fixed seed, `scripts/bench/gen.py`): "
              "A 1,000 × 1 MiB over 5 prefixes; B 10 × 100 MiB; C 20,000 × 4 KiB over 5 "
              "prefixes; D 80 × 64 MiB (5 GiB); P5 and P2000 10,000 × 1 KiB over 5 and 2,000 "
              "prefixes.", ""]
    if copies:
        lines += ["## S3 (s3proxy) → Azure Blob (Azurite)", "",
                  f"copyjob: one partition per prefix, `transfersPerWorker` 16. rclone: `copy "
                  f"--transfers {RCLONE_TRANSFERS} --checkers {RCLONE_TRANSFERS}`, Azurite reached "
                  "through an account SAS URL. Each run copies into a new container.", ""]
        lines += load_line(res, "s3")
        servers = all(len(v[0]) >= 5 for v in copies.values())
        lines += ["| set | tool | wall s | MB/s | files/s | CPU s | peak RSS MiB | "
                  "files/s copyjob ÷ rclone |" + (" Azurite CPU s | s3proxy CPU s |" if servers else ""),
                  "|---|---|---:|---:|---:|---:|---:|---:|" + ("---:|---:|" if servers else "")]
        for name in [n for n in "ABC" if (n, "copyjob") in copies]:
            files, size, _ = gen.SETS[name]
            ratio = med(copies[(name, "rclone")], 0) / med(copies[(name, "copyjob")], 0)
            for tool in ("copyjob", "rclone"):
                v = copies[(name, tool)]
                w = med(v, 0)
                lines.append(f"| {name} | {tool} | {w:.1f} | {files * size / mb / w:.1f} | "
                             f"{files / w:.{2 if files / w < 10 else 0}f} | {med(v, 1):.1f} | {med(v, 2):.0f} | "
                             + (f"**{ratio:.2f}×** |" if tool == "copyjob" else "|")
                             + (f" {med(v, 3):.1f} | {med(v, 4):.1f} |" if servers else ""))
        lines.append("")
        if servers and ("C", "copyjob") in copies:
            files = gen.SETS["C"][0]
            cores = os.cpu_count()
            ours, theirs = copies[("C", "copyjob")], copies[("C", "rclone")]
            servers_ms = 1000 * (med(ours, 3) + med(ours, 4)) / files
            client_ms = 1000 * med(ours, 1) / files
            rclone_ms = 1000 * med(theirs, 1) / files
            target = 2.5 * files / med(theirs, 0)
            budget_ms = 1000 * cores / target
            lines += [f"C on {cores} cores: the two servers spend {servers_ms:.2f} ms of CPU per "
                      f"file of copyjob's (Azurite {1000 * med(ours, 3) / files:.2f}, one Put Blob "
                      f"each; s3proxy {1000 * med(ours, 4) / files:.2f}, one GET), copyjob "
                      f"{client_ms:.2f} ms, rclone {rclone_ms:.2f} ms of its own. 2.5× rclone's "
                      f"rate is {target:.0f} files/s, {budget_ms:.2f} ms of the machine's CPU per "
                      f"file with all {cores} cores busy: {budget_ms - servers_ms:.2f} ms left for the "
                      f"client, " + ("less than rclone's own." if budget_ms - servers_ms < rclone_ms
                                     else "more than rclone's own."), ""]
    if counts:
        lines += ["## HTTP requests per file", "",
                  "One extra run per tool and set, with s3proxy and Azurite behind a counting "
                  "proxy (`scripts/bench/countproxy.py`). \"GET other\" on S3 is copyjob's "
                  "GetBucketEncryption, asked once per run (s3proxy answers it by listing the "
                  "whole bucket).", ""]
        lines += again_line(res, "count")
        lines += ["| set | tool | S3 requests / file | S3 requests by kind | Azure requests / file "
                  "| Azure requests by kind |", "|---|---|---:|---|---:|---|"]

        def kinds(c):
            return ", ".join(f"{k} {n}" for k, n in sorted(c["by_kind"].items(),
                                                           key=lambda kv: -kv[1]))
        for (name, tool), c in sorted(counts.items()):
            files = gen.SETS[name][0]
            lines.append(f"| {name} | {tool} | {c['s3']['total'] / files:.2f} | {kinds(c['s3'])} | "
                         f"{c['azure']['total'] / files:.2f} | {kinds(c['azure'])} |")
        lines.append("")
    if local:
        files, size, _ = gen.SETS["D"]
        ratio = med(local[("D", "copyjob")], 0) / med(local[("D", "cp")], 0)
        lines += ["## Local → local (D, 5 GiB)", "",
                  "`sync` before every run; the destination folder is new each time.", ""]
        lines += load_line(res, "local")
        lines += ["| tool | wall s | MB/s | CPU s | peak RSS MiB |", "|---|---:|---:|---:|---:|"]
        for tool in ("copyjob", "cp"):
            v = local[("D", tool)]
            lines.append(f"| {tool} | {med(v, 0):.1f} | {files * size / mb / med(v, 0):.0f} | "
                         f"{med(v, 1):.1f} | {med(v, 2):.0f} |")
        lines += ["", f"copyjob's wall time is **{ratio:.2f}×** `cp -r`'s.", ""]
    if res["small"]:
        small = res["small"]
        ratio = med(small["copyjob"], 0) / med(small["rclone"], 0)
        lines += ["## Local small files (P5: 10,000 × 1 KiB in 5 folders)", "",
                  "copyjob: one partition per folder, embedded H2, launcher defaults. rclone: "
                  f"`copy --transfers {RCLONE_TRANSFERS} --checkers {RCLONE_TRANSFERS}` between "
                  "two local folders. `sync` before every run; the destination is new each time; "
                  "the tools take turns.", ""]
        lines += load_line(res, "small")
        lines += table([(t, small[t]) for t in ("copyjob", "rclone", "cp")],
                       "| tool | wall s | CPU s | peak RSS MiB |")
        lines += ["", f"copyjob's wall time is **{ratio:.2f}×** rclone's and "
                      f"{med(small['copyjob'], 0) / med(small['cp'], 0):.1f}× `cp -r`'s.", ""]
    if res["partitions"]:
        part = res["partitions"]
        lines += ["## Many partitions (local → local)", "",
                  "The same 10,000 files of 1 KiB as 5 partitions of 2,000 (P5) and as 2,000 "
                  "partitions of 5 (P2000), each run into a new folder with a new embedded H2 "
                  "control store (DirectRunner, launcher defaults); then P2000 again after "
                  "`copyjob partitions reset --all`, every file found at the sink and skipped.", ""]
        lines += load_line(res, "partitions")
        lines += table([("5 × 2,000", part["P5"]), ("2,000 × 5", part["P2000"]),
                        ("2,000 × 5, rerun, all skipped", part["rerun"])],
                       "| partitions × files | wall s | CPU s | peak RSS MiB |")
        wall, cpu = (med(part["P2000"], i) / med(part["P5"], i) for i in (0, 1))
        lines += ["", f"2,000 × 5 takes **{wall:.2f}×** the wall time of 5 × 2,000 ({cpu:.2f}× "
                      f"the CPU); the rerun **{med(part['rerun'], 0):.1f} s**.", ""]
    if res["empty"]:
        empty = res["empty"]
        lines += ["## A run with nothing to copy", "",
                  "`copyjob run` end to end on local folders with an embedded H2 control store "
                  "whose schema exists: (a) one partition whose source folder is empty (the "
                  "partition reset before each run, untimed); (b) a job of 5 partitions run again "
                  "after a run that copied all its files, every partition done. `copyjob "
                  "--version` is the JVM's start and the command line alone.", ""]
        lines += load_line(res, "empty")
        lines += table([("`copyjob --version`", empty["version"]),
                        ("(a) one empty partition", empty["empty"]),
                        ("(b) every partition done", empty["done"])],
                       "| command | wall s | CPU s | peak RSS MiB |")
        lines.append("")
    if res["flink"]:
        lines += flink_section(res)
    if scale:
        base = min(scale.values(), key=lambda v: v[0])[3]
        lines += ["## Listing scale: `copyjob plan` over one partition of local files", "",
                  "| files | wall s | CPU s | peak RSS MiB | RSS vs the smallest |",
                  "|---:|---:|---:|---:|---:|"]
        for name, (files, wall, cpu, rss) in sorted(scale.items(), key=lambda kv: kv[1][0]):
            lines.append(f"| {files:,} | {wall:.1f} | {cpu:.1f} | {rss:.0f} | "
                         f"{(rss / base - 1) * 100:+.0f}% |")
        lines.append("")
    lines += ["## Targets", "",
              "Every target of issue 17 (and the listing's); \"not measured\" where this run "
              "skipped the section.", "", "| target | measured | |", "|---|---:|---|"]
    for t, got, ok in targets(res):
        state = "—" if got is None else "reported" if ok is None else \
            "met" if ok else "**missed**"
        lines.append(f"| {t} | {got or 'not measured'} | {state} |")
    lines.append("")
    lines += kept_tabular_section(path)
    notes = os.path.join(os.path.dirname(__file__), "NOTES.md")
    if os.path.exists(notes):
        lines += [open(notes).read().rstrip(), ""]
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(lines))
    log(f"wrote {path}")


def flink_section(res):
    fl = res["flink"]
    flink_rows, direct = fl["flink"], fl["direct"]
    files, size, _ = gen.SETS["A"]
    upload, jar_mb = fl["upload"]
    lines = ["## Flink: A (S3 → Azurite) on a standalone cluster", "",
             "`scripts/flink-cluster` (Flink 1.19.0, a JobManager and a TaskManager with 2 slots, "
             f"started once for the section in {fl['cluster_start']:.0f} s, not timed), "
             "`copyjob run --runner=flink --flink-master=127.0.0.1:PORT` (parallelism: the "
             "cluster's slots), and the DirectRunner on the same job, in turn; both with the "
             "local stack's PostgreSQL as the control store (a cluster cannot reach an embedded "
             "H2), a new container and a new job name per run. The cluster's CPU is its two "
             "JVMs' (/proc), measured around each run; the DirectRunner's row shows the idle "
             "cluster's.", ""]
    lines += load_line(res, "flink")
    lines += ["| runner | wall s | files/s | client CPU s | cluster CPU s | client peak RSS MiB |",
              "|---|---:|---:|---:|---:|---:|"]
    for label, rows in (("Flink, 2 slots", flink_rows), ("DirectRunner", direct)):
        w = median_of(rows, "wall")
        lines.append(f"| {label} | {w:.1f} | {files / w:.0f} | {median_of(rows, 'cpu'):.1f} | "
                     f"{median_of(rows, 'cluster_cpu'):.1f} | {median_of(rows, 'rss'):.0f} |")
    lines += ["", "Where the Flink run's wall time goes (medians; from the REST API's state "
                  "timestamps of the job and of every subtask, `/jobs/ID` and "
                  "`/jobs/ID/vertices/VID/subtasktimes`):", "",
              "| phase | s | what it covers |", "|---|---:|---|",
              f"| submission and staging | {median_of(flink_rows, 'submit'):.1f} | the client's "
              "JVM start, the control store and preflight, the pipeline built and translated, "
              f"the jar ({jar_mb:.0f} MB) staged and the job submitted, until the Dispatcher "
              f"takes it; the jar's upload alone (`/jars/upload`): {upload:.1f} s |",
              f"| job start | {median_of(flink_rows, 'start'):.1f} | from there until the first "
              "subtask runs: the JobMaster, slots, deployment |",
              f"| before the copies | {median_of(flink_rows, 'before'):.1f} | the first subtask "
              "running until the copy step's vertex starts: the control store's reads, the "
              "listings, the files dealt to the copies |",
              f"| copies | {median_of(flink_rows, 'copy'):.1f} | the vertex of CopyFiles, "
              "start to end |",
              f"| after the copies | {median_of(flink_rows, 'after'):.1f} | until the job is "
              "FINISHED: the partitions' and the run's records "
              f"({flink_rows[0]['vertices']} vertices in all) |",
              f"| finish | {median_of(flink_rows, 'finish'):.1f} | the job FINISHED until the "
              "client exits: the result fetched, the run recorded, the summary |",
              f"| total | {median_of(flink_rows, 'wall'):.1f} | |", ""]
    return lines


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


SECTIONS = ("s3", "count", "local", "small", "partitions", "empty", "flink", "scale")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sets", default="A,B,C", help="the S3 -> Azurite sets (s3 and count)")
    ap.add_argument("--scale", default="S10k,S100k,S1M")
    ap.add_argument("--only", default="",
                    help="run only these sections: " + ",".join(SECTIONS))
    for name in SECTIONS:
        ap.add_argument(f"--skip-{name}", action="store_true")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "benchmarks.md"))
    ap.add_argument("--results", default=os.path.join(BENCH, "results.json"),
                    help="where the figures are saved, and read by --report-only")
    ap.add_argument("--report-only", action="store_true",
                    help="rewrite the report from the last run's figures (--results)")
    ap.add_argument("--merge", action="store_true",
                    help="run the chosen sections again into the last run's figures (--results), "
                         "keeping the others; the report says which were run again, and when")
    args = ap.parse_args()
    saved = args.results
    if args.report_only:
        res, started, host = load_results(saved)
        report(args.out, res, started, host)
        return
    only = [s for s in args.only.split(",") if s]
    unknown = [s for s in only if s not in SECTIONS]
    if unknown:
        ap.error(f"--only: no section {','.join(unknown)}; the sections: {','.join(SECTIONS)}")
    run = {s for s in SECTIONS if (s in only if only else not getattr(
        args, f"skip_{s}", False))}
    sets = [s for s in args.sets.split(",") if s] if run & {"s3", "count"} else []
    if not sets:
        run -= {"s3", "count"}
    started = datetime.datetime.now(datetime.timezone.utc)
    scale_sets = [s for s in args.scale.split(",") if s] if "scale" in run else []
    ENV.update(stack_env())
    os.makedirs(WORK, exist_ok=True)
    local_sets = ((["D"] if "local" in run else []) + (["P5"] if run & {"small", "partitions"}
                  else []) + (["P2000"] if "partitions" in run else []))
    uploads = sorted(set(sets) | ({"A"} if "flink" in run else set()))
    for name in uploads + local_sets + scale_sets:
        gen.generate(DATA, name)
    sas = account_sas(ENV["COPYJOB_LOCAL_AZURE_KEY"])
    res = {"runs": args.runs, "copies": {}, "counts": {}, "local": {}, "scale": {},
           "partitions": {}, "empty": {}, "small": {}, "flink": {}, "loads": {}, "again": {}}
    if args.merge:
        res, started, host = load_results(saved)
    else:
        host = machine()
    if uploads:
        upload(uploads)  # also the untimed first run that writes the class data archive
    warm_up()

    def section(name, key, fn, *a):
        if name not in run:
            return
        log(f"section {name}")
        before = loadavg()
        res[key] = fn(*a)
        res["loads"][name] = (before, loadavg())
        if args.merge:
            res["again"][name] = f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M}"

    section("s3", "copies", s3_to_azure, sets, args.runs, sas)
    section("count", "counts", count_requests, sets, sas)
    section("local", "local", local_to_local, args.runs)
    section("small", "small", small_files, args.runs)
    section("partitions", "partitions", many_partitions, args.runs)
    section("empty", "empty", empty_runs, args.runs)
    section("flink", "flink", flink, args.runs, sas)
    section("scale", "scale", scaling, scale_sets)
    with open(saved, "w") as f:
        json.dump({**res, "started": started.isoformat(), "machine": host,
                   "copies": flat(res["copies"]), "local": flat(res["local"]),
                   "counts": flat(res["counts"])}, f, indent=1)
    report(args.out, res, started, host)


def load_results(saved):
    """The figures a run saved: (res, its start, its machine)."""
    r = json.load(open(saved))
    res = {"runs": r["runs"], "copies": keyed(r["copies"]), "local": keyed(r["local"]),
           "counts": keyed(r["counts"]), "scale": r["scale"]}
    for k in ("partitions", "empty", "small", "flink", "loads", "again"):
        res[k] = r.get(k, {})
    return res, datetime.datetime.fromisoformat(r["started"]), [tuple(x) for x in r["machine"]]


def flat(d):
    return {"|".join(k): v for k, v in d.items()}


def keyed(d):
    return {tuple(k.split("|")): v for k, v in d.items()}


if __name__ == "__main__":
    main()
