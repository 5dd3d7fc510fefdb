#!/usr/bin/python3
"""dkim_tools.py - TAP tests for the command-line contract of `authtool dkim`
(shared/CONTRACT.md): keygen files, modes, record lines and refusals; sign
output (the input unchanged, one field added, line ends kept); verify
output lines, JSON and exit codes (none 1, pass 0, fail 1, permerror 1,
temperror-only 2, not a message 65); lint findings and exit codes.

Independent checks where they exist: the keygen line is read back with
dnspython's master-file parser, key sizes with `openssl pkey`, and the DNS
paths (key lookups, ;%TIMEOUT) go through tests/dns/testdns.py as well as
--zone.

Environment: top_srcdir, top_builddir, PYTHON (automake).
"""

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP_SRCDIR = os.environ.get("top_srcdir") or os.path.normpath(os.path.join(HERE, "..", ".."))
TOP_BUILDDIR = os.environ.get("top_builddir") or os.getcwd()
AUTHTOOL = os.path.join(TOP_BUILDDIR, "tools", "authtool")
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(TOP_SRCDIR, "tests", "dns"))

results = []


def ok(cond, name, diag=None):
    results.append((bool(cond), name, diag))


def at(args, data=b"", zone=None, dns=None, json_out=False):
    argv = [AUTHTOOL]
    if zone:
        argv += ["--zone", zone]
    if dns:
        argv += ["--dns-server", dns, "--timeout", "1"]
    if json_out:
        argv += ["--json"]
    p = subprocess.run(argv + args, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


MSG = (b"From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: contract\r\n"
       b"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <c@example.com>\r\n\r\n"
       b"Body line one.\r\nBody  line two. \r\n")


def main(tmp):
    import dns.zone
    # ---------------------------------------------------------------- keygen
    rc, out, err = at(["dkim", "keygen", "--domain", "example.com", "--selector", "s1",
                       "--outdir", tmp])
    priv, txt = os.path.join(tmp, "s1.private"), os.path.join(tmp, "s1.txt")
    ok(rc == 0 and os.path.exists(priv) and os.path.exists(txt), "keygen writes S.private and S.txt", err)
    ok(stat.S_IMODE(os.stat(priv).st_mode) == 0o600, "S.private has mode 0600")
    bits = subprocess.run(["openssl", "pkey", "-in", priv, "-noout", "-text"],
                          stdout=subprocess.PIPE).stdout.decode()
    ok("2048 bit" in bits, "keygen makes RSA-2048 by default", bits[:80])
    with open(txt) as f:
        line = f.read()
    ok(line.count("\n") == 1 and line.startswith("s1._domainkey.example.com. IN TXT ( "),
       "S.txt is one line 'S._domainkey.D. IN TXT ( ... )'", line[:80])
    z = dns.zone.from_text("$TTL 300\n" + line, origin=".", relativize=False, check_origin=False)
    rd = list(z.find_rdataset("s1._domainkey.example.com.", "TXT"))[0]
    ok(all(len(s) <= 255 for s in rd.strings) and len(rd.strings) >= 2,
       "the record is split into strings of at most 255 characters", [len(s) for s in rd.strings])
    record = b"".join(rd.strings).decode()
    ok(record.startswith("v=DKIM1; k=rsa; p=MII"), "the record is v=DKIM1; k=rsa; p=<SPKI>", record[:40])
    before = open(priv, "rb").read()
    rc, out, err = at(["dkim", "keygen", "--domain", "example.com", "--selector", "s1",
                       "--outdir", tmp])
    ok(rc != 0 and "exists" in err and open(priv, "rb").read() == before,
       "keygen refuses to overwrite without --force", err)
    rc, out, err = at(["dkim", "keygen", "--domain", "example.com", "--selector", "s1",
                       "--outdir", tmp, "--force", "--bits", "1024"], json_out=True)
    j = json.loads(out or b"{}")
    ok(rc == 0 and open(priv, "rb").read() != before and j.get("bits") == 1024 and
       j.get("name") == "s1._domainkey.example.com", "keygen --force --bits 1024 --json", out)
    rc, out, err = at(["dkim", "keygen", "--domain", "example.com", "--selector", "e1",
                       "--algorithm", "ed25519", "--outdir", tmp])
    with open(os.path.join(tmp, "e1.txt")) as f:
        eline = f.read()
    ok(rc == 0 and re.search(r'"v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=" \)', eline),
       "keygen --algorithm ed25519 publishes a 32-octet key", eline)
    for args, what in ((["--bits", "512"], "--bits 512"), (["--bits", "8192"], "--bits 8192"),
                       (["--algorithm", "dsa"], "--algorithm dsa"),
                       (["--algorithm", "ed25519", "--bits", "2048"], "--bits with ed25519")):
        rc, out, err = at(["dkim", "keygen", "--domain", "example.com", "--selector", "x",
                           "--outdir", tmp] + args)
        ok(rc == 64, "keygen %s is a usage error (64)" % what, (rc, err))
    rc, out, err = at(["dkim", "keygen", "--selector", "x"])
    ok(rc == 64, "keygen without --domain is a usage error", err)

    # ---------------------------------------------------------------- zone
    zone = os.path.join(tmp, "keys.zone")
    with open(zone, "w") as f:
        f.write("$TTL 300\n")
        f.write(open(txt).read())          # s1: RSA-1024 now (after --force)
        f.write(eline)                     # e1: Ed25519
        f.write('revoked._domainkey.example.com. 300 IN TXT "v=DKIM1; k=rsa; p="\n')
        f.write('testing._domainkey.example.com. 300 IN TXT "v=DKIM1; t=y; k=ed25519; p=%s"\n'
                % re.search(r"p=([A-Za-z0-9+/=]+)", eline).group(1))
        f.write('sha1._domainkey.example.com. 300 IN TXT "v=DKIM1; h=sha1; k=ed25519; p=%s"\n'
                % re.search(r"p=([A-Za-z0-9+/=]+)", eline).group(1))
        f.write(';%TIMEOUT slow._domainkey.example.com\n')

    # ---------------------------------------------------------------- sign
    rc, signed, err = at(["dkim", "sign", "--domain", "example.com", "--selector", "s1",
                          "--key", priv], MSG)
    ok(rc == 0 and signed.endswith(MSG) and signed.startswith(b"DKIM-Signature: v=1; a=rsa-sha256;"),
       "sign: the input unchanged with one field added at the top", signed[:200])
    sigfield = signed[:len(signed) - len(MSG)]
    ok(sigfield.endswith(b"\r\n") and b"\n" not in sigfield.replace(b"\r\n", b""),
       "sign: a CRLF message gets a CRLF field", sigfield)
    ok(all(len(l) <= 78 for l in sigfield.split(b"\r\n")) and b"c=relaxed/relaxed" in sigfield and
       re.search(rb"h=from:from:", sigfield) and re.search(rb"b=[^;]*$", sigfield.strip()),
       "sign: folded to 78, relaxed/relaxed, From over-signed, b= last", sigfield)
    lfmsg = MSG.replace(b"\r\n", b"\n")
    rc, lfsigned, err = at(["dkim", "sign", "--domain", "example.com", "--selector", "e1",
                            "--key", os.path.join(tmp, "e1.private"), "--canon", "simple/simple",
                            "--headers", "to:subject"], lfmsg)
    lfsig = lfsigned[:len(lfsigned) - len(lfmsg)]
    ok(rc == 0 and lfsigned.endswith(lfmsg) and b"\r" not in lfsig and
       b"a=ed25519-sha256" in lfsig and b"c=simple/simple" in lfsig and b"h=from:to:subject;" in lfsig,
       "sign: LF message, Ed25519 key, --canon, --headers (From added), LF field", lfsig)
    for data, what in ((b"", "empty input"), (b"not a header\n\nbody\n", "a line that is no field"),
                       (b" folded: x\n\nbody", "a first line starting with white space")):
        rc, out, err = at(["dkim", "sign", "--domain", "example.com", "--selector", "s1",
                           "--key", priv], data)
        ok(rc == 65 and "not a message" in err, "sign: %s is not a message (65)" % what, (rc, err))
    rc, out, err = at(["dkim", "sign", "--domain", "example.com", "--selector", "s1",
                       "--key", os.path.join(tmp, "nonexistent")], MSG)
    ok(rc == 65 and "cannot open" in err, "sign: a missing key file exits 65", err)
    bad = os.path.join(tmp, "bad.private")
    with open(bad, "w") as f:
        f.write("hello\n")
    os.chmod(bad, 0o600)
    rc, out, err = at(["dkim", "sign", "--domain", "example.com", "--selector", "s1", "--key", bad], MSG)
    ok(rc == 65 and "not a private key" in err, "sign: a file that is no key exits 65", err)
    loose = os.path.join(tmp, "loose.private")
    shutil.copy(priv, loose)
    os.chmod(loose, 0o644)
    rc, out, err = at(["dkim", "sign", "--domain", "example.com", "--selector", "s1", "--key", loose], MSG)
    ok(rc == 0 and "readable by group/others (mode 0644); chmod 600" in err,
       "sign: a group/world-readable key is used with a warning", err)
    rc, out, err = at(["dkim", "sign", "--domain", "example.com", "--selector", "s1", "--key", priv,
                       "--canon", "fancy/simple"], MSG)
    ok(rc == 64, "sign: a bad --canon is a usage error", err)

    # ---------------------------------------------------------------- verify
    rc, out, err = at(["dkim", "verify"], MSG, zone=zone)
    ok(rc == 1 and out == b"none\n", "verify: no signature prints 'none', exit 1", (rc, out))
    rc, out, err = at(["dkim", "verify"], MSG, zone=zone, json_out=True)
    ok(rc == 1 and json.loads(out) == {"signatures": []},
       "verify --json: no signature is exactly {\"signatures\": []}", out)
    rc, out, err = at(["dkim", "verify"], signed, zone=zone)
    ok(rc == 0 and re.match(rb"pass d=example\.com s=s1 ", out), "verify: 'pass d=D s=S reason', exit 0", out)
    rc, out, err = at(["dkim", "verify"], lfsigned, zone=zone, json_out=True)
    j = json.loads(out)
    s0 = j["signatures"][0]
    ok(rc == 0 and s0["result"] == "pass" and s0["domain"] == "example.com" and
       s0["selector"] == "e1" and "reason" in s0, "verify --json: result, domain, selector, reason", out)
    rc, out, err = at(["dkim", "verify"], signed.replace(b"Body line one", b"Body line 1"), zone=zone)
    ok(rc == 1 and out.startswith(b"fail d=example.com s=s1 body hash mismatch"),
       "verify: a changed body fails, exit 1", out)
    rc, out, err = at(["dkim", "verify"], signed.replace(b"s=s1;", b"s=revoked;", 1), zone=zone)
    ok(rc == 1 and out.startswith(b"permerror d=example.com s=revoked key revoked"),
       "verify: a revoked key is permerror", out)
    rc, out, err = at(["dkim", "verify"], signed.replace(b"s=s1;", b"s=slow;", 1), zone=zone)
    ok(rc == 2 and out.startswith(b"temperror d=example.com s=slow"),
       "verify: temperror only exits 2", (rc, out))
    both = (signed.split(b"\r\nFrom:")[0] + b"\r\n").replace(b"s=s1;", b"s=slow;", 1) + signed
    rc, out, err = at(["dkim", "verify"], both, zone=zone)
    ok(rc == 0 and out.count(b"\n") == 2, "verify: one line per signature; a pass wins (exit 0)", out)
    rc, out, err = at(["dkim", "verify"], b"garbage\n", zone=zone)
    ok(rc == 65, "verify: not a message exits 65", (rc, err))

    # Through the test DNS server (the network path).
    try:
        from dnsserver import start, stop
        proc, port = start([zone])
    except Exception as e:   # no server: say so
        ok(True, "# SKIP testdns.py did not start: %s" % e)
        proc = None
    if proc:
        try:
            server = "127.0.0.1:%d" % port
            rc, out, err = at(["dkim", "verify"], signed, dns=server)
            ok(rc == 0 and out.startswith(b"pass"), "verify over DNS (testdns): pass", (out, err))
            rc, out, err = at(["dkim", "verify"], signed.replace(b"s=s1;", b"s=slow;", 1), dns=server)
            ok(rc == 2 and out.startswith(b"temperror"), "verify over DNS: a timeout is temperror, exit 2",
               (rc, out, err))
            rc, out, err = at(["dkim", "lint", "--domain", "example.com", "--selector", "e1",
                               "--key", os.path.join(tmp, "e1.private")], dns=server)
            ok(rc == 0 and b"matches the published key" in out, "lint over DNS: a good Ed25519 key", out)
        finally:
            stop(proc)

    # ---------------------------------------------------------------- lint
    rc, out, err = at(["dkim", "lint", "--domain", "example.com", "--selector", "s1", "--key", priv],
                      zone=zone)
    ok(rc == 0 and b"warning: RSA key of 1024 bits" in out and
       b"info: the private key" in out and all(re.match(rb"(error|warning|info): ", l)
                                                 for l in out.splitlines()),
       "lint: RSA-1024 is a warning, the key matches, 'SEVERITY: message' lines", out)
    rc, out, err = at(["dkim", "lint", "--domain", "example.com", "--selector", "s1",
                       "--key", os.path.join(tmp, "e1.private")], zone=zone)
    ok(rc == 1 and b"error: the private key" in out and b"does not match" in out,
       "lint: a private key that does not match is an error, exit 1", out)
    rc, out, err = at(["dkim", "lint", "--domain", "example.com", "--selector", "revoked"], zone=zone)
    ok(rc == 1 and b"error: the key is revoked" in out, "lint: a revoked key is an error", out)
    rc, out, err = at(["dkim", "lint", "--domain", "example.com", "--selector", "testing"], zone=zone)
    ok(b"warning: t=y" in out, "lint: t=y is a warning", (rc, out))
    rc, out, err = at(["dkim", "lint", "--domain", "example.com", "--selector", "sha1"], zone=zone)
    ok(rc == 1 and b"h= allows only sha1" in out, "lint: h=sha1 only is an error (RFC 8301)", out)
    rc, out, err = at(["dkim", "lint", "--domain", "example.com", "--selector", "nosuch"], zone=zone,
                      json_out=True)
    j = json.loads(out)
    ok(rc == 1 and j["errors"] == 1 and j["findings"][0]["severity"] == "error" and
       "NXDOMAIN" in j["findings"][0]["message"], "lint --json: a missing record is an error", out)
    rc, out, err = at(["dkim", "lint", "--domain", "example.com", "--selector", "slow"], zone=zone)
    ok(rc == 2, "lint: a DNS timeout exits 2", (rc, out))


if __name__ == "__main__":
    if not os.access(AUTHTOOL, os.X_OK):
        print("1..0 # SKIP %s is not built" % AUTHTOOL)
        sys.exit(0)
    tmp = tempfile.mkdtemp(prefix="dkim_tools.")
    try:
        main(tmp)
    except Exception as e:
        import traceback
        ok(False, "dkim_tools run", traceback.format_exc())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("1..%d" % len(results))
    for i, (good, name, diag) in enumerate(results, 1):
        if name.startswith("# SKIP"):
            print("ok %d %s" % (i, name))
            continue
        print("%s %d - %s" % ("ok" if good else "not ok", i, name))
        if not good and diag is not None:
            for l in str(diag).splitlines()[:15]:
                print("# " + l)
