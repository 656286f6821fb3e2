#!/usr/bin/python3
"""Runs a Type=notify daemon the way systemd would, for the package install test.

usage: notify-harness.py HOST_SOCKET_PATH CLIENT_COMMAND -- DAEMON_COMMAND...

Binds a datagram socket at HOST_SOCKET_PATH (the daemon sees it as $NOTIFY_SOCKET, set by the
caller in DAEMON_COMMAND's environment), starts the daemon, waits for READY=1 (60 s at most),
lets it idle for 3 s and reads its resident memory, runs CLIENT_COMMAND (a shell command) while
it serves, then sends SIGTERM and waits for STOPPING=1 and the exit. Prints key=value lines:
ready_seconds, idle_rss_kib, client_status, stopping, exit_status. Exits 1 if the daemon never
became ready (its output is passed through).
"""
import os
import signal
import socket
import subprocess
import sys
import time


def receive(sock, deadline, want):
    seen = []
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = sock.recv(4096).decode("utf-8", "replace")
        except socket.timeout:
            break
        seen.extend(data.split("\n"))
        if want in seen:
            return True, seen
    return False, seen


def main():
    if len(sys.argv) < 5 or sys.argv[3] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    path, client, command = sys.argv[1], sys.argv[2], sys.argv[4:]
    if os.path.exists(path):
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    os.chmod(path, 0o666)  # the daemon runs as its own user
    started = time.monotonic()
    daemon = subprocess.Popen(command)
    try:
        ready, seen = receive(sock, started + 60, "READY=1")
        if not ready:
            print(f"ready=0 seen={seen!r} exit_status={daemon.poll()}")
            return 1
        print(f"ready_seconds={time.monotonic() - started:.3f}")
        time.sleep(3)
        with open(f"/proc/{daemon.pid}/status", encoding="ascii") as status:
            rss = next(line.split()[1] for line in status if line.startswith("VmRSS:"))
        print(f"idle_rss_kib={rss}")
        print(f"client_status={subprocess.call(client, shell=True)}")
        daemon.send_signal(signal.SIGTERM)
        stopping, _ = receive(sock, time.monotonic() + 30, "STOPPING=1")
        print(f"stopping={int(stopping)}")
        print(f"exit_status={daemon.wait(timeout=30)}")
        return 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        sock.close()
        os.unlink(path)


if __name__ == "__main__":
    sys.exit(main())
