#!/usr/bin/python3
"""spf_tools.py - TAP tests for `authtool spf record`, `spf lint` and the
command-line contract of `spf check` (text output, exit codes, usage errors).

Records built by `spf record` are evaluated by pyspf (Debian python3-spf),
an independent implementation, for addresses inside and outside the listed
networks; master-file lines from `--domain` are read back with dnspython.
`spf lint` runs over a master file written here with known problems (and the
same file served by tests/dns/testdns.py, so the network path is covered),
and its worst-case lookup count is checked against the count `spf check`
reports for a client that matches nothing.

Environment: top_srcdir, top_builddir, PYTHON (automake).
"""

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP_SRCDIR = os.environ.get("top_srcdir") or os.path.normpath(os.path.join(HERE, "..", ".."))
TOP_BUILDDIR = os.environ.get("top_builddir") or os.getcwd()
AUTHTOOL = os.path.join(TOP_BUILDDIR, "tools", "authtool")
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(TOP_SRCDIR, "tests", "dns"))

ZONE = r"""$ORIGIN .
$TTL 300
good.example.     IN TXT "v=spf1 ip4:192.0.2.0/24 mx include:inc.example -all"
good.example.     IN MX 10 mail.good.example.
mail.good.example. IN A 192.0.2.10
inc.example.      IN TXT "v=spf1 a:mail.good.example ip6:2001:db8::/32 -all"
heavy.example.    IN TXT "v=spf1 include:h1.example include:h2.example -all"
h1.example.       IN TXT "v=spf1 a:mail.good.example a:mail.good.example a:mail.good.example a:mail.good.example a:mail.good.example -all"
h2.example.       IN TXT "v=spf1 a:mail.good.example a:mail.good.example a:mail.good.example a:mail.good.example -all"
two.example.      IN TXT "v=spf1 -all"
two.example.      IN TXT "v=spf1 +all"
syntax.example.   IN TXT "v=spf1 ip4:192.0.2.300 -all"
dangling.example. IN TXT "v=spf1 include:nowhere.example -all"
open.example.     IN TXT "v=spf1 ptr +all"
voids.example.    IN TXT "v=spf1 a:nx1.example a:nx2.example a:nx3.example -all"
manymx.example.   IN TXT "v=spf1 mx -all"
loop1.example.    IN TXT "v=spf1 include:loop2.example -all"
loop2.example.    IN TXT "v=spf1 redirect=loop1.example"
;%TIMEOUT slow.example.
"""
for _i in range(11):
    ZONE += "manymx.example. IN MX %d m%d.manymx.example.\n" % (_i, _i)
_big = ["v=spf1 "] + [" ".join("ip4:192.0.2.%d" % (j * 15 + k) for k in range(1, 16)) + " "
                      for j in range(3)] + ["-all"]
ZONE += "big.example. IN TXT ( %s )\n" % " ".join('"%s"' % x for x in _big)

tests = []


def test(fn):
    tests.append(fn)
    return fn


def run(*args, stdin=None):
    p = subprocess.run([AUTHTOOL] + list(args), capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=60)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def pyspf(record, ip):
    import spf
    q = spf.query(i=ip, s="a@example.com", h="mx.example.com")
    return q.check(spf=record)[0]


class Fail(Exception):
    pass


def expect(cond, msg):
    if not cond:
        raise Fail(msg)


# ---------------------------------------------------------------- spf record

RECORD_CASES = [
    (["--ip4", "192.0.2.0/24", "--all", "fail"], "v=spf1 ip4:192.0.2.0/24 -all",
     [("192.0.2.77", "pass"), ("198.51.100.1", "fail")]),
    (["--ip6", "2001:db8::/32", "--ip4", "192.0.2.1", "--all", "softfail"],
     "v=spf1 ip4:192.0.2.1 ip6:2001:db8::/32 ~all",
     [("2001:db8::5", "pass"), ("192.0.2.1", "pass"), ("192.0.2.2", "softfail"),
      ("2001:db9::1", "softfail")]),
    (["--all", "neutral"], "v=spf1 ?all", [("192.0.2.1", "neutral")]),
    (["--ip4", "10.0.0.0/8", "--ip4", "172.16.0.0/12", "--all", "-"],
     "v=spf1 ip4:10.0.0.0/8 ip4:172.16.0.0/12 -all",
     [("10.1.2.3", "pass"), ("172.31.255.255", "pass"), ("172.32.0.0", "fail")]),
]


@test
def record_pyspf():
    """spf record builds records pyspf evaluates as intended"""
    for args, want, probes in RECORD_CASES:
        rc, out, err = run("spf", "record", *args)
        expect(rc == 0, "%s: exit %d %s" % (args, rc, err))
        rec = out.strip()
        expect(rec == want, "%s: got %r, want %r" % (args, rec, want))
        for ip, res in probes:
            got = pyspf(rec, ip)
            expect(got == res, "pyspf on %r for %s: %s, want %s" % (rec, ip, got, res))


