"""The `batch` section of scripts/bench: a batch of campaigns against a fake provider that takes one
second per prediction, to see that the configured concurrency is the one that happens.

- 3 campaigns × 16 pairs (48 distinct clips), provider concurrency 8, one `reel build` of the batch:
  wall time against the ideal `ceil(48 / 8) × 1 s` plus the time of assembling the videos
  (measured as a second build that only combines: `--force combine`). Target ≤ 1.15 × ideal + combine.
- The same batch over 4 shard processes at once with concurrency 2 each, then the final job: the
  same bound.

The fake provider here speaks Replicate's prediction API (create with `Prefer: wait`, get, the
output file) on 127.0.0.1, written with Python's standard library, and answers each create after
one second with a prerendered clip.
"""

import http.server
import json
import math
import os
import socketserver
import threading
import time

TARGET_RATIO = 1.15
LATENCY = 1.0


class FakeReplicate:
    """A minimal Replicate on a free loopback port: every create succeeds after LATENCY seconds."""

    def __init__(self, clip_path):
        self.clip = open(clip_path, "rb").read()
        self.lock = threading.Lock()
        self.creates = 0
        self.in_flight = 0
        self.peak = 0
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def reply(self, status, body, content_type="application/json"):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def prediction(self, ident, model):
                base = f"http://127.0.0.1:{fake.port}"
                return {
                    "id": ident, "model": model, "status": "succeeded", "output": f"{base}/files/{ident}.mp4", "error": None,
                    "input": {}, "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "completed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "metrics": {"predict_time": LATENCY},
                    "urls": {"get": f"{base}/v1/predictions/{ident}", "cancel": f"{base}/v1/predictions/{ident}/cancel"},
                }

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                parts = self.path.strip("/").split("/")
                if len(parts) == 5 and parts[:2] == ["v1", "models"] and parts[4] == "predictions":
                    with fake.lock:
                        fake.creates += 1
                        fake.in_flight += 1
                        fake.peak = max(fake.peak, fake.in_flight)
                        ident = f"p{fake.creates}"
                    time.sleep(LATENCY)
                    with fake.lock:
                        fake.in_flight -= 1
                    self.reply(201, json.dumps(self.prediction(ident, f"{parts[2]}/{parts[3]}")).encode())
                else:
                    self.reply(404, b'{"detail":"not found"}')

            def do_GET(self):
                if self.path.startswith("/files/"):
                    self.reply(200, fake.clip, "video/mp4")
                elif self.path.startswith("/v1/predictions/"):
                    ident = self.path.rstrip("/").split("/")[-1]
                    self.reply(200, json.dumps(self.prediction(ident, "fake/model")).encode())
                else:
                    self.reply(404, b'{"detail":"not found"}')

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def reset(self):
        with self.lock:
            self.creates = 0
            self.peak = 0


def write_batch(bench, work, campaigns, pairs_each, concurrency):
    images = os.path.join(work, "assets")
    os.makedirs(images, exist_ok=True)
    names = [f"img{i}" for i in range(8)]
    for index, name in enumerate(names):
        path = os.path.join(images, f"{name}.png")
        if not os.path.exists(path):
            bench.ffmpeg("-f", "lavfi", "-i", f"testsrc2=s=160x90:r=1:d=1,hue=h={index * 45}", "-frames:v", "1", path)
    everything = [(a, b) for a in names for b in names if a != b]
    manifests = []
    for number in range(campaigns):
        pairs = everything[number * pairs_each:(number + 1) * pairs_each]
        text = bench.manifest(
            f"batch{number}", ["glob: ../../assets/*.png"], pairs, {"duration": 4, "concurrency": concurrency},
            {"path": f"out/batch{number}.mp4", "resolution": "320x180", "fps": 24, "transition": "none"})
        text = text.replace("quality: draft", "quality: balanced\nbudget:\n  max_usd: 1000")
        path = os.path.join(work, "campaigns", f"batch{number}", "reel.yaml")
        bench.write(path, text)
        manifests.append(path)
    os.makedirs(os.path.join(work, ".reel"), exist_ok=True)
    return manifests


