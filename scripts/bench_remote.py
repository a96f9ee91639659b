"""The `remote` section of scripts/bench: Reel's remote cache client against nginx on 127.0.0.1.

- 100 blobs of ~2 MB fetched through the client (streamed to disk, hashed while streaming, verified),
  against `curl --parallel` fetching the same URLs to disk (no verification): target ≤ 1.5×.
- Peak RSS of the client process while it downloads one 1 GiB blob: target ≤ 64 MiB.
- The no-op build of the `noop` section (200 assets / 100 pairs) again, with the remote configured:
  target ≤ 50 ms and 0 requests (nginx's access log is counted). Needs `--only noop,remote`.

The client is driven by `remote-cache-bench` (Benchmarks/RemoteCacheBench), built in release mode
beside reel. nginx is started here, in the foreground, on a free loopback port, with the same WebDAV
configuration as the tests (Tests/ReelTestSupport/WebDAVServers.swift), and stopped at the end.
"""

import hashlib
import os
import random
import shlex
import shutil
import socket
import subprocess
import time

FETCH_TARGET_RATIO = 1.5
RSS_TARGET_MIB = 64


def build_client(bench, build):
    command = ["swift", "build", "-c", "release", "--product", "remote-cache-bench", "--scratch-path", bench.SCRATCH]
    if build:
        bench.log("building remote-cache-bench: " + shlex.join(command))
        bench.run(command, cwd=bench.REPO, capture=False)
    bin_dir = bench.run(command + ["--show-bin-path"], cwd=bench.REPO).stdout.strip().splitlines()[-1]
    return os.path.join(bin_dir, "remote-cache-bench")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Nginx:
    """nginx with the WebDAV module serving <work>/root/cache at /cache/."""

    def __init__(self, bench, work):
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not os.access(nginx, os.X_OK):
            bench.die("nginx is not installed (scripts/install-deps.sh --test installs it)")
        self.work = work
        self.cache = os.path.join(work, "root", "cache")
        for folder in (os.path.join(self.cache, "cas"), os.path.join(work, "temp"), os.path.join(work, "logs")):
            os.makedirs(folder, exist_ok=True)
        self.port = free_port()
        user = "user root root;" if os.geteuid() == 0 else ""
        config = f"""{user}
worker_processes auto;
daemon off;
pid {work}/nginx.pid;
error_log {work}/logs/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {work}/logs/access.log;
    client_body_temp_path {work}/temp/body;
    proxy_temp_path {work}/temp/proxy;
    fastcgi_temp_path {work}/temp/fastcgi;
    uwsgi_temp_path {work}/temp/uwsgi;
    scgi_temp_path {work}/temp/scgi;
    sendfile on;
    keepalive_requests 100000;
    server {{
        listen 127.0.0.1:{self.port};
        root {work}/root;
        location /cache/ {{ dav_methods PUT; create_full_put_path on; client_max_body_size 4g; }}
    }}
}}
"""
        path = os.path.join(work, "nginx.conf")
        with open(path, "w") as handle:
            handle.write(config)
        self.process = subprocess.Popen([nginx, "-p", work, "-c", path, "-e", os.path.join(work, "logs", "error.log")],
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(400):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.025)
        else:
            self.stop()
            bench.die("nginx did not start")
        if self.process.poll() is not None:
            bench.die("nginx did not start: " + open(os.path.join(work, "logs", "error.log")).read()[-2000:])
        self.base = f"http://127.0.0.1:{self.port}/cache"

    def put_blob(self, data):
        """Stores a blob straight into the served folder (as an earlier upload would have)."""
        digest = hashlib.sha256(data).hexdigest()
        with open(os.path.join(self.cache, "cas", digest), "wb") as handle:
            handle.write(data)
        return digest

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def run_measured(command, bench):
    """Runs `command`; returns (wall seconds, stdout)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=bench.ENV)
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        bench.die(f"command failed ({process.returncode}): {shlex.join(command[:6])} …\n{stderr.decode()[-2000:]}")
    return seconds, stdout.decode()


def peak_rss_mib(command, bench):
    """Runs `command` and returns (wall seconds, its peak RSS in MiB, stdout)."""
    start = time.perf_counter()
    with open(os.devnull, "wb") as devnull:
        out = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=devnull, env=bench.ENV)
        stdout = out.stdout.read()
        _, status, usage = os.wait4(out.pid, 0)
    seconds = time.perf_counter() - start
    out.returncode = os.waitstatus_to_exitcode(status)
    if out.returncode != 0:
        bench.die(f"command failed ({out.returncode}): {shlex.join(command[:6])} …")
    return seconds, usage.ru_maxrss / 1024, stdout.decode()


def bench_remote(args, reel, root, report, bench):
    if not shutil.which("curl"):
        bench.die("curl is not installed")
    client = build_client(bench, build=not args.no_build)
    if not os.access(client, os.X_OK):
        bench.die(f"no remote-cache-bench at {client}")
    work = os.path.join(root, "remote")
    os.makedirs(work)
    nginx = Nginx(bench, os.path.join(work, "nginx"))
    try:
        fetch_many(args, client, nginx, work, report, bench)
        fetch_huge(args, client, nginx, work, report, bench)
        noop_with_remote(args, reel, root, nginx, report, bench)
    finally:
        nginx.stop()


def fetch_many(args, client, nginx, work, report, bench):
    count = 100 if not args.quick else 20
    rng = random.Random(11)
    blobs = []
    for _ in range(count):
        size = rng.randint(1_900_000, 2_100_000)
        data = rng.randbytes(size)
        blobs.append((nginx.put_blob(data), size))
    listing = os.path.join(work, "blobs.txt")
    with open(listing, "w") as handle:
        handle.write("\n".join(f"{digest} {size}" for digest, size in blobs) + "\n")
    curl_config = os.path.join(work, "curl.cfg")
    total = sum(size for _, size in blobs)

    def fresh(name):
        folder = os.path.join(work, name)
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        return folder

    runs = max(1, args.runs_media)
    reel_times, curl_times = [], []
    bench.wait_for_quiet(args, "remote fetch")
    before = bench.loadavg()
    for _ in range(runs):
        out = fresh("out-reel")
        seconds, stdout = run_measured([client, "fetch", nginx.base, listing, out], bench)
        verified = int(stdout.split('"verified": ')[1].split("}")[0])
        if verified != count:
            bench.die(f"remote-cache-bench verified {verified} of {count} blobs")
        reel_times.append(seconds)
        out = fresh("out-curl")
        with open(curl_config, "w") as handle:
            for digest, _ in blobs:
                handle.write(f'url = "{nginx.base}/cas/{digest}"\noutput = "{out}/{digest}"\n')
        seconds, _ = run_measured(["curl", "--parallel", "--silent", "--fail", "--config", curl_config], bench)
        if len(os.listdir(out)) != count:
            bench.die("curl did not fetch every blob")
        curl_times.append(seconds)
    after = bench.loadavg()
    reel_median, curl_median = bench.median(reel_times), bench.median(curl_times)
    ratio = reel_median / curl_median
    load = (before[0], after[0])
    report.add("remote", f"{count} blobs of ~2 MB ({total / 1e6:.0f} MB) from nginx: reel client ÷ curl --parallel",
               f"{ratio:.2f}× ({reel_median:.3f} s vs {curl_median:.3f} s)", f"≤ {FETCH_TARGET_RATIO:.1f}×",
               report.verdict(ratio <= FETCH_TARGET_RATIO), load)
    report.add("remote", "  same, throughput of the reel client", f"{total / reel_median / 1e6:.0f} MB/s, every blob verified", "(info)", "", load)


def fetch_huge(args, client, nginx, work, report, bench):
    size = (1 << 30) if not args.quick else (64 << 20)
    path_hash = hashlib.sha256()
    rng = random.Random(12)
    chunk = rng.randbytes(1 << 20)
    folder = os.path.join(nginx.cache, "cas")
    temporary = os.path.join(folder, "incoming")
    with open(temporary, "wb") as handle:
        for index in range(size >> 20):
            # Vary each MiB so the blob does not compress or dedupe.
            piece = index.to_bytes(8, "little") + chunk[8:]
            path_hash.update(piece)
            handle.write(piece)
    digest = path_hash.hexdigest()
    os.rename(temporary, os.path.join(folder, digest))
    listing = os.path.join(work, "huge.txt")
    with open(listing, "w") as handle:
        handle.write(f"{digest} {size}\n")
    out = os.path.join(work, "out-huge")
    os.makedirs(out)
    bench.wait_for_quiet(args, "remote 1 GiB")
    before = bench.loadavg()
    seconds, rss, stdout = peak_rss_mib([client, "fetch", nginx.base, listing, out], bench)
    after = bench.loadavg()
    if '"verified": 1' not in stdout:
        bench.die("the large blob did not verify")
    os.remove(os.path.join(out, digest))
    curl_seconds, curl_rss, _ = peak_rss_mib(["curl", "--silent", "--fail", "-o", os.path.join(out, "curl"), f"{nginx.base}/cas/{digest}"], bench)
    os.remove(os.path.join(out, "curl"))
    os.remove(os.path.join(folder, digest))
    label = "1 GiB" if size == 1 << 30 else f"{size >> 20} MiB"
    load = (before[0], after[0])
    report.add("remote", f"peak RSS downloading a {label} blob (streamed, hashed, verified)", f"{rss:.1f} MiB in {seconds:.2f} s",
               f"≤ {RSS_TARGET_MIB} MiB", report.verdict(rss <= RSS_TARGET_MIB), load)
    report.add("remote", f"  same blob with curl -o (no verification)", f"{curl_rss:.1f} MiB in {curl_seconds:.2f} s", "(info)", "", load)


def access_log_lines(nginx):
    path = os.path.join(nginx.work, "logs", "access.log")
    if not os.path.exists(path):
        return 0
    with open(path) as handle:
        return sum(1 for _ in handle)


def noop_with_remote(args, reel, root, nginx, report, bench):
    work = os.path.join(root, "noop")
    path, cache, ledger = os.path.join(work, "reel.yaml"), os.path.join(work, "cache"), os.path.join(work, "ledger.sqlite")
    if not os.path.exists(path):
        report.notes.append("remote: the no-op with a remote configured reuses the noop section's campaign: run --only noop,remote")
        return
    saved = dict(bench.ENV)
    bench.ENV["REEL_REMOTE_CACHE"] = nginx.base
    bench.ENV.pop("CI", None)
    try:
        requests_before = access_log_lines(nginx)
        commands = {"build": reel.args("build", path, cache, ledger, "-q")}
        bench.wait_for_quiet(args, "the no-op runs with a remote")
        before = bench.loadavg()
        stats = bench.time_commands(args, commands, work)
        after = bench.loadavg()
        requests = access_log_lines(nginx) - requests_before
    finally:
        bench.ENV.clear()
        bench.ENV.update(saved)
    b = stats["build"]
    ok = b["median"] <= bench.NOOP_TARGET_MS and requests == 0
    report.add("remote", "no-op reel build (noop campaign) with REEL_REMOTE_CACHE set",
               f"median {b['median']:.1f} ms, min {b['min']:.1f} ms, {requests} requests to the remote", f"≤ {bench.NOOP_TARGET_MS:.0f} ms, 0 requests",
               report.verdict(ok), (before[0], after[0]))
