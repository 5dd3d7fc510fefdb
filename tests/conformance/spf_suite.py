#!/usr/bin/python3
"""spf_suite.py - run the openspf RFC 7208 test suite against authtool (TAP).

Reads $top_srcdir/../shared/conformance/spf/tests.json (the suite as master
files plus expected results, see the README there) and runs every RFC 7208
test twice:

  1. over the network: one tests/dns/testdns.py server per scenario, serving
     that scenario's zone file (honouring its ;%TIMEOUT marks), and
       authtool --json --dns-server 127.0.0.1:PORT --timeout 1 \\
           spf check --ip HOST --mfrom MAILFROM --helo HELO
  2. offline: the same command with --zone FILE instead of --dns-server
     (our zone back end honours ;%TIMEOUT too, so every test must pass).

A test passes when the result is one of the accepted results and, where the
suite gives an explanation, the explanation matches: exactly, or for
"DEFAULT" any text that is not taken from the scenario's own explanation
TXT records (an exp= that must be ignored was used).

Output: "1..N" then one line per test, "ok N - rfc7208/SCENARIO/ID" (and
"zone:" in front of the scenario for the offline run).  Skips with
"1..0 # SKIP" when the suite data or authtool is missing.

Environment: top_srcdir, top_builddir (automake), PYTHON; SPF_SUITE_JOBS
(parallel tests, default 8), SPF_SUITE_ONLY (run only tests whose
"SCENARIO/ID" contains this string).
"""

import concurrent.futures
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP_SRCDIR = os.environ.get("top_srcdir") or os.path.normpath(os.path.join(HERE, "..", ".."))
TOP_BUILDDIR = os.environ.get("top_builddir") or os.getcwd()
SUITE_DIR = os.path.join(TOP_SRCDIR, "..", "shared", "conformance", "spf")
AUTHTOOL = os.path.join(TOP_BUILDDIR, "tools", "authtool")
JOBS = int(os.environ.get("SPF_SUITE_JOBS", "8"))
ONLY = os.environ.get("SPF_SUITE_ONLY", "")
DNS_TIMEOUT = "1"

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(TOP_SRCDIR, "tests", "dns"))


def skip(why):
    print("1..0 # SKIP %s" % why)
    sys.exit(0)


def scenario_name(sc):
    """"02-record-lookup" from the zone file name."""
    return os.path.splitext(os.path.basename(sc["zone"]))[0]


_TXT_RE = re.compile(r'\sIN\s+TXT\s+(.*)$')
_STR_RE = re.compile(r'"((?:[^"\\]|\\.)*)"')


def unescape(s):
    """Master-file string escapes (\\DDD, \\X) to bytes, decoded leniently."""
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 3 < len(s) + 0 and s[i + 1:i + 4].isdigit():
            out.append(int(s[i + 1:i + 4]))
            i += 4
        elif c == "\\" and i + 1 < len(s):
            out += s[i + 1].encode()
            i += 2
        else:
            out += c.encode()
            i += 1
    return out.decode("utf-8", "replace")


