#!/usr/bin/env python3
"""Benchmark the media anchor against Debian's rtpengine-daemon (scripts/bench).

Both are driven over the ng protocol by the same load generator
(tests/bench/anchor_load.c, built here with cc -O2) with the same calls:
offer from A (from-tag), answer from B (to-tag), ICE=remove, one RTP/AVP
audio stream, parties on a loopback address of their own; then 172-byte RTP
packets (12-byte header) at 50 packets/s per direction per call, the calls
spread evenly over each 20 ms. rtpengine runs in userspace
(--table=-1), once with --num-threads=1 (one media thread: the like-for-like
comparison of efficiency with ours-1t) and once with its default thread
count (one per CPU: what an operator gets). Ours likewise: "ours" with its
default anchor-num-threads (one media thread per CPU), "ours-1t" and
"ours-2t" with anchor-num-threads 1 and 2; with both of those the report
adds how the anchor scales from one media thread to two (forwarded
packets/s and packets per CPU-second, ours-2t/ours-1t: issue 16 asks 1.7x
forwarded packets/s where one thread is not enough).

Each daemon is started fresh twice per round (once for the load, once for
setup), warmed up with 20 calls and a second of traffic, and stopped
afterwards. Rounds rotate the order of the
daemons; the report gives medians and the ours/rtpengine ratios.

Measures:
  load   - forwarded packets per daemon CPU-second: packets the parties
           received during a window of --seconds (after --warm seconds of
           traffic, setup excluded), divided by the daemon's CPU time over
           the same window (sum of its threads' schedstat run times; the
           utime+stime of /proc/PID/stat is recorded too, as tick_cpu_s).
           Loss is checked (sent vs received per direction).
  rss    - VmRSS per call: (VmRSS with the --calls calls up and media
           flowing) - (VmRSS before their setup, after the warm-up), / calls;
           and the same for --setup-calls calls without media.
  setup  - offer+answer pairs per second, --setup-calls calls one after the
           other (one request in flight) and with --inflight in flight, and
           per daemon CPU-second.
With --srtp every call is SRTP bridged (issue 13): transport-protocol
RTP/SAVP toward B with DTLS=off and SDES-only-AES_CM_128_HMAC_SHA1_80, B
answering with its own a=crypto key, the load generator protecting and
unprotecting B's side with libsrtp2 and A's side plain: the daemon
unprotects and protects every packet of B's side (anchor_load --srtp); the
report then adds what that SRTP work alone costs per packet and per call
side's contexts, on libsrtp2's built-in kernel and on the anchor's
OpenSSL one (tests/bench/srtp_ops.c: process CPU time, so a loaded machine
moves it little).
Standard library only.
"""
import argparse
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pylib import ng, proc  # noqa: E402
from pylib.proc import log, stop, cpu_ns  # noqa: E402

RTPENGINE = "/usr/bin/rtpengine"
HERE = os.path.dirname(os.path.abspath(__file__))


def nthreads(pid):
    return len(os.listdir(f"/proc/{pid}/task"))


def port_free(addr, port):
    return proc.port_free(addr, port, (socket.SOCK_DGRAM, socket.SOCK_STREAM))


def ng_ping(addr, port, timeout=0.2):
    return ng.Client(port, addr).ping(timeout)


def kv(out, line):
    """The key=value pairs of anchor_load's output line starting with line."""
    for ln in out.splitlines():
        if ln.startswith(line + " "):
            return {k: v for k, v in re.findall(r"(\S+)=(\S+)", ln)}
    return {}


