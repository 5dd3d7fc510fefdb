"""dnsserver.py - start and stop tests/dns/testdns.py from Python test scripts.

    import sys; sys.path.insert(0, os.path.join(top_srcdir, "tests", "dns"))
    from dnsserver import start, stop
    proc, port = start(["zone.zone"])            # 127.0.0.1, free port
    proc, port = start(files, addrs=["127.0.0.1", "::1"],
                       extra=["--cname-loop", "chain"])
    ...
    stop(proc)

start() waits until the server listens (at most `wait` seconds) and raises
RuntimeError with the server's stderr if it exits or never reports a port.
The server gets --lifetime (default 900 s) so a crashed test cannot leave it
running forever.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TESTDNS = os.path.join(HERE, "testdns.py")
PYTHON = os.environ.get("PYTHON", "/usr/bin/python3")


def start(zones, addrs=None, port=0, extra=(), lifetime=900, wait=20.0):
    """Start the server on the zone files: returns (proc, port)."""
    tmp = tempfile.mkdtemp(prefix="testdns.")
    portfile = os.path.join(tmp, "port")
    errfile = os.path.join(tmp, "stderr")
    cmd = [PYTHON, TESTDNS, "--port", str(port), "--port-file", portfile,
           "--lifetime", str(lifetime)]
    for z in zones:
        cmd += ["--zone", z]
    for a in addrs or ["127.0.0.1"]:
        cmd += ["--addr", a]
    cmd += list(extra)
    with open(errfile, "w") as err:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.monotonic() + wait
    try:
        while True:
            if os.path.exists(portfile):
                with open(portfile) as f:
                    proc.dns_port = int(f.read().strip())
                return proc, proc.dns_port
            if proc.poll() is not None or time.monotonic() > deadline:
                stop(proc)
                with open(errfile) as f:
                    msg = f.read().strip()
                raise RuntimeError("testdns.py did not start: %s" %
                                   (msg or "no port after %gs" % wait))
            time.sleep(0.02)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def stop(proc):
    """Stop a server started by start() (None is fine)."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


if __name__ == "__main__":
    p, n = start(sys.argv[1:])
    print("PORT", n)
    stop(p)
