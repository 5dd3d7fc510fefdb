#!/usr/bin/python3
"""test_testdns.py - checks the test DNS server (tests/dns/testdns.py) that
the other tests rely on, using dnspython as the client.

Prints TAP.  Checks: every SPF conformance master file loads (names with
\\032, a 251-octet name, TXT \\# 0, type SPF), the ;%TIMEOUT convention of
the conformance README, NXDOMAIN vs NODATA with the SOA, CNAME chains and
loops (both --cname-loop modes), 0x20 case kept in the question, TC over UDP
and the full answer over TCP, and our own marks.
"""

import glob
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import dns.flags            # noqa: E402
import dns.message          # noqa: E402
import dns.name             # noqa: E402
import dns.query            # noqa: E402
import dns.rcode            # noqa: E402
import dns.rdatatype        # noqa: E402

from dnsserver import start, stop   # noqa: E402

TOP = os.environ.get("top_srcdir", os.path.dirname(os.path.dirname(HERE)))
CONF = os.path.join(TOP, "..", "shared", "conformance", "spf", "zones")

results = []


def check(name, cond, why=""):
    results.append((bool(cond), name, why))


def udp(port, qname, qtype, timeout=2.0, addr="127.0.0.1", **kw):
    if isinstance(qname, str):
        qname = dns.name.from_text(qname)
    q = dns.message.make_query(qname, qtype, **kw)
    return dns.query.udp(q, addr, port=port, timeout=timeout,
                         raise_on_truncation=False)


def tcp(port, qname, qtype, timeout=2.0):
    q = dns.message.make_query(qname, qtype)
    return dns.query.tcp(q, "127.0.0.1", port=port, timeout=timeout)


def times_out(port, qname, qtype):
    try:
        udp(port, qname, qtype, timeout=0.4)
        return False
    except dns.exception.Timeout:
        return True


OWN = """$ORIGIN .
$TTL 300
.\t3600\tIN\tSOA\tns.test. host.test. 1 3600 600 86400 120
a.test.\tIN\tA\t192.0.2.1
x.ent.test.\tIN\tA\t192.0.2.2
c1.test.\tIN\tCNAME\tc2.test.
c2.test.\tIN\tCNAME\ta.test.
big.test.\tIN\tTXT\t%s
;%%SERVFAIL sf.test.
;%%REFUSED rf.test.
;%%MALFORMED bad.test.
;%%TRUNCATE tc.test.
tc.test.\tIN\tTXT\t"tcp only"
;%%DELAY slow.test. 0.3
slow.test.\tIN\tA\t192.0.2.3
;%%TIMEOUT some.test. TXT
some.test.\tIN\tTXT\t"never seen"
some.test.\tIN\tA\t192.0.2.4
;%%NOEDNS old.test.
old.test.\tIN\tA\t192.0.2.5
""" % " ".join(['"%s"' % ("x" * 200)] * 4)


def own_zone_checks(zone):
    proc, port = start([zone])
    try:
        r = udp(port, "A.tEsT", "A")
        check("answer, AA, 0x20 case kept",
              r.rcode() == 0 and r.flags & dns.flags.AA and
              r.question[0].name.to_text() == "A.tEsT." and
              r.answer[0][0].address == "192.0.2.1")
        r = udp(port, "nx.test", "A")
        check("NXDOMAIN with SOA, TTL min(3600, 120)",
              r.rcode() == dns.rcode.NXDOMAIN and
              r.authority[0].rdtype == dns.rdatatype.SOA and
              r.authority[0].ttl == 120)
        r = udp(port, "a.test", "MX")
        check("NODATA", r.rcode() == 0 and not r.answer and
              r.authority[0].rdtype == dns.rdatatype.SOA)
        r = udp(port, "ent.test", "A")
        check("empty non-terminal is NODATA",
              r.rcode() == 0 and not r.answer)
        r = udp(port, "c1.test", "A")
        check("CNAME chain and target", r.rcode() == 0 and
              [x.rdtype for x in r.answer] ==
              [dns.rdatatype.CNAME, dns.rdatatype.CNAME, dns.rdatatype.A])
        r = udp(port, "big.test", "TXT")
        check("TC without EDNS", r.flags & dns.flags.TC and not r.answer)
        r = udp(port, "big.test", "TXT", use_edns=0, payload=4096)
        check("EDNS 4096 fits", not r.flags & dns.flags.TC and r.answer)
        r = tcp(port, "big.test", "TXT")
        check("TCP full answer", len(r.answer[0][0].strings) == 4)
        r = udp(port, "sf.test", "A")
        check(";%SERVFAIL", r.rcode() == dns.rcode.SERVFAIL)
        r = udp(port, "rf.test", "A")
        check(";%REFUSED", r.rcode() == dns.rcode.REFUSED)
        try:
            udp(port, "bad.test", "A")
            check(";%MALFORMED", False, "reply parsed")
        except dns.exception.FormError:
            check(";%MALFORMED", True)
        except Exception as e:  # dnspython's exact error may vary
            check(";%MALFORMED", not isinstance(e, dns.exception.Timeout),
                  repr(e))
        r = udp(port, "tc.test", "TXT", use_edns=0, payload=4096)
        check(";%TRUNCATE over UDP", r.flags & dns.flags.TC and not r.answer)
        r = tcp(port, "tc.test", "TXT")
        check(";%TRUNCATE over TCP", r.answer and
              r.answer[0][0].strings == (b"tcp only",))
        r = udp(port, "slow.test", "A")
        check(";%DELAY answers", r.answer)
        check(";%TIMEOUT NAME TYPE drops that type",
              times_out(port, "some.test", "TXT"))
        r = udp(port, "some.test", "A")
        check(";%TIMEOUT NAME TYPE answers others", r.answer)
        r = udp(port, "old.test", "A", use_edns=0)
        check(";%NOEDNS FORMERR to EDNS",
              r.rcode() == dns.rcode.FORMERR and r.edns < 0)
        r = udp(port, "old.test", "A")
        check(";%NOEDNS answers without EDNS", r.answer)
    finally:
        stop(proc)


