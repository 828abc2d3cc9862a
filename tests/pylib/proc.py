"""Processes the benchmarks start: a registry to stop on exit, CPU time,
free ports."""
import os
import signal
import socket
import subprocess
import sys

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
