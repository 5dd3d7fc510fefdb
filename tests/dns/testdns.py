#!/usr/bin/python3
"""testdns.py - a small authoritative DNS server for the libauth tests.

It serves RFC 1035 master files over UDP and TCP on loopback so that tests can
run the real network code (ldns back end, authtool --dns-server, authmilter)
against known data, including the failures a resolver must survive.

Usage:
    /usr/bin/python3 tests/dns/testdns.py --zone FILE [--zone FILE ...]
        [--addr 127.0.0.1] [--addr ::1] [--port 0] [--port-file PATH]
        [--udp-max BYTES] [--cname-loop servfail|chain] [--lifetime SECONDS]
        [--log]

  --zone FILE       master file to serve (repeatable).  Files are read with
                    $ORIGIN "." so absolute names work everywhere; all files
                    are merged into one name space.
  --addr ADDR       loopback address to listen on (repeatable; default
                    127.0.0.1).  Only loopback addresses are accepted.
  --port N          port for UDP and TCP on every address (0 = pick a free one).
  --port-file PATH  write the chosen port there (written atomically).  The
                    port is also printed on stdout as "PORT n".
  --udp-max BYTES   largest UDP answer this server sends (default 4096).  The
                    limit used is the smaller of this and the client's size
                    (512 without EDNS, its EDNS buffer size with EDNS).
                    Bigger answers go out with TC=1 and no records.
  --cname-loop M    a CNAME loop answers SERVFAIL (default, like a recursive
                    resolver) or "chain": NOERROR with the chain as far as it
                    goes (like an authoritative server).
  --lifetime S      exit after S seconds (a safety net for tests; 0 = never).
  --log             print one line per query on stderr.

Runs until SIGTERM or SIGINT.

Answers are authoritative (AA): the exact type -> the records; a CNAME -> the
chain (followed within the data, up to 16 steps) and the final records; a name
that exists, or has names below it, without the type -> NOERROR with no
records and the SOA in the authority section (its TTL is min(SOA TTL, SOA
minimum)); anything else -> NXDOMAIN with the SOA.  The SOA is the one of the
closest enclosing name that has one.  Names compare case-insensitively; the
question is echoed with the client's case (0x20).  No wildcards, no DNSSEC.

Comment marks in a master file (other loaders ignore them).  NAME is an
absolute name; TYPE a mnemonic (A, TXT, ...).  Where "[TYPE ...]" is allowed
and no type is given, the mark applies to every type.
    ;%TIMEOUT NAME            queries for NAME of a type that has no records
                              get no reply at all (UDP: dropped; TCP: the
                              connection stays open until the client gives up)
    ;%TIMEOUT NAME TYPE ...   those types get no reply, records or not
    ;%SERVFAIL NAME [TYPE ...]   answer SERVFAIL
    ;%REFUSED NAME [TYPE ...]    answer REFUSED
    ;%TRUNCATE NAME [TYPE ...]   over UDP always TC=1 with no records; TCP
                                 answers in full
    ;%MALFORMED NAME [TYPE ...]  reply with garbage (the query ID, then bytes
                                 that do not parse as a DNS message)
    ;%MISMATCH NAME [TYPE ...]   reply NOERROR for a different question
                                 (the name with "mismatch." in front)
    ;%DELAY NAME SECONDS [TYPE ...]  answer normally after SECONDS
    ;%NOEDNS NAME [TYPE ...]     a query with EDNS gets FORMERR without an OPT
                                 record (an old server); without EDNS it is
                                 answered normally

Python use (see tests/dns/dnsserver.py):
    from dnsserver import start, stop
    proc, port = start(["zone1"], addrs=["127.0.0.1"])
    ...
    stop(proc)
"""

import argparse
import errno
import os
import re
import signal
import socket
import struct
import sys
import threading
import time

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone

MAX_CHAIN = 16
MARKS = ("TIMEOUT", "SERVFAIL", "REFUSED", "TRUNCATE", "MALFORMED",
         "MISMATCH", "DELAY", "NOEDNS")


