#!/usr/bin/env python3
"""Where the samples of a dotnet-trace thread-time profile (speedscope JSON) fall, grouped.

dotnet-trace's dotnet-sampled-thread-time profile samples every managed thread about 100 times a
second, running or not, and marks the top of each stack CPU_TIME (managed code running) or
UNMANAGED_CODE_TIME (in native code: running, as SoftHSM's C_Sign, SQLite or OpenSSL, or
blocked, as epoll or a semaphore). A native sample under a waiting frame (a parked thread pool
worker, epoll, a semaphore, a sleep, a monitor) is idle and left out of the shares; every other
sample is put in the first group (from the top of its stack down) that one of its frames matches.
Usage: profile-summary.py TRACE.speedscope.json
"""
import json
import re
import sys

IDLE = re.compile(r"Interop\+Sys\.Read\(|FileSystemWatcher|WorkerThreadStart|WaitOne|WaitCore|Wait\(|Monitor\.|LowLevelLifoSemaphore|LowLevelMonitor|Sleep|epoll|SocketAsyncEngine\.EventLoop|WaitForSignal|SemaphoreSlim\.Wait|ThreadPoolWorkQueue\.Dispatch.*Wait|PortableThreadPool.*(Wait|Gate)|TimerQueue\.TimerThread|ReadNextLineAsync|Console")
GROUPS = [
    ("C_Sign in SoftHSM", r"Pkcs11.*Sign|C_Sign|CkSign|Pkcs11Interop.*Sign"),
    ("signature verification", r"VerifySignature|Verif(y|ies)|ECDsa.*Verify|Ed25519.*Verif|RSA.*Verify"),
    ("TLS", r"System\.Net\.Security|SslStream|Interop\.(Ssl|OpenSsl|Crypto)|SafeSsl"),
    ("HTTP/2 and sockets (Kestrel)", r"Microsoft\.AspNetCore\.Server\.Kestrel|System\.Net\.Sockets|System\.IO\.Pipelines"),
    ("gRPC", r"^Grpc\.|Grpc\.AspNetCore|Grpc\.Core"),
    ("protobuf", r"Google\.Protobuf"),
    ("policy", r"SshHsmCa\.Policy"),
    ("audit store (SQLite)", r"Microsoft\.Data\.Sqlite|SQLitePCL|SqlAuditStore|sqlite"),
    ("certificate format", r"SshHsmCa\.Ssh\."),
    ("logging and metrics", r"Serilog|Microsoft\.Extensions\.Logging|Prometheus|JournalAuditEvents|IssuanceEvents"),
    ("issuing pipeline and services", r"SshHsmCa\.CaDaemon"),
    ("ASP.NET Core", r"Microsoft\.AspNetCore"),
    ("thread pool and tasks", r"System\.Threading|System\.Runtime\.CompilerServices"),
]


def main(path):
    with open(path, encoding="utf-8") as handle:
        trace = json.load(handle)
    frames = [f["name"] for f in trace["shared"]["frames"]]
    counts = {name: 0.0 for name, _ in GROUPS}
    counts["other"] = 0.0
    idle = 0.0
    for profile in trace["profiles"]:
        if profile.get("type") != "evented":
            continue
        stack = []
        last = None
        for event in profile["events"]:
            at = event["at"]
            if last is not None and stack and at > last:
                names = [frames[i] for i in reversed(stack)]
                slice_ = at - last
                if names[0] == "UNMANAGED_CODE_TIME" and any(IDLE.search(n) for n in names[1:8]):
                    idle += slice_
                else:
                    for group, pattern in GROUPS:
                        if any(re.search(pattern, n) for n in names):
                            counts[group] += slice_
                            break
                    else:
                        counts["other"] += slice_
            if event["type"] == "O":
                stack.append(event["frame"])
            elif stack:
                stack.pop()
            last = at
    busy = sum(counts.values())
    print(f"| where the daemon's CPU samples fall ({busy:.0f} ms busy, {idle:.0f} ms idle threads left out) | share |")
    print("|---|---:|")
    for group, value in sorted(counts.items(), key=lambda kv: -kv[1]):
        if value > 0:
            print(f"| {group} | {100 * value / busy:.1f} % |")


if __name__ == "__main__":
    main(sys.argv[1])