def bench_batch(args, reel, root, report, bench):
    campaigns, pairs_each = (2, 8) if args.quick else (3, 16)
    unique = campaigns * pairs_each
    work = os.path.join(root, "batch")
    os.makedirs(work, exist_ok=True)
    clip = os.path.join(work, "model-output.mp4")
    bench.ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x180:r=24:d=2", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", clip)
    glob = "campaigns/**/reel.yaml"
    with FakeReplicate(clip) as fake:
        env = dict(bench.ENV, REPLICATE_API_TOKEN="r8_benchFakeToken0123456789", REPLICATE_BASE_URL=f"http://127.0.0.1:{fake.port}/v1",
                   REEL_POLL_INTERVAL_MS="50")

        def build(extra, cache):
            args_ = [reel.binary, "build", glob, "--cache-dir", cache, "--ledger", os.path.join(cache, "..", "ledger.sqlite"), "--json", *extra]
            start = time.perf_counter()
            result = bench.subprocess.run(args_, cwd=work, env=env, stdin=bench.subprocess.DEVNULL, capture_output=True, text=True)
            seconds = time.perf_counter() - start
            if result.returncode != 0:
                bench.die(f"batch build failed: {' '.join(args_)}\n{result.stderr[-2000:]}")
            return seconds

        # One process, concurrency 8.
        write_batch(bench, work, campaigns, pairs_each, 8)
        bench.wait_for_quiet(args, "the batch build")
        load = bench.loadavg()
        one = os.path.join(work, "cache-one")
        wall = build([], one)
        creates, peak = fake.creates, fake.peak
        combine = build(["--force", "combine"], one)
        ideal = math.ceil(unique / 8) * LATENCY
        bound = TARGET_RATIO * ideal + combine
        report.add("batch", f"{campaigns} campaigns × {pairs_each} pairs, concurrency 8, one process ({creates} creates, peak {peak} at once)",
                   f"{wall:.2f} s (ideal {ideal:.0f} s + combine {combine:.2f} s)", f"≤ {bound:.2f} s",
                   report.verdict(wall <= bound), (load[0], bench.loadavg()[0]))

        # Four shards at once, concurrency 2 each, then the final job.
        fake.reset()
        write_batch(bench, work, campaigns, pairs_each, 2)
        bench.wait_for_quiet(args, "the sharded batch")
        load = bench.loadavg()
        shared = os.path.join(work, "cache-shards")
        os.makedirs(shared, exist_ok=True)
        start = time.perf_counter()
        processes = [
            bench.subprocess.Popen([reel.binary, "build", glob, "--cache-dir", shared, "--ledger", os.path.join(work, "ledger-shards.sqlite"),
                                    "--shard", f"{index}/4", "-q"], cwd=work, env=env, stdin=bench.subprocess.DEVNULL,
                                   stdout=bench.subprocess.DEVNULL, stderr=bench.subprocess.PIPE, text=True)
            for index in range(1, 5)
        ]
        for process in processes:
            _, err = process.communicate()
            if process.returncode != 0:
                bench.die(f"a shard failed: {err[-2000:]}")
        shards = time.perf_counter() - start
        creates, peak = fake.creates, fake.peak
        final = build(["--no-spend", "--shards", "4"], shared)
        total = shards + final
        report.add("batch", f"the same over 4 shard processes × concurrency 2, then the final job ({creates} creates, peak {peak} at once)",
                   f"{total:.2f} s (shards {shards:.2f} s + final {final:.2f} s)", f"≤ {TARGET_RATIO * ideal + final:.2f} s",
                   report.verdict(total <= TARGET_RATIO * ideal + final), (load[0], bench.loadavg()[0]))
        report.notes.append("batch: the fake provider (scripts/bench_batch.py) answers each create after "
                            f"{LATENCY:.0f} s with a prerendered 2 s clip; 'combine' is a second build with --force combine")