class Mark:
    """One ;%KIND NAME [ARG] [TYPE ...] line."""

    def __init__(self, kind, types, arg=None):
        self.kind = kind
        self.types = types      # set of rdtypes, or None for "every type"
        self.arg = arg


class Data:
    """Every record of every zone file, merged, plus the comment marks."""

    def __init__(self):
        self.nodes = {}         # Name -> {rdtype: rdataset}
        self.exists = set()     # names with records and their ancestors
        self.marks = {}         # Name -> [Mark]

    def load(self, path):
        zone = dns.zone.from_file(path, origin=dns.name.root,
                                  relativize=False, check_origin=False)
        for name, rdataset in zone.iterate_rdatasets():
            node = self.nodes.setdefault(name, {})
            old = node.get(rdataset.rdtype)
            if old is None:
                node[rdataset.rdtype] = rdataset
            elif rdataset.rdtype != dns.rdatatype.SOA:
                old.union_update(rdataset)      # the first file's SOA wins
            n = name
            while True:
                self.exists.add(n)
                if n == dns.name.root:
                    break
                n = n.parent()
        with open(path, "r", encoding="utf-8", errors="surrogateescape") as f:
            for lineno, line in enumerate(f, 1):
                self._mark(path, lineno, line)

    def _mark(self, path, lineno, line):
        m = re.match(r"\s*;%([A-Za-z]+)\s+(.*)$", line)
        if not m or m.group(1).upper() not in MARKS:
            return
        kind = m.group(1).upper()
        words = m.group(2).split()
        if not words:
            raise SystemExit("%s:%d: ;%%%s needs a name" % (path, lineno, kind))
        name = dns.name.from_text(words[0], origin=dns.name.root)
        words = words[1:]
        arg = None
        if kind == "DELAY":
            if not words:
                raise SystemExit("%s:%d: ;%%DELAY needs seconds" % (path, lineno))
            arg = float(words[0])
            words = words[1:]
        types = None
        if words:
            types = set(dns.rdatatype.from_text(w) for w in words)
        self.marks.setdefault(name, []).append(Mark(kind, types, arg))

    def mark(self, name, rdtype):
        """The first mark for name/rdtype, or None."""
        for m in self.marks.get(name, ()):
            if m.kind == "TIMEOUT" and m.types is None:
                node = self.nodes.get(name, {})
                if rdtype in node or dns.rdatatype.CNAME in node:
                    continue
                return m
            if m.types is None or rdtype in m.types:
                return m
        return None

    def soa(self, name):
        """The SOA rrset (negative TTL) of the closest enclosing zone."""
        n = name
        while True:
            node = self.nodes.get(n)
            if node and dns.rdatatype.SOA in node:
                rds = node[dns.rdatatype.SOA]
                ttl = min(rds.ttl, rds[0].minimum)
                return dns.rrset.from_rdata_list(n, ttl, list(rds))
            if n == dns.name.root:
                return None
            n = n.parent()


def rrset_of(name, rdataset):
    return dns.rrset.from_rdata_list(name, rdataset.ttl, list(rdataset))


def resolve(data, qname, qtype, cname_loop):
    """Answer qname/qtype: (rcode, answer rrsets, authority rrsets)."""
    answer = []
    name = qname
    seen = set()
    for _ in range(MAX_CHAIN + 1):
        node = data.nodes.get(name)
        if node is None:
            if name in data.exists:
                break                           # empty non-terminal: NODATA
            soa = data.soa(name)
            return dns.rcode.NXDOMAIN, answer, [soa] if soa else []
        if qtype == dns.rdatatype.ANY:
            answer.extend(rrset_of(name, rds) for rds in node.values())
            return dns.rcode.NOERROR, answer, []
        if qtype in node:
            answer.append(rrset_of(name, node[qtype]))
            return dns.rcode.NOERROR, answer, []
        cname = node.get(dns.rdatatype.CNAME)
        if cname is None:
            break
        seen.add(name)
        answer.append(rrset_of(name, cname))
        name = cname[0].target
        if name in seen:
            if cname_loop == "chain":
                return dns.rcode.NOERROR, answer, []
            return dns.rcode.SERVFAIL, [], []
    else:
        return dns.rcode.SERVFAIL, [], []       # chain too long
    soa = data.soa(name)
    return dns.rcode.NOERROR, answer, [soa] if soa else []