class Env:
    def __init__(self, args):
        self.args = args
        self.tmp = tempfile.mkdtemp(prefix="anchorbench.")
        self.build_shown = os.path.abspath(args.build)
        # a private copy: a rebuild of the shared build dir mid-run changes nothing
        self.turnserver = f"{self.tmp}/turnserver"
        proc.private_copy(f"{self.build_shown}/bin/turnserver", self.turnserver)
        self.load = f"{self.tmp}/anchor_load"
        cc = subprocess.run(["cc", "-O2", "-std=gnu11", "-Wall", "-Wextra", "-o", self.load,
                             f"{HERE}/anchor_load.c", "-lsrtp2"], capture_output=True, text=True)
        if cc.returncode != 0:
            raise RuntimeError(f"cannot build anchor_load:\n{cc.stderr}")
        rnd = random.Random()
        a, b = proc.loopback_net(rnd)
        self.srv_ip = f"127.{a}.{b}.1"
        self.party_ip = f"127.{a}.{b}.2"
        base = proc.free_base(rnd, lambda base: all(port_free(self.srv_ip, base + i)
                                                      for i in range(3)))
        self.port, self.ng_port = base, base + 1
        self.min_port, self.max_port = 20000, 35999

    def cmd(self, impl, d):
        if impl.startswith("ours"):
            threads = {"ours": [], "ours-1t": ["--anchor-num-threads", "1"],
                       "ours-2t": ["--anchor-num-threads", "2"]}[impl]
            return [self.turnserver, "-n", "--listening-ip", self.srv_ip,
                    "--listening-port", str(self.port), "--relay-ip", self.srv_ip,
                    "--min-port", str(self.min_port), "--max-port", str(self.max_port),
                    "-u", "bench:benchpass", "--userdb", f"{d}/turn.db",
                    "--allow-loopback-peers", "--log-file", f"{d}/server.log",
                    "--anchor-ng-listen", f"{self.srv_ip}:{self.ng_port}"] + threads
        c = [RTPENGINE, "-f", "-E", "--config-file=none", "--table=-1",
             "-i", self.srv_ip, "-n", f"{self.srv_ip}:{self.ng_port}",
             "-m", str(self.min_port), "-M", str(self.max_port), "--delete-delay=0",
             f"--log-level={self.args.rtpengine_log_level}"]
        if impl == "rtpengine-1t":
            c.append("--num-threads=1")
        return c

    def start(self, impl):
        return proc.start_daemon(
            impl, lambda d: self.cmd(impl, d), self.tmp,
            lambda: ng_ping(self.srv_ip, self.ng_port), f"ng {self.srv_ip}:{self.ng_port}")

    def run_load(self, pid, prefix, *extra, timeout=120):
        cmd = [self.load, "--ng", f"{self.srv_ip}:{self.ng_port}", "--ip", self.party_ip,
               "--prefix", prefix, "--pid", str(pid)] + [str(x) for x in extra]
        if self.args.srtp:
            cmd.append("--srtp")
        rc, out = proc.run_bounded(cmd, timeout)
        if rc != 0:
            log(f"  anchor_load {' '.join(cmd[1:])} exited {rc}:\n{out[-800:]}")
        return rc, out, cmd