def exp_texts(zonefile):
    """The non-SPF TXT strings of a zone: its explanation texts."""
    texts = []
    with open(zonefile, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith(";"):
                continue
            m = _TXT_RE.search(line)
            if not m:
                continue
            text = "".join(unescape(x) for x in _STR_RE.findall(m.group(1)))
            if text and not text.lower().startswith("v=spf1"):
                texts.append(text)
    return texts


def check_one(test, dnsargs, forbidden):
    """Run one test; returns (ok, diagnostic lines)."""
    cmd = [AUTHTOOL, "--json"] + dnsargs + [
        "spf", "check", "--ip", test["host"], "--mfrom", test["mailfrom"],
        "--helo", test["helo"]]
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=60)
    except subprocess.TimeoutExpired:
        return False, ["authtool did not finish within 60 s"]
    took = time.monotonic() - t0
    diag = ["command: %s" % " ".join(repr(a) if (" " in a or not a) else a
                                      for a in cmd)]
    try:
        out = json.loads(p.stdout.decode("utf-8", "replace"))
    except ValueError:
        return False, diag + ["exit %d, not JSON: %r %r" % (p.returncode, p.stdout[:300], p.stderr[:300])]
    result = out.get("result")
    expected = test["result"]
    ok = result in expected
    if not ok:
        diag.append("expected %s, got %s (%s)" % ("/".join(expected), result,
                                                  out.get("reason")))
    want = {"pass": 0, "fail": 1, "softfail": 1, "neutral": 1, "none": 1,
            "temperror": 2, "permerror": 3}.get(result)
    if want is not None and p.returncode != want:
        ok = False
        diag.append("exit status %d for %s, want %d" % (p.returncode, result, want))
    if ok and "explanation" in test and result == "fail":
        exp = out.get("explanation")
        if test["explanation"] == "DEFAULT":
            bad = exp is None or any(
                exp == t or (len(t) > 8 and t in exp) for t in forbidden)
            if bad:
                ok = False
                diag.append("explanation %r: want our default, not a record's text" % exp)
        elif exp != test["explanation"]:
            ok = False
            diag.append("explanation %r, want %r" % (exp, test["explanation"]))
    if took > 10:
        diag.append("slow: %.1f s" % took)
    return ok, diag


def main():
    tj = os.path.join(SUITE_DIR, "tests.json")
    if not os.path.exists(tj):
        skip("SPF conformance data not found at %s" % os.path.normpath(SUITE_DIR))
    if not os.access(AUTHTOOL, os.X_OK):
        skip("%s not built" % AUTHTOOL)
    try:
        from dnsserver import start, stop
    except ImportError as e:
        skip("tests/dns/dnsserver.py unusable: %s" % e)
    with open(tj) as f:
        data = json.load(f)
    suite = [s for s in data["suites"] if s["file"].startswith("rfc7208")][0]
    scenarios = suite["scenarios"]

    # (mode, scenario, test) in output order.
    plan = []
    for mode in ("net", "zone"):
        for sc in scenarios:
            for t in sc["tests"]:
                name = "%s/%s" % (scenario_name(sc), t["id"])
                if ONLY and ONLY not in name:
                    continue
                plan.append((mode, sc, t, name))
    print("1..%d" % len(plan))
    sys.stdout.flush()
    if not plan:
        return 0

    t_start = time.monotonic()
    servers = {}
    failed = 0
    try:
        needed = sorted({sc["index"] for mode, sc, _, _ in plan if mode == "net"})
        by_index = {sc["index"]: sc for sc in scenarios}
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as ex:
            futs = {i: ex.submit(start, [os.path.join(SUITE_DIR, by_index[i]["zone"])])
                    for i in needed}
            for i, fu in futs.items():
                servers[i] = fu.result()
        t_servers = time.monotonic() - t_start
        forbidden = {sc["index"]: exp_texts(os.path.join(SUITE_DIR, sc["zone"]))
                     for sc in scenarios}

        def job(item):
            mode, sc, t, name = item
            if mode == "net":
                dnsargs = ["--dns-server", "127.0.0.1:%d" % servers[sc["index"]][1],
                           "--timeout", DNS_TIMEOUT]
            else:
                dnsargs = ["--zone", os.path.join(SUITE_DIR, sc["zone"])]
            return check_one(t, dnsargs, forbidden[sc["index"]])

        times = {}
        with concurrent.futures.ThreadPoolExecutor(max_workers=JOBS) as ex:
            results = list(ex.map(job, plan))
        for n, ((mode, sc, t, name), (ok, diag)) in enumerate(zip(plan, results), 1):
            label = ("zone:" if mode == "zone" else "") + "rfc7208/" + name
            print("%s %d - %s" % ("ok" if ok else "not ok", n, label))
            if not ok:
                failed += 1
                for d in diag:
                    print("#   %s" % d)
        elapsed = time.monotonic() - t_start
        print("# %d of %d tests failed; %.1f s (servers started in %.1f s, %d jobs)"
              % (failed, len(plan), elapsed, t_servers, JOBS))
    finally:
        for proc, _ in servers.values():
            stop(proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