class Server:
    def __init__(self, data, args):
        self.data = data
        self.args = args
        self.stopping = threading.Event()

    def log(self, fmt, *a):
        if self.args.log:
            sys.stderr.write("testdns: " + (fmt % a) + "\n")
            sys.stderr.flush()

    def respond(self, wire, tcp):
        """Reply bytes for one query, or None for "no reply"."""
        try:
            query = dns.message.from_wire(wire)
        except Exception:
            if len(wire) < 12:
                return None
            # FORMERR: the ID and opcode from the header, no sections.
            flags = (struct.unpack("!H", wire[2:4])[0] & 0x7800) | 0x8000 | 1
            return wire[:2] + struct.pack("!HHHHH", flags, 0, 0, 0, 0)
        if query.flags & dns.flags.QR:
            return None
        resp = dns.message.make_response(query)
        resp.flags |= dns.flags.AA
        if query.opcode() != dns.opcode.QUERY:
            resp.set_rcode(dns.rcode.NOTIMP)
            return resp.to_wire()
        if len(query.question) != 1:
            resp.set_rcode(dns.rcode.FORMERR)
            return resp.to_wire()
        q = query.question[0]
        self.log("%s %s %s", "tcp" if tcp else "udp", q.name,
                 dns.rdatatype.to_text(q.rdtype))
        if q.rdclass != dns.rdataclass.IN:
            resp.set_rcode(dns.rcode.REFUSED)
            return resp.to_wire()

        mark = self.data.mark(q.name, q.rdtype)
        kind = mark.kind if mark else None
        if kind == "TIMEOUT":
            return None
        if kind == "DELAY":
            if self.stopping.wait(mark.arg):
                return None
        if kind == "NOEDNS" and query.edns >= 0:
            resp.use_edns(False)
            resp.set_rcode(dns.rcode.FORMERR)
            return resp.to_wire()
        if kind == "SERVFAIL":
            resp.set_rcode(dns.rcode.SERVFAIL)
            return resp.to_wire()
        if kind == "REFUSED":
            resp.set_rcode(dns.rcode.REFUSED)
            return resp.to_wire()
        if kind == "MALFORMED":
            # QR set, counts promising records that are not there.
            return wire[:2] + b"\x84\x00\x00\x01\x00\x05\x00\x00\x00\x00" + \
                b"\x07garbage\xc0\xff\x00"
        if kind == "TRUNCATE" and not tcp:
            resp.flags |= dns.flags.TC
            return resp.to_wire()
        qname = q.name
        if kind == "MISMATCH":
            resp.question = [dns.rrset.RRset(
                dns.name.Name((b"mismatch",) + q.name.labels),
                q.rdclass, q.rdtype)]

        rcode, answer, authority = resolve(self.data, qname, q.rdtype,
                                           self.args.cname_loop)
        resp.set_rcode(rcode)
        if answer:
            # The first owner is echoed as the client wrote it.
            answer[0] = dns.rrset.from_rdata_list(
                qname if answer[0].name == qname else answer[0].name,
                answer[0].ttl, list(answer[0]))
        resp.answer = answer
        resp.authority = authority
        if tcp:
            return resp.to_wire(max_size=65535)
        limit = 512
        if query.edns >= 0:
            limit = max(512, query.payload)
        limit = min(limit, self.args.udp_max)
        try:
            return resp.to_wire(max_size=limit)
        except dns.exception.TooBig:
            resp.answer = []
            resp.authority = []
            resp.additional = []
            resp.flags |= dns.flags.TC
            return resp.to_wire()

    # ---- UDP

    def udp_loop(self, sock):
        while not self.stopping.is_set():
            try:
                wire, peer = sock.recvfrom(65535)
            except OSError:
                if self.stopping.is_set():
                    return
                continue
            threading.Thread(target=self.udp_one, args=(sock, wire, peer),
                             daemon=True).start()

    def udp_one(self, sock, wire, peer):
        try:
            reply = self.respond(wire, False)
        except Exception as e:          # never die on one bad query
            self.log("error: %r", e)
            return
        if reply is not None:
            try:
                sock.sendto(reply, peer)
            except OSError:
                pass

    # ---- TCP

    def tcp_loop(self, sock):
        while not self.stopping.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                if self.stopping.is_set():
                    return
                continue
            threading.Thread(target=self.tcp_one, args=(conn,),
                             daemon=True).start()

    @staticmethod
    def recv_exact(conn, n):
        buf = b""
        while len(buf) < n:
            chunk = conn.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf

    def tcp_one(self, conn):
        conn.settimeout(30)
        try:
            while True:
                head = self.recv_exact(conn, 2)
                if head is None:
                    return
                wire = self.recv_exact(conn, struct.unpack("!H", head)[0])
                if wire is None:
                    return
                reply = self.respond(wire, True)
                if reply is not None:
                    conn.sendall(struct.pack("!H", len(reply)) + reply)
        except (OSError, socket.timeout):
            pass
        except Exception as e:
            self.log("error: %r", e)
        finally:
            conn.close()