def bench_one(env, impl):
    """Two fresh daemons: one for the load (and RSS with media), one for setup."""
    a = env.args
    r = {"threads": 0}
    # a small warm-up (20 calls, half a second of media) sets up what a
    # daemon allocates once, without touching per-call memory for many calls
    warm = ("--calls", 20, "--warm", 0.5, "--seconds", 0.5)
    srv = env.start(impl)
    try:
        env.run_load(srv.pid, "warm", *warm)
        time.sleep(0.5)
        r["threads"] = nthreads(srv.pid)
        rc, out, cmd = env.run_load(srv.pid, "load", "--calls", a.calls, "--warm", a.warm,
                                    "--seconds", a.seconds)
        s, m, w = kv(out, "setup"), kv(out, "media"), kv(out, "window")
        r["cmd_load"] = cmd
        if rc == 0 and m and w:
            sent = int(m["sent_ab"]) + int(m["sent_ba"])
            recv = int(m["recv_ab"]) + int(m["recv_ba"])
            r.update({
                "per_cpu_s": float(w["per_cpu_s"]),
                "cpu_s": float(w["server_cpu_s"]),
                "tick_cpu_s": float(w["server_tick_cpu_s"]),
                "forwarded_pps": float(w["forwarded_pps"]),
                "loss_pct": 100.0 * (sent - recv) / sent if sent else 100.0,
                "misrouted": int(m["misrouted"]),
                "gen_cpu_s": float(w["self_cpu_s"]),
                "rss_call_kb": (int(w["rss_kb"]) - int(s["rss_before_kb"])) / a.calls,
            })
    finally:
        stop(srv)
    if a.no_setup:
        return r
    srv = env.start(impl)
    try:
        env.run_load(srv.pid, "warm", *warm)
        time.sleep(0.5)
        for name, inflight in (("seq", 1), ("par", a.inflight)):
            c0 = cpu_ns(srv.pid)
            rc, out, cmd = env.run_load(srv.pid, f"s{name}", "--calls", a.setup_calls,
                                        "--inflight", inflight, "--warm", 0, "--seconds", 0)
            c1 = cpu_ns(srv.pid)
            s, t = kv(out, "setup"), kv(out, "teardown")
            ok = rc == 0 and s.get("failed") == "0"
            r[f"setup_{name}_per_s"] = float(s["calls_per_s"]) if ok else None
            r[f"delete_{name}_per_s"] = float(t["per_s"]) if ok and t else None
            # the daemon's CPU for the offers, answers and deletes together
            r[f"setup_{name}_per_cpu_s"] = a.setup_calls / ((c1 - c0) / 1e9) if ok else None
            if name == "seq" and ok:
                r["rss_setup_kb"] = (int(s["rss_after_kb"]) - int(s["rss_before_kb"])) \
                    / a.setup_calls
            r[f"cmd_setup_{name}"] = cmd
    finally:
        stop(srv)
    return r


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", "3")))
    ap.add_argument("--calls", type=int, default=200, help="calls under load (default 200)")
    ap.add_argument("--seconds", type=float, default=10, help="measuring window (default 10)")
    ap.add_argument("--warm", type=float, default=2, help="traffic before the window (2)")
    ap.add_argument("--setup-calls", type=int, default=1000,
                    help="calls for the setup rate and RSS without media (default 1000)")
    ap.add_argument("--inflight", type=int, default=8, help="parallel setup (default 8)")
    ap.add_argument("--impls", default="ours,rtpengine-1t,rtpengine",
                    help="which daemons (ours, ours-1t, ours-2t, rtpengine-1t, rtpengine)")
    ap.add_argument("--no-setup", action="store_true",
                    help="the load only (no setup rates, no RSS without media)")
    ap.add_argument("--srtp", action="store_true",
                    help="bridged calls: SDES-SRTP toward B, plain RTP toward A")
    ap.add_argument("--rtpengine-log-level", type=int, default=6,
                    help="rtpengine's --log-level (default 6, as Debian's config ships)")
    args = ap.parse_args()
    if not os.access(RTPENGINE, os.X_OK):
        sys.exit(f"bench_anchor: {RTPENGINE} missing (apt-get install rtpengine-daemon)")
    env = proc.guarded("bench_anchor", lambda: Env(args))
    impls = args.impls.split(",")
    res = {i: [] for i in impls}
    t_start = time.monotonic()
    log(f"bench_anchor: daemons on {env.srv_ip} (ng {env.ng_port}, media "
        f"{env.min_port}-{env.max_port}), parties on {env.party_ip}, {args.rounds} rounds, "
        f"{args.calls} calls x 2 x 50 pps under load, tmp {env.tmp}")

    def one_round(r, order):
        for impl in order:
            x = bench_one(env, impl)
            res[impl].append(x)
            log(f"  round {r + 1} {impl:13}: {x.get('per_cpu_s', 0):.0f} pkts/cpu-s "
                f"({x.get('forwarded_pps', 0):.0f} pps, cpu {x.get('cpu_s', 0):.2f} s, "
                f"loss {x.get('loss_pct', 100):.3f}%), setup {x.get('setup_seq_per_s') or 0:.0f}/s "
                f"seq {x.get('setup_par_per_s') or 0:.0f}/s par, "
                f"rss {x.get('rss_call_kb', 0):.1f} kB/call, {x['threads']} threads")

    if proc.rounds("bench_anchor", env.tmp, args.rounds, impls, one_round):
        return 1

    ours = "ours" if "ours" in impls else next((i for i in impls if i.startswith("ours")), None)
    others = [i for i in impls if not i.startswith("ours")]
    print(f"\nanchor benchmark{' (SRTP bridged calls)' if args.srtp else ''}: "
          f"ours vs rtpengine {rtpengine_version()} (userspace, --table=-1), "
          f"medians of {args.rounds} rounds, {os.cpu_count()} CPUs, "
          f"{time.monotonic() - t_start:.0f} s")
    rows = [
        (f"forwarded packets per daemon CPU-s ({args.calls} calls)", "per_cpu_s", "{:.0f}"),
        ("  forwarded packets/s in the window", "forwarded_pps", "{:.0f}"),
        ("  daemon CPU-s in the window", "cpu_s", "{:.3f}"),
        ("  loss %", "loss_pct", "{:.3f}"),
        ("  load generator CPU-s in the window", "gen_cpu_s", "{:.3f}"),
        (f"RSS per call, kB ({args.calls} calls, media)", "rss_call_kb", "{:.1f}"),
        (f"RSS per call, kB ({args.setup_calls} calls, no media)", "rss_setup_kb", "{:.1f}"),
        ("offer+answer per s, sequential", "setup_seq_per_s", "{:.0f}"),
        (f"offer+answer per s, {args.inflight} in flight", "setup_par_per_s", "{:.0f}"),
        ("offer+answer+delete per daemon CPU-s", "setup_seq_per_cpu_s", "{:.0f}"),
        ("delete per s, sequential", "delete_seq_per_s", "{:.0f}"),
        ("daemon threads", "threads", "{:.0f}"),
    ]
    head = f"{'measure':<52}" + "".join(f"{i:>14}" for i in impls)
    if ours:
        head += "".join(f"{ours.replace('ours', 'o') + '/' + o.replace('rtpengine', 'rtpe'):>14}" for o in others)
    print(head)
    meds = {}
    for name, key, fmt in rows:
        line = f"{name:<52}"
        for i in impls:
            meds[(i, key)] = med(x.get(key) for x in res[i])
            v = meds[(i, key)]
            line += f"{fmt.format(v) if v is not None else '-':>14}"
        if ours:
            for o in others:
                a, b = meds[(ours, key)], meds[(o, key)]
                line += f"{a / b:>14.2f}" if a is not None and b else f"{'-':>14}"
        print(line)
    if ours:
        # issue 4: 1.5 x rtpengine's rate; issue 13 (SRTP bridged): at least rtpengine's
        goal = 1.0 if args.srtp else 1.5
        print(f"\ngoal (issue {13 if args.srtp else 4}): forwarded packets per CPU-s >= "
              f"{goal} x rtpengine's (informational, exit status unaffected):")
        for o in others:
            a, b = meds[(ours, "per_cpu_s")], meds[(o, "per_cpu_s")]
            if a is not None and b:
                print(f"  {'met    ' if a >= goal * b else 'NOT met'}  {ours}/{o} = {a / b:.2f}")
    if "ours-1t" in impls and "ours-2t" in impls:
        # issue 16: the anchor uses both cores when one is not enough
        print("\nscaling (issue 16: forwarded packets/s with 2 media threads >= 1.7 x with 1, "
              "where one thread is not enough; informational):")
        for key, what in (("forwarded_pps", "forwarded packets/s"),
                          ("per_cpu_s", "packets per CPU-s"), ("loss_pct", "loss %")):
            a, b = meds[("ours-2t", key)], meds[("ours-1t", key)]
            if a is not None and b is not None:
                print(f"  {what:22} 1 thread {b:10.3f}  2 threads {a:10.3f}" +
                      (f"  ratio {a / b:.2f}" if b else ""))
    if args.srtp:
        srtp_ops_report()
    print("\nraw (every round):")
    for i in impls:
        for x in res[i]:
            print(f"  {i}", {k: (round(v, 3) if isinstance(v, float) else v)
                             for k, v in x.items() if not k.startswith("cmd")})
    print("\ncommands (addresses and ports random per run; TMP a fresh directory):")
    for i in impls:
        print(f"  {i}: " + " ".join(env.cmd(i, "TMP")).replace(env.turnserver,
                                                             f"{env.build_shown}/bin/turnserver"))
    if impls and res[impls[0]]:
        x = res[impls[0]][0]
        for k in ("cmd_setup_seq", "cmd_setup_par", "cmd_load"):
            if k in x:
                c = ["PID" if j and x[k][j - 1] == "--pid" else w for j, w in enumerate(x[k])]
                print("  " + " ".join(c).replace(env.load, "anchor_load"))
    return 0


