"""Throughput benchmark: our server (1 and 2 workers) against the Prism mock of the same spec.

Prism (`@stoplight/prism-cli`, `prism mock` of the Calendars v3 spec) is the stateless
sandbox a HighLevel integrator would otherwise use: it checks the request against the spec
(bearer token present, `Version` header, required parameters) and answers the spec's example.
Our server answers from a real database with real tokens: the free-slots benchmark location
(a 10-member round robin with schedules, 2,000 appointments and 200 blocks), one calendar
group, and a free-slots query over one week. One load generator (`wrk`, or a Python client
when `wrk` is missing or `--python-client` is given) with the same threads, connections and
duration for every target drives `GET /calendars/groups`, `GET /calendars/{id}` and
`GET /calendars/{id}/free-slots`, target after target (ours-1, ours-2, prism, ours-1, ...),
for several rounds; the medians are printed, and ours (2 workers) / Prism for each endpoint.

Prism is installed on first use into a cache outside the repo (`npm install --prefix
~/.cache/opencalendars-bench @stoplight/prism-cli@VERSION`; needs node and npm) and runs as
`prism mock SPEC -p PORT --errors=false -v silent` (one process: `-m` only forks the server
away from the log processing, which silent logs do not need). The spec is not in this repo:
pass `--spec`, or keep the shared folder beside the clone (`../shared/spec/...`).
Every target gets a first warm-up (Node's JIT needs one), then a short one before each run.
`wrk` comes from Debian's packages (`apt-get install wrk`).

The machine may be shared: before measuring, the benchmark waits (up to `--quiet-timeout`
seconds) until the 1-minute load average is below `--quiet-below`, and prints it.

The servers run with rate limits off (`OPENCALENDARS_RATE_LIMITS=off`): one token's 100
requests per 10 seconds would refuse nearly all of the load. `--compare-rate-limits` adds, for
each worker count, a server with rate limits on (`ours-1+rl`, `ours-2+rl`) whose limits are high
enough never to refuse (RATE_LIMITS_ON): every request is counted and answered with its headers,
the work a request within the limits costs. They take their turns with the others, and the
report ends with throughput on / off per endpoint (target: >= 0.90 for the plain GETs).
`--rate-limit-redis URL` counts in Redis instead of the database.

    python bench/throughput.py [--spec PATH] [--database-url URL] [--duration S] [--rounds N]
                               [--threads T] [--connections C] [--no-prism] [--python-client]
                               [--compare-rate-limits] [--rate-limit-redis URL]
                               [--endpoints groups,calendar,free-slots]
"""

import argparse
import asyncio
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import free_port, running_server, wait_for_quiet
from free_slots import DAY_MS, START_MS, prepared

from opencalendars.groups import service as group_service
from opencalendars.groups.schemas import GroupCreateDTO

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SPEC = REPO.parent / "shared" / "spec" / "calendars-v3.openapi.json"
PRISM_CACHE = Path.home() / ".cache" / "opencalendars-bench"
PRISM_VERSION = "5.14.2"
WEEK_PARAMS = {"startDate": START_MS, "endDate": START_MS + 7 * DAY_MS - 1}
PLAIN_GETS = ("groups", "calendar")
# Limits no run reaches: every request is counted and admitted.
RATE_LIMITS_ON = "1000000000/10s,1000000000/day"


@dataclass
class Run:
    """One measured run of one endpoint on one target."""

    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    errors: int
    load: float  # 1-minute load average when the run started


# --- Prism -------------------------------------------------------------------------------


def ensure_prism(cache: Path, version: str) -> Path:
    """The `prism` executable, installed with npm into `cache` on first use."""
    executable = cache / "node_modules" / ".bin" / "prism"
    if not executable.exists():
        npm = shutil.which("npm")
        if npm is None:
            sys.exit("npm is missing: install node and npm (node 18+), or run with --no-prism")
        print(f"installing @stoplight/prism-cli@{version} into {cache} ...", flush=True)
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--prefix", str(cache), "--no-audit", "--no-fund",
             f"@stoplight/prism-cli@{version}"],
            check=True,
        )  # fmt: skip
    return executable


