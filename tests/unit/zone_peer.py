#!/usr/bin/python3
"""zone_peer.py - print what dnspython (an independent RFC 1035 master-file
reader) finds in zone files, for test_dns_zone.c to compare with our loader.

Usage: zone_peer.py FILE...   (all files are merged, origin ".")

Output, one item a line, names as hex of their plain text (labels joined
by ".", no trailing dot, no escapes), lower case where DNS ignores case:
  R <name> <type> <rdata>   a record: A dotted quad; AAAA 32 hex digits;
                            MX "PREF hexhost"; NS/CNAME/PTR/SOA hexname (SOA:
                            MNAME); TXT/SPF "NSTRINGS hexjoined"
  N <name>                  a name that exists (owner or empty non-terminal)
  T <name>                  a ";%TIMEOUT NAME" mark without types
Exit status 77 when dnspython is missing (the test then skips).
"""
import re
import sys

try:
    import dns.ipv6
    import dns.name
    import dns.rdatatype
    import dns.zone
except ImportError:
    sys.exit(77)


def plain(name, lower):
    labels = name.labels[:-1] if name.is_absolute() else name.labels
    text = b".".join(labels)
    return (text.lower() if lower else text).hex() or "2e"


def rdata_text(rdtype, rd):
    if rdtype == dns.rdatatype.A:
        return rd.address
    if rdtype == dns.rdatatype.AAAA:
        return dns.ipv6.inet_aton(rd.address).hex()
    if rdtype == dns.rdatatype.MX:
        return "%d %s" % (rd.preference, plain(rd.exchange, True))
    if rdtype in (dns.rdatatype.NS, dns.rdatatype.CNAME, dns.rdatatype.PTR):
        return plain(rd.target, False)
    if rdtype == dns.rdatatype.SOA:
        return plain(rd.mname, False)
    if rdtype in (dns.rdatatype.TXT, dns.rdatatype.SPF):
        return "%d %s" % (len(rd.strings), b"".join(rd.strings).hex())
    return None


def main():
    exists = set()
    timeouts = set()
    for path in sys.argv[1:]:
        zone = dns.zone.from_file(path, origin=".", relativize=False,
                                  check_origin=False)
        for name, node in zone.nodes.items():
            n = name
            while n != dns.name.root:
                exists.add(plain(n, True))
                n = n.parent()
            for rds in node.rdatasets:
                for rd in rds:
                    text = rdata_text(rds.rdtype, rd)
                    if text is not None:
                        print("R %s %d %s" % (plain(name, True), rds.rdtype, text))
        with open(path, "rb") as f:
            for line in f:
                m = re.match(rb";%TIMEOUT\s+(\S+)\s*$", line)
                if m:
                    timeouts.add(plain(dns.name.from_text(m.group(1)), True))
    for n in sorted(exists):
        print("N %s" % n)
    for n in sorted(timeouts):
        print("T %s" % n)


main()
