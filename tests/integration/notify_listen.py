"""notify_listen.py NAME OUT SECONDS: the service manager's end of systemd's
notification protocol (sd_notify(3)) for a test: binds the abstract Unix
datagram socket NAME (NOTIFY_SOCKET=@NAME for the service), writes each
datagram it receives to OUT as one line (newlines inside become spaces),
and exits after STOPPING=1 or after SECONDS."""
import socket
import sys
import time

name, out, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + name)
end = time.monotonic() + seconds
with open(out, "w", encoding="utf-8") as f:
    print("listening", file=f, flush=True)
    while time.monotonic() < end:
        s.settimeout(max(0.01, end - time.monotonic()))
        try:
            msg = s.recv(4096).decode("utf-8", "replace")
        except socket.timeout:
            break
        print(msg.replace("\n", " "), file=f, flush=True)
        if "STOPPING=1" in msg.split("\n"):
            break