@test
def record_invalid_values():
    """spf record refuses invalid values with exit 64"""
    bad = [["--ip4", "1.2.3"], ["--ip4", "192.0.2.0/33"], ["--ip4", "01.2.3.4"],
           ["--ip6", "::1/129"], ["--ip6", "1.2.3.4"], ["--include", "nodot"],
           ["--include", "example.com/24"], ["--a", "example.com:25"],
           ["--all", "maybe"], ["--exists", "%{x}.example.com"],
           ["--all", "fail", "--redirect", "x.example.com"],
           ["--redirect", "a.example", "--redirect", "b.example"], []]
    for args in bad:
        rc, out, err = run("spf", "record", *args)
        expect(rc == 64, "%s: exit %d, want 64" % (args, rc))
        expect(out == "", "%s: printed %r" % (args, out))
        expect(err.startswith("authtool: spf record: "), "%s: stderr %r" % (args, err))


@test
def record_cost_json():
    """spf record --json counts the DNS-querying terms and warns past 10"""
    rc, out, err = run("--json", "spf", "record", "--mx", "--a", "--include",
                       "x.example.com", "--redirect", "y.example.com", "--ip4", "192.0.2.1")
    expect(rc == 0, "exit %d" % rc)
    j = json.loads(out)
    expect(j["dns_lookups"] == 4, "dns_lookups %s" % j["dns_lookups"])
    expect(j["record"] == "v=spf1 ip4:192.0.2.1 a mx include:x.example.com redirect=y.example.com",
           "record %r" % j["record"])
    args = []
    for i in range(11):
        args += ["--include", "i%d.example.com" % i]
    rc, out, err = run("--json", "spf", "record", *args, "--all", "fail")
    j = json.loads(out)
    expect(rc == 0 and j["dns_lookups"] == 11, "11 includes: %s" % out)
    expect(any("limit" in w for w in j["warnings"]), "no limit warning: %s" % j["warnings"])
    rc, out, err = run("spf", "record", *args, "--all", "fail")
    expect("dns lookups: 11 of 10" in err and "warning:" in err, "text warning: %r" % err)


@test
def record_zone_line():
    """spf record --domain writes a master-file line dnspython reads back"""
    import dns.zone
    args = ["--domain", "example.com"]
    for i in range(1, 41):
        args += ["--ip4", "192.0.2.%d" % i]
    rc, out, err = run("spf", "record", *args, "--all", "fail")
    expect(rc == 0, "exit %d" % rc)
    rc2, rec, _ = run("spf", "record", *args[2:], "--all", "fail")
    z = dns.zone.from_text("$TTL 300\n@ IN SOA a. b. 1 2 3 4 5\n@ IN NS a.\n" + out,
                           origin="example.com.", relativize=False)
    txt = z.find_rdataset("example.com.", "TXT")[0]
    expect(all(len(s) <= 255 for s in txt.strings), "a string over 255 bytes")
    expect(b"".join(txt.strings).decode() == rec.strip(), "joined strings differ")
    expect("450" in err, "no size warning: %r" % err)


# ---------------------------------------------------------------- spf lint

def lint(zonefile, domain, net=None):
    dnsargs = ["--zone", zonefile] if net is None else ["--dns-server", net, "--timeout", "1"]
    rc, out, err = run("--json", *dnsargs, "spf", "lint", domain)
    try:
        j = json.loads(out)
    except ValueError:
        raise Fail("lint %s: not JSON: %r %r" % (domain, out, err))
    return rc, j


def errors(j):
    return [f["message"] for f in j["findings"] if f["severity"] == "error"]


def lint_cases(zonefile, net=None):
    rc, j = lint(zonefile, "good.example", net)
    expect(rc == 0 and not errors(j), "good: %d %s" % (rc, errors(j)))
    expect(j["dns_lookups"] == 3, "good: dns_lookups %s, want 3" % j["dns_lookups"])
    expect(j["record"] == "v=spf1 ip4:192.0.2.0/24 mx include:inc.example -all", "record %r" % j["record"])
    expect(j["includes"] and j["includes"][0]["dns_lookups"] == 2, "include cost %s" % j["includes"])
    for dom, needle in [("heavy.example", "11 DNS lookups"), ("two.example", "2 SPF records"),
                        ("syntax.example", "ip4:192.0.2.300"), ("dangling.example", "nowhere.example"),
                        ("open.example", "+all"), ("voids.example", "3 void lookups"),
                        ("manymx.example", "11 MX records"), ("loop1.example", "loop"),
                        ("absent.example", "no SPF record")]:
        rc, j = lint(zonefile, dom, net)
        expect(rc == 1, "%s: exit %d, want 1" % (dom, rc))
        expect(any(needle in e for e in errors(j)), "%s: no error with %r: %s" % (dom, needle, errors(j)))
    rc, j = lint(zonefile, "open.example", net)
    expect(any(f["severity"] == "warning" and "ptr" in f["message"] for f in j["findings"]),
           "open: no ptr warning")
    rc, j = lint(zonefile, "big.example", net)
    expect(rc == 0, "big: exit %d %s" % (rc, errors(j)))
    expect(any("512" in f["message"] for f in j["findings"] if f["severity"] == "warning"),
           "big: no size warning: %s" % j["findings"])
    rc, j = lint(zonefile, "slow.example", net)
    expect(rc == 2, "slow: exit %d, want 2" % rc)