def is_loopback(addr):
    if ":" in addr:
        return socket.inet_pton(socket.AF_INET6, addr) == \
            socket.inet_pton(socket.AF_INET6, "::1")
    return socket.inet_pton(socket.AF_INET, addr)[0] == 127


def bind_all(addrs, port):
    """Bind UDP+TCP on every address to one port: ([sockets], port)."""
    for _ in range(50):
        socks = []
        chosen = port
        try:
            for addr in addrs:
                fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
                u = socket.socket(fam, socket.SOCK_DGRAM)
                socks.append(u)
                if fam == socket.AF_INET6:
                    u.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                u.bind((addr, chosen))
                chosen = u.getsockname()[1]
                t = socket.socket(fam, socket.SOCK_STREAM)
                socks.append(t)
                t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if fam == socket.AF_INET6:
                    t.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                t.bind((addr, chosen))
                t.listen(64)
            return socks, chosen
        except OSError as e:
            for s in socks:
                s.close()
            if e.errno != errno.EADDRINUSE or port != 0:
                raise
    raise SystemExit("testdns: no free port found")


def main():
    ap = argparse.ArgumentParser(description="test DNS server (loopback only)")
    ap.add_argument("--zone", action="append", required=True)
    ap.add_argument("--addr", action="append")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--udp-max", type=int, default=4096)
    ap.add_argument("--cname-loop", choices=("servfail", "chain"),
                    default="servfail")
    ap.add_argument("--lifetime", type=float, default=0)
    ap.add_argument("--log", action="store_true")
    args = ap.parse_args()
    args.udp_max = max(12, args.udp_max)
    addrs = args.addr or ["127.0.0.1"]
    for a in addrs:
        try:
            if not is_loopback(a):
                ap.error("%s is not a loopback address" % a)
        except OSError:
            ap.error("%s is not an IP address" % a)

    data = Data()
    for path in args.zone:
        try:
            data.load(path)
        except (OSError, dns.exception.DNSException) as e:
            sys.exit("testdns: %s: %s" % (path, e))

    socks, port = bind_all(addrs, args.port)
    server = Server(data, args)

    def on_signal(signum, frame):
        server.stopping.set()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    for s in socks:
        loop = server.udp_loop if s.type == socket.SOCK_DGRAM else server.tcp_loop
        threading.Thread(target=loop, args=(s,), daemon=True).start()

    if args.port_file:
        tmp = "%s.tmp.%d" % (args.port_file, os.getpid())
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.port_file)
    sys.stdout.write("PORT %d\n" % port)
    sys.stdout.flush()

    deadline = time.monotonic() + args.lifetime if args.lifetime > 0 else None
    while not server.stopping.is_set():
        wait = 1.0
        if deadline is not None:
            wait = min(wait, deadline - time.monotonic())
            if wait <= 0:
                break
        server.stopping.wait(wait)
    server.stopping.set()
    for s in socks:
        try:
            s.close()
        except OSError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