def srtp_ops_report():
    """The SRTP work of one bridged packet and of one context pair, in process
    CPU time, on libsrtp2's built-in kernel and on srtp_ossl's (srtp_ops.c)."""
    root = os.path.dirname(os.path.dirname(HERE))
    tmp = tempfile.mkdtemp(prefix="srtpops.")
    exe = f"{tmp}/srtp_ops"
    try:
        cc = subprocess.run(["cc", "-O2", "-std=gnu11", f"-I{root}/src", "-o", exe,
                             f"{HERE}/srtp_ops.c", f"{root}/src/anchor/srtp_ossl.c",
                             "-lsrtp2", "-lcrypto"], capture_output=True, text=True)
        if cc.returncode != 0:
            print(f"\nsrtp_ops: cannot build:\n{cc.stderr}")
            return
        print("\nSRTP work per bridged packet (one unprotect + one protect, 172 bytes, "
              "AES_CM_128_HMAC_SHA1_80) and per context pair, process CPU time "
              "(tests/bench/srtp_ops.c):")
        for kernel in ("builtin", "openssl"):
            r = subprocess.run([exe, kernel, "200000", "1000"], capture_output=True, text=True)
            print(f"  {(r.stdout or r.stderr).strip()}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def rtpengine_version():
    try:
        p = subprocess.run([RTPENGINE, "--version"], capture_output=True, text=True)
        m = re.search(r"Version: (\S+)", p.stdout + p.stderr)
        return m.group(1) if m else "?"
    except OSError:
        return "?"


if __name__ == "__main__":
    sys.exit(main())