@contextmanager
def running_prism(executable: Path, spec: Path, log_path: Path):
    port = free_port()
    command = [
        str(executable), "mock", str(spec), "-h", "127.0.0.1", "-p", str(port),
        "--errors=false", "-v", "silent",
    ]  # fmt: skip
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.get(f"{base_url}/", timeout=1)
                break
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"prism did not start:\n{log_path.read_text()}") from None
                time.sleep(0.2)
        yield base_url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


# --- Load generators ---------------------------------------------------------------------

WRK_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def wrk_version() -> str:
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    return (done.stdout or done.stderr).splitlines()[0].split(" Copyright")[0]


def wrk_ms(output: str, percentile: str) -> float:
    value, unit = re.search(rf"^\s*{percentile}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M).groups()
    return float(value) * WRK_UNITS[unit]


def run_wrk(url: str, headers: dict, threads: int, connections: int, seconds: float) -> Run:
    load = os.getloadavg()[0]
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency"]
    command += ["--timeout", "10s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return Run(
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50_ms=wrk_ms(output, "50"),
        p99_ms=wrk_ms(output, "99"),
        requests=int(re.search(r"(\d+) requests in", output).group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        errors=sum(map(int, errors.groups())) if errors else 0,
        load=load,
    )


async def _connection(host, port, request: bytes, stop_at: float, latencies, statuses) -> None:
    """One keep-alive connection sending `request` until `stop_at`."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").lower().split("\r\n")
            length = [int(line[15:]) for line in lines if line.startswith("content-length:")]
            if length:
                await reader.readexactly(length[0])
            else:  # chunked
                while size := int((await reader.readline()).split(b";")[0], 16):
                    await reader.readexactly(size + 2)
                await reader.readline()
            latencies.append((time.perf_counter() - started) * 1000)
            statuses.append(int(lines[0][9:12]))
    finally:
        writer.close()


def _python_load(url: str, headers: dict, connections: int, seconds: float):
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"GET {target} HTTP/1.1", f"Host: {parts.netloc}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    latencies: list[float] = []
    statuses: list[int] = []

    async def all_connections():
        stop_at = time.perf_counter() + seconds
        await asyncio.gather(
            *(
                _connection(parts.hostname, parts.port, request, stop_at, latencies, statuses)
                for _ in range(connections)
            )
        )

    asyncio.run(all_connections())
    return latencies, sum(not 200 <= status < 300 for status in statuses)


def run_python(url: str, headers: dict, threads: int, connections: int, seconds: float) -> Run:
    """The same shape of load as wrk (`threads` processes sharing `connections`), in Python."""
    load = os.getloadavg()[0]
    shares = [connections // threads + (n < connections % threads) for n in range(threads)]
    started = time.perf_counter()
    with ProcessPoolExecutor(threads) as pool:
        futures = [pool.submit(_python_load, url, headers, c, seconds) for c in shares]
        parts = [future.result() for future in futures]
    elapsed = time.perf_counter() - started
    latencies = sorted(ms for part, _ in parts for ms in part)
    return Run(
        rps=len(latencies) / elapsed,
        p50_ms=statistics.median(latencies),
        p99_ms=statistics.quantiles(latencies, n=100)[98],
        requests=len(latencies),
        non_2xx=sum(bad for _, bad in parts),
        errors=0,
        load=load,
    )


# --- The benchmark -----------------------------------------------------------------------


def endpoints(location_id: str, calendar_id: str) -> dict[str, str]:
    return {
        "groups": f"/calendars/groups?{urlencode({'locationId': location_id})}",
        "calendar": f"/calendars/{calendar_id}",
        "free-slots": f"/calendars/{calendar_id}/free-slots?{urlencode(WEEK_PARAMS)}",
    }


LABELS = {
    "groups": "GET /calendars/groups",
    "calendar": "GET /calendars/{id}",
    "free-slots": "GET /calendars/{id}/free-slots (1 week)",
}


def check(targets: dict[str, str], paths: dict[str, str], headers: dict) -> None:
    """Every target answers every request with a 2xx before anything is timed."""
    for target, base_url in targets.items():
        for endpoint, path in paths.items():
            response = httpx.get(base_url + path, headers=headers, timeout=30)
            size = len(response.content)
            print(f"  {target:8} {endpoint:10} {response.status_code}  {size:6} bytes")
            if not response.is_success:
                sys.exit(f"{target} answered {response.status_code} to {path}: {response.text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=DEFAULT_SPEC, help="the Calendars v3 spec")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds before each run")
    parser.add_argument(
        "--first-warmup", type=int, default=5, help="seconds per target and endpoint, once"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--no-prism", action="store_true", help="measure our server only")
    parser.add_argument("--prism-cache", type=Path, default=PRISM_CACHE)
    parser.add_argument("--prism-version", default=PRISM_VERSION)
    parser.add_argument("--python-client", action="store_true", help="even when wrk is there")
    parser.add_argument("--quiet-below", type=float, default=0.7, help="1-minute load average")
    parser.add_argument("--quiet-timeout", type=float, default=1200, help="seconds; 0: no wait")
    parser.add_argument(
        "--compare-rate-limits", action="store_true", help="also each worker count with limits on"
    )
    parser.add_argument("--rate-limit-redis", help="count in this Redis (OPENCALENDARS_REDIS_URL)")
    parser.add_argument(
        "--endpoints", default="groups,calendar,free-slots", help="comma-separated, of these"
    )
    args = parser.parse_args()

    spec = args.spec.resolve()
    if not args.no_prism and not spec.is_file():
        sys.exit(
            f"the spec is missing: {spec}\n"
            "Prism mocks the Calendars v3 OpenAPI spec, which is not part of this repo; pass "
            "--spec PATH/calendars-v3.openapi.json, or run with --no-prism to measure our "
            "server only."
        )
    use_wrk = shutil.which("wrk") is not None and not args.python_client
    run = run_wrk if use_wrk else run_python
    if use_wrk:
        print(f"load generator: {wrk_version()}")
    else:
        print("load generator: Python (asyncio, raw keep-alive sockets; wrk not used)")
    prism = None if args.no_prism else ensure_prism(args.prism_cache, args.prism_version)
    if prism:
        version = subprocess.run([prism, "--version"], capture_output=True, text=True).stdout
        print(f"prism: @stoplight/prism-cli {version.strip()}, mock --errors=false -v silent")
        print(f"spec: {spec}")

    workdir = Path(tempfile.mkdtemp(prefix="oc-bench-"))
    url, db, location, token, calendar = prepared(args.database_url, workdir)
    group_service.create_group(
        db,
        GroupCreateDTO.model_validate(
            {"locationId": location.id, "name": "Sales", "description": "Bench", "slug": "sales"}
        ),
    )
    headers = {"Authorization": f"Bearer {token}", "Version": "v3", "Accept": "application/json"}
    paths = endpoints(location.id, calendar.id)
    wanted = args.endpoints.split(",")
    if unknown := set(wanted) - set(paths):
        sys.exit(f"unknown endpoints: {', '.join(sorted(unknown))}; use {', '.join(paths)}")
    paths = {endpoint: path for endpoint, path in paths.items() if endpoint in wanted}
    limits_on = {"OPENCALENDARS_RATE_LIMITS": RATE_LIMITS_ON}
    if args.rate_limit_redis:
        limits_on["OPENCALENDARS_REDIS_URL"] = args.rate_limit_redis
    print(
        f"load: {args.threads} threads, {args.connections} connections, {args.warmup:g} s warm-up"
        f" + {args.duration:g} s per run, {args.rounds} rounds (after {args.first_warmup} s of"
        " warm-up per target and endpoint, once)"
    )

    with ExitStack() as stack:
        targets = {}
        for workers in (1, 2):
            name = f"ours-{workers}"
            targets[name] = stack.enter_context(
                running_server(url, workdir / f"{name}.log", workers=workers)
            )
            if args.compare_rate_limits:
                targets[f"{name}+rl"] = stack.enter_context(
                    running_server(url, workdir / f"{name}-rl.log", workers, env=limits_on)
                )
        if prism:
            targets["prism"] = stack.enter_context(
                running_prism(prism, spec, workdir / "prism.log")
            )
        print("first answers (the same requests go to every target):")
        check(targets, paths, headers)
        if args.quiet_timeout > 0:
            load = wait_for_quiet(args.quiet_below, args.quiet_timeout)
            quiet = "quiet" if load < args.quiet_below else "NOT quiet, measuring anyway"
            print(f"1-minute load average before measuring: {load:.2f} ({quiet})", flush=True)
        # Node's JIT and the workers' caches warm up once before the rounds start.
        for base_url in targets.values():
            for path in paths.values():
                if args.first_warmup > 0:
                    run(base_url + path, headers, args.threads, args.connections, args.first_warmup)
        runs: dict[tuple[str, str], list[Run]] = {}
        for round_number in range(1, args.rounds + 1):
            for target, base_url in targets.items():
                for endpoint, path in paths.items():
                    if args.warmup > 0:
                        run(base_url + path, headers, args.threads, args.connections, args.warmup)
                    result = run(
                        base_url + path, headers, args.threads, args.connections, args.duration
                    )
                    runs.setdefault((target, endpoint), []).append(result)
                    print(
                        f"round {round_number} {target:7} {endpoint:10} {result.rps:8.1f} req/s"
                        f"  p50 {result.p50_ms:6.2f} ms  p99 {result.p99_ms:7.2f} ms"
                        f"  non-2xx {result.non_2xx}  errors {result.errors}"
                        f"  load {result.load:.2f}",
                        flush=True,
                    )
    report(runs, list(targets), list(paths))


def report(runs: dict[tuple[str, str], list[Run]], targets: list[str], endpoints: list[str]):
    median = statistics.median
    print()
    print("| target | endpoint | req/s (median) | req/s per round | p50 | p99 | non-2xx | errors |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for endpoint in endpoints:
        for target in targets:
            series = runs[(target, endpoint)]
            per_round = ", ".join(f"{r.rps:.0f}" for r in series)
            print(
                f"| {target} | `{LABELS[endpoint]}` | {median(r.rps for r in series):.0f}"
                f" | {per_round} | {median(r.p50_ms for r in series):.2f} ms"
                f" | {median(r.p99_ms for r in series):.2f} ms"
                f" | {sum(r.non_2xx for r in series)} | {sum(r.errors for r in series)} |"
            )
    loads = [r.load for series in runs.values() for r in series]
    print(f"\n1-minute load average at the runs' starts: {min(loads):.2f} to {max(loads):.2f}")
    report_rate_limits(runs, targets, endpoints)
    if "prism" not in targets:
        return
    print()
    for endpoint in endpoints:
        prism = median(r.rps for r in runs[("prism", endpoint)])
        ratios = []
        for target in ("ours-1", "ours-2"):
            ours = median(r.rps for r in runs[(target, endpoint)])
            ratios.append(f"{target} / prism {ours / prism:5.2f}")
        per_round = ", ".join(
            f"{ours.rps / mock.rps:.2f}"
            for ours, mock in zip(
                runs[("ours-2", endpoint)], runs[("prism", endpoint)], strict=True
            )
        )
        target = "  (target >= 2)" if endpoint in PLAIN_GETS else ""
        print(
            f"{LABELS[endpoint]:40} {'   '.join(ratios)}{target};"
            f" ours-2 / prism per round: {per_round}"
        )


def report_rate_limits(
    runs: dict[tuple[str, str], list[Run]], targets: list[str], endpoints: list[str]
) -> None:
    """Throughput with rate limits on / off, same worker count, per endpoint."""
    pairs = [(t.removesuffix("+rl"), t) for t in targets if t.endswith("+rl")]
    if not pairs:
        return
    print(
        "\n| endpoint | workers | off req/s | on req/s | on / off (medians) |"
        " **on / off, median of rounds** | on / off per round |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    median = statistics.median
    for endpoint in endpoints:
        for off, on in pairs:
            off_runs, on_runs = runs[(off, endpoint)], runs[(on, endpoint)]
            off_rps, on_rps = median(r.rps for r in off_runs), median(r.rps for r in on_runs)
            # Each round's pair ran minutes apart at most: the median of their ratios is the
            # figure a busy neighbour disturbs least.
            ratios = [a.rps / b.rps for a, b in zip(on_runs, off_runs, strict=True)]
            per_round = ", ".join(f"{ratio:.2f}" for ratio in ratios)
            target = " (target >= 0.90)" if endpoint in PLAIN_GETS else ""
            print(
                f"| `{LABELS[endpoint]}` | {off.removeprefix('ours-')} | {off_rps:.0f}"
                f" | {on_rps:.0f} | {on_rps / off_rps:.2f} | **{median(ratios):.2f}**{target}"
                f" | {per_round} |"
            )


if __name__ == "__main__":
    main()