def conformance_checks():
    zones = sorted(glob.glob(os.path.join(CONF, "*", "*.zone")))
    if not zones:
        return False
    for z in zones:
        try:
            proc, _ = start([z])
            stop(proc)
            check("loads " + os.path.relpath(z, CONF), True)
        except RuntimeError as e:
            check("loads " + os.path.relpath(z, CONF), False, str(e))
    d = os.path.join(CONF, "rfc7208")
    proc, port = start([os.path.join(d, "02-record-lookup.zone"),
                        os.path.join(d, "14-macro-expansion-rules.zone"),
                        os.path.join(d, "06-ptr-mechanism-syntax.zone"),
                        os.path.join(d, "01-initial-processing.zone")])
    try:
        check("TIMEOUT NAME: type without records gets no reply",
              times_out(port, "txttimeout.example.net", "TXT"))
        r = udp(port, "txttimeout.example.net", "SPF")
        check("TIMEOUT NAME: type with records is answered", r.answer)
        r = udp(port, dns.name.from_text(
            "macro%percent\\032\\032space%20url-space.example.com."), "A")
        check("owner name with spaces", r.answer)
        long = "somewhat.long.exp.example.com." * 8 + "example.com."
        r = udp(port, long, "TXT")
        check("251-octet owner name", r.rcode() == 0 and r.answer)
        r = udp(port, "null.example.com", "TXT")
        check("TXT \\# 0 served with no string", r.answer and
              () in [rd.strings for rd in r.answer[0]] and
              len(r.answer[0]) == 2)
        r = udp(port, "loop4.example.com", "A")
        check("CNAME loop: SERVFAIL", r.rcode() == dns.rcode.SERVFAIL)
    finally:
        stop(proc)
    proc, port = start([os.path.join(d, "06-ptr-mechanism-syntax.zone")],
                       extra=["--cname-loop", "chain"])
    try:
        r = udp(port, "loop4.example.com", "A")
        check("CNAME loop, --cname-loop chain: NOERROR with the chain",
              r.rcode() == 0 and r.answer and
              all(x.rdtype == dns.rdatatype.CNAME for x in r.answer))
    finally:
        stop(proc)
    return True


def main():
    with tempfile.TemporaryDirectory() as tmp:
        zone = os.path.join(tmp, "own.zone")
        with open(zone, "w") as f:
            f.write(OWN)
        try:
            own_zone_checks(zone)
        except Exception as e:
            check("own zone checks ran", False, repr(e))
    have_conf = True
    try:
        have_conf = conformance_checks()
    except Exception as e:
        check("conformance zone checks ran", False, repr(e))
    n = len(results) + (0 if have_conf else 1)
    print("1..%d" % n)
    for i, (ok, name, why) in enumerate(results, 1):
        print("%s %d - %s%s" % ("ok" if ok else "not ok", i, name,
                                 (" # " + why) if why and not ok else ""))
    if not have_conf:
        print("ok %d # SKIP conformance data not found at %s" % (n, CONF))
    return 0


if __name__ == "__main__":
    sys.exit(main())