@test
def lint_zone():
    """spf lint finds the known problems (zone back end)"""
    lint_cases(ZONEFILE)


@test
def lint_network():
    """spf lint finds the known problems (network back end, testdns.py)"""
    from dnsserver import start, stop
    proc, port = start([ZONEFILE])
    try:
        lint_cases(ZONEFILE, "127.0.0.1:%d" % port)
    finally:
        stop(proc)


@test
def lint_text_format():
    """spf lint text output is one 'SEVERITY: message' per line"""
    rc, out, err = run("--zone", ZONEFILE, "spf", "lint", "heavy.example")
    expect(rc == 1, "exit %d" % rc)
    for line in out.splitlines():
        sev = line.split(":", 1)[0]
        expect(sev in ("error", "warning", "info"), "line %r" % line)
    rc, out, err = run("--zone", ZONEFILE, "spf", "lint")
    expect(rc == 64, "no domain: exit %d" % rc)


@test
def lint_matches_check():
    """spf lint's worst-case lookup count equals what spf check counts"""
    for dom in ("good.example", "heavy.example"):
        rc, j = lint(ZONEFILE, dom)
        rc, out, err = run("--json", "--zone", ZONEFILE, "spf", "check", "--ip",
                           "203.0.113.1", "--mfrom", "x@" + dom)
        c = json.loads(out)
        expect(c["dns_lookups"] == j["dns_lookups"],
               "%s: check counted %s, lint %s" % (dom, c["dns_lookups"], j["dns_lookups"]))


# ---------------------------------------------------------------- spf check CLI

@test
def check_cli():
    """spf check: result first, explanation for fail, exit codes, usage errors"""
    cases = [("192.0.2.77", "a@good.example", "pass", 0),
             ("203.0.113.1", "a@good.example", "fail", 1),
             ("203.0.113.1", "a@absent.example", "none", 1),
             ("203.0.113.1", "a@syntax.example", "permerror", 3),
             ("203.0.113.1", "a@slow.example", "temperror", 2)]
    for ip, mfrom, res, code in cases:
        rc, out, err = run("--zone", ZONEFILE, "spf", "check", "--ip", ip, "--mfrom", mfrom)
        expect(rc == code, "%s %s: exit %d, want %d" % (ip, mfrom, rc, code))
        expect(out.split()[0] == res, "%s %s: output %r" % (ip, mfrom, out))
        if res == "fail":
            expect("does not designate" in out, "no explanation: %r" % out)
    rc, out, err = run("--json", "--zone", ZONEFILE, "spf", "check", "--ip", "203.0.113.1",
                       "--mfrom", "", "--helo", "good.example")
    j = json.loads(out)
    expect(j["result"] == "fail" and j["sender"] == "postmaster@good.example" and
           "explanation" in j, "null path: %s" % out)
    for args in (["--mfrom", "a@good.example"], ["--ip", "300.1.1.1", "--mfrom", "a@b.example"],
                 ["--ip", "192.0.2.1", "--mfrom", ""], ["--ip", "192.0.2.1"],
                 ["--ip", "192.0.2.1", "--mfrom", "a@b.example", "extra"]):
        rc, out, err = run("--zone", ZONEFILE, "spf", "check", *args)
        expect(rc == 64, "%s: exit %d, want 64" % (args, rc))


def main():
    global ZONEFILE
    if not os.access(AUTHTOOL, os.X_OK):
        print("1..0 # SKIP %s not built" % AUTHTOOL)
        return 0
    try:
        import spf  # noqa: F401
        import dns.zone  # noqa: F401
    except ImportError as e:
        print("1..0 # SKIP needs python3-spf and python3-dnspython: %s" % e)
        return 0
    tmp = tempfile.mkdtemp(prefix="spf_tools.")
    ZONEFILE = os.path.join(tmp, "lint.zone")
    with open(ZONEFILE, "w") as f:
        f.write(ZONE)
    print("1..%d" % len(tests))
    try:
        for n, fn in enumerate(tests, 1):
            try:
                fn()
                print("ok %d - %s" % (n, fn.__doc__))
            except Exception as e:  # noqa: BLE001 - report any failure as TAP
                print("not ok %d - %s" % (n, fn.__doc__))
                for line in str(e).splitlines() or [repr(e)]:
                    print("#   %s" % line)
            sys.stdout.flush()
    finally:
        os.unlink(ZONEFILE)
        os.rmdir(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
