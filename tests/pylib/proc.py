"""Processes the benchmarks start: a registry to stop on exit, daemons
started until they answer, private copies of binaries, CPU time, free
loopback addresses and ports."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

live = []  # Popen objects to stop on exit


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def stop(p, grace=5.0):
    """SIGTERM, then SIGKILL after grace seconds."""
    if p.poll() is None:
        try:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    if p in live:
        live.remove(p)


def stop_all(*_):
    """The signal handler: stops what live holds and exits 130."""
    for p in list(live):
        stop(p, 2.0)
    sys.exit(130)


def cpu_ns(pid):
    """CPU time of all the process's threads in ns (schedstat: precise, not 10 ms ticks)."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


def port_free(addr, port, kinds=(socket.SOCK_DGRAM,)):
    """True when port can be bound on addr for every socket kind in kinds."""
    for kind in kinds:
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind((addr, port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def run_bounded(cmd, timeout):
    """Runs cmd (held in live meanwhile) for at most timeout seconds; its
    exit status and output (stdout and stderr), "[timed out]" appended
    when it was stopped."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, text=True)
    live.append(p)
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop(p, 1.0)
        out = (p.stdout.read() if p.stdout else "") + "\n[timed out]"
    if p in live:
        live.remove(p)
    return p.returncode, out


def finish(tmp):
    """Stops what live still holds and removes the run's directory tmp."""
    for p in list(live):
        stop(p, 2.0)
    shutil.rmtree(tmp, ignore_errors=True)


def rounds(name, tmp, n, impls, one_round, start=None):
    """Runs start() (when given), then one_round(r, order) for the rounds r
    in 0..n-1, order being impls rotated by r so that each implementation
    goes first in turn; a RuntimeError ends the run with "name: error"
    logged. Stops what live holds and removes tmp in any case. Returns 0
    when every round ran, 1 when one failed (the exit status to return)."""
    try:
        if start:
            start()
        for r in range(n):
            k = r % len(impls)
            one_round(r, impls[k:] + impls[:k])
    except RuntimeError as e:
        log(f"{name}: {e}")
        return 1
    finally:
        finish(tmp)
    return 0


def guarded(name, make):
    """Stops what live holds on SIGTERM and SIGINT, then returns make();
    exits with "name: error" when it raises RuntimeError or OSError."""
    signal.signal(signal.SIGTERM, stop_all)
    signal.signal(signal.SIGINT, stop_all)
    try:
        return make()
    except (RuntimeError, OSError) as e:
        sys.exit(f"{name}: {e}")


def private_copy(src, dst):
    """Copies the binary src to dst, so that a rebuild of the shared build
    directory mid-run changes nothing; RuntimeError unless it is ELF."""
    shutil.copy2(src, dst)
    with open(dst, "rb") as f:
        if f.read(4) != b"\x7fELF":
            raise RuntimeError(f"{src} is not an ELF binary")
    return dst


def loopback_net(rnd):
    """A random /16 of 127/8 for one run, as its first two octets after 127."""
    return rnd.randrange(64, 127), rnd.randrange(0, 256)


def free_base(rnd, ok):
    """A port base in 11000-19000 (a multiple of 10) for which ok(base)
    holds, 50 tries; the last one tried when none did."""
    for _ in range(50):
        base = rnd.randrange(11000, 19000, 10)
        if ok(base):
            break
    return base


def log_tail(d, names, n=5):
    """The last n lines of each of the files names in directory d that exist."""
    out = ""
    for name in names:
        try:
            with open(f"{d}/{name}") as f:
                out += "".join(f.readlines()[-n:])
        except OSError:
            pass
    return out


def start_daemon(name, cmd_for, tmp, ready, where, tries=3):
    """Starts cmd_for(d) in a fresh directory d under tmp (stdout and stderr
    into d/stdout.log) until ready() holds, within 10 s; up to tries times,
    1 s apart. Returns the Popen, held in live; RuntimeError when no try
    answered on where."""
    for attempt in range(tries):
        d = tempfile.mkdtemp(dir=tmp, prefix=name + ".")
        with open(f"{d}/stdout.log", "w") as out:
            p = subprocess.Popen(cmd_for(d), stdout=out, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL)
        live.append(p)
        t0 = time.monotonic()
        while time.monotonic() - t0 < 10 and p.poll() is None:
            if ready():
                return p
            time.sleep(0.05)
        stop(p)
        log(f"  {name} did not answer on {where} (exit {p.returncode}):\n"
            f"{log_tail(d, ('stdout.log', 'server.log'))}")
        if attempt < tries - 1:
            time.sleep(1.0)
    raise RuntimeError(f"{name} would not start")
