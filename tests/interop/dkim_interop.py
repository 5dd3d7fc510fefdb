#!/usr/bin/python3
"""dkim_interop.py - DKIM interoperability between authtool, dkimpy and OpenDKIM.

A generated corpus of messages (folded headers, trailing white space, empty
body, CRLF and bare LF, long lines, 8-bit bodies, duplicate fields, trailing
empty lines, white-space-only lines, MIME, a 200 KB body, ...) is signed by
each of the three with rsa-sha256 and ed25519-sha256 and each of the four
canonicalization pairs, and every signed message is verified by all three:
  - authtool: `dkim sign`, and `dkim verify` with --zone (a zone file
    holding every key record);
  - dkimpy (python3-dkim): dkim.sign(), DKIM.verify() with a dnsfunc that
    answers from the same records;
  - OpenDKIM: the opendkim filter in test mode (-t), signing with Mode s
    (its DKIM-Signature comes out with -vv) and verifying with TestDNSData
    (a file data set with the same records).
Then mutations that must break a signature (body change, signed field
change, an added over-signed From, a changed d=) are applied to messages
signed by each side and must fail on every side.  The RFC 8463 Appendix A
message checks that all three agree on the published example.

Keys: authtool's own keygen (RSA-2048, Ed25519), dkimpy's dknewkey (RSA,
Ed25519 raw seed), opendkim-genkey (RSA) and `openssl genpkey` (Ed25519 for
OpenDKIM, which cannot read the raw seed form).  authtool also signs with
the dkimpy and OpenDKIM key files, which checks that it reads them.

Prints TAP.  Needs python3-dkim; OpenDKIM parts are skipped (with a
reason) when opendkim is not installed.
"""
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

TOP_BUILDDIR = os.environ.get("top_builddir") or os.path.abspath(".")
AUTHTOOL = os.path.join(TOP_BUILDDIR, "tools", "authtool")
DOMAIN = "example.com"

results = []


def tap_ok(cond, name, diag=None):
    results.append(("ok" if cond else "not ok", name, None if cond else diag))


def tap_skip(name, reason):
    results.append(("ok", name + " # SKIP " + reason, None))


def finish():
    print("1..%d" % len(results))
    for i, (st, name, diag) in enumerate(results, 1):
        print("%s %d - %s" % (st, i, name))
        if diag:
            for line in str(diag).splitlines()[:20]:
                print("# " + line)
    sys.exit(0)


try:
    import dkim
except ImportError:
    print("1..0 # SKIP python3-dkim is not installed (apt-get install python3-dkim)")
    sys.exit(0)

OPENDKIM = shutil.which("opendkim") or ("/usr/sbin/opendkim" if os.path.exists("/usr/sbin/opendkim") else None)
GENKEY = shutil.which("opendkim-genkey") or ("/usr/sbin/opendkim-genkey" if os.path.exists("/usr/sbin/opendkim-genkey") else None)
DKNEWKEY = shutil.which("dknewkey") or "/usr/bin/dknewkey"

if not os.access(AUTHTOOL, os.X_OK):
    print("1..0 # SKIP %s not built" % AUTHTOOL)
    sys.exit(0)

tmp = tempfile.mkdtemp(prefix="dkim_interop.")


def run(argv, data=None, check=True):
    p = subprocess.run(argv, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if check and p.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(argv), p.returncode,
                                                 p.stderr.decode("utf-8", "replace")))
    return p


def crlf(msg):
    """The message with every line end CRLF (what an MTA puts on the wire)."""
    return re.sub(rb"\r?\n", b"\r\n", msg)


def lf(msg):
    return msg.replace(b"\r\n", b"\n")


def quoted_strings(text):
    return "".join(re.findall(r'"([^"]*)"', text))


# ---------------------------------------------------------------- keys

records = {}        # selector -> TXT record
keys = {}           # (signer, alg) -> (selector, key file)


def setup_keys():
    run([AUTHTOOL, "dkim", "keygen", "--domain", DOMAIN, "--selector", "arsa", "--outdir", tmp])
    run([AUTHTOOL, "dkim", "keygen", "--domain", DOMAIN, "--selector", "aed",
         "--algorithm", "ed25519", "--outdir", tmp])
    for sel in ("arsa", "aed"):
        with open(os.path.join(tmp, sel + ".txt")) as f:
            records[sel] = quoted_strings(f.read())
    keys[("authtool", "rsa")] = ("arsa", os.path.join(tmp, "arsa.private"))
    keys[("authtool", "ed25519")] = ("aed", os.path.join(tmp, "aed.private"))

    run([sys.executable, DKNEWKEY, os.path.join(tmp, "prsa")])
    run([sys.executable, DKNEWKEY, "--ktype", "ed25519", os.path.join(tmp, "ped")])
    for sel in ("prsa", "ped"):
        with open(os.path.join(tmp, sel + ".dns")) as f:
            records[sel] = f.read().strip()
    keys[("dkimpy", "rsa")] = ("prsa", os.path.join(tmp, "prsa.key"))
    keys[("dkimpy", "ed25519")] = ("ped", os.path.join(tmp, "ped.key"))

    if OPENDKIM and GENKEY:
        run([GENKEY, "-b", "2048", "-d", DOMAIN, "-s", "orsa", "-D", tmp])
        with open(os.path.join(tmp, "orsa.txt")) as f:
            records["orsa"] = quoted_strings(f.read())
        keys[("opendkim", "rsa")] = ("orsa", os.path.join(tmp, "orsa.private"))
        oed = os.path.join(tmp, "oed.private")
        run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", oed])
        os.chmod(oed, 0o600)
        der = run(["openssl", "pkey", "-in", oed, "-pubout", "-outform", "DER"]).stdout
        records["oed"] = "v=DKIM1; k=ed25519; p=" + base64.b64encode(der[-32:]).decode()
        keys[("opendkim", "ed25519")] = ("oed", oed)

    zone = os.path.join(tmp, "keys.zone")
    with open(zone, "w") as f:
        for sel, rec in records.items():
            chunks = " ".join('"%s"' % rec[i:i + 250] for i in range(0, len(rec), 250))
            f.write("%s._domainkey.%s. 300 IN TXT ( %s )\n" % (sel, DOMAIN, chunks))
    with open(os.path.join(tmp, "dnsdata"), "w") as f:
        for sel, rec in records.items():
            f.write("%s._domainkey.%s %s\n" % (sel, DOMAIN, rec))
    return zone


# ---------------------------------------------------------------- signers

def sign_authtool(msg, alg, hc, bc, keyfile=None):
    sel, kf = keys[("authtool", alg)]
    if keyfile:
        sel, kf = keyfile
    p = run([AUTHTOOL, "dkim", "sign", "--domain", DOMAIN, "--selector", sel, "--key", kf,
             "--canon", "%s/%s" % (hc, bc)], data=msg)
    return p.stdout


def sign_dkimpy(msg, alg, hc, bc):
    sel, kf = keys[("dkimpy", alg)]
    with open(kf, "rb") as f:
        key = f.read()
    m = crlf(msg)
    sig = dkim.sign(m, sel.encode(), DOMAIN.encode(), key,
                    canonicalize=(hc.encode(), bc.encode()),
                    signature_algorithm=b"ed25519-sha256" if alg == "ed25519" else b"rsa-sha256")
    return sig + m


def opendkim_conf(name, lines):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        # FixCRLF: a body whose last line has no CRLF is otherwise refused
        # ("CRLF at end of body missing"); our input is CRLF already.
        f.write("Syslog no\nRequireSafeKeys no\nFixCRLF yes\n")
        f.write("\n".join(lines) + "\n")
    return path


def sign_opendkim(msg, alg, hc, bc):
    sel, kf = keys[("opendkim", alg)]
    conf = opendkim_conf("sign-%s-%s-%s.conf" % (alg, hc, bc), [
        "Mode s", "Domain " + DOMAIN, "Selector " + sel, "KeyFile " + kf,
        "Canonicalization %s/%s" % (hc, bc), "OversignHeaders From",
        "SignatureAlgorithm " + ("ed25519-sha256" if alg == "ed25519" else "rsa-sha256")])
    m = crlf(msg)
    path = os.path.join(tmp, "tosign.eml")
    with open(path, "wb") as f:
        f.write(m)
    p = run([OPENDKIM, "-x", conf, "-vv", "-t", path], check=False)
    out = p.stdout + p.stderr
    mm = re.search(rb"INSHEADER: idx=\d+ hname='DKIM-Signature' hvalue='(.*?)'", out, re.S)
    if not mm:
        raise RuntimeError("opendkim did not sign: " + out.decode("utf-8", "replace")[-500:])
    return b"DKIM-Signature: " + crlf(mm.group(1)) + b"\r\n" + m


# ---------------------------------------------------------------- verifiers

def verify_authtool(msg):
    p = run([AUTHTOOL, "--zone", ZONE, "--json", "dkim", "verify"], data=msg, check=False)
    try:
        j = json.loads(p.stdout.decode())
        sigs = j["signatures"]
    except (ValueError, KeyError):
        return False, "exit %d: %s" % (p.returncode, p.stderr.decode("utf-8", "replace"))
    passed = bool(sigs) and sigs[0]["result"] == "pass"
    if passed != (p.returncode == 0):
        return False, "exit status %d does not match result %s" % (p.returncode, sigs)
    return passed, "; ".join("%s (%s)" % (s["result"], s["reason"]) for s in sigs)


def dnsfunc(name, timeout=5):
    n = name.decode() if isinstance(name, bytes) else name
    n = n.rstrip(".")
    suffix = "._domainkey." + DOMAIN
    if n.endswith(suffix) and n[:-len(suffix)] in records:
        return records[n[:-len(suffix)]].encode()
    return None


def verify_dkimpy(msg):
    try:
        d = dkim.DKIM(crlf(msg), minkey=1024)
        ok = d.verify(idx=0, dnsfunc=dnsfunc)
        return bool(ok), "dkimpy verify: %s" % ok
    except Exception as e:   # dkimpy raises on many failures
        return False, "dkimpy: %s: %s" % (type(e).__name__, e)


def verify_opendkim(msg):
    conf = os.path.join(tmp, "verify.conf")
    if not os.path.exists(conf):
        opendkim_conf("verify.conf", ["Mode v", "TestDNSData file:" + os.path.join(tmp, "dnsdata"),
                                      "MinimumKeyBits 1024"])
    path = os.path.join(tmp, "toverify.eml")
    with open(path, "wb") as f:
        f.write(crlf(msg))
    p = run([OPENDKIM, "-x", conf, "-vv", "-t", path], check=False)
    out = (p.stdout + p.stderr).decode("utf-8", "replace")
    m = re.search(r"dkim=(\w+)", out)
    if not m:
        return False, "opendkim: no result: " + out[-300:]
    return m.group(1) == "pass", "opendkim: dkim=%s %s" % (m.group(1), " ".join(
        re.findall(r'reason="[^"]*"', out)))


# ---------------------------------------------------------------- corpus

H = (b"From: Alice Example <alice@example.com>\r\n"
     b"To: Bob <bob@example.net>\r\n"
     b"Subject: Interop test\r\n"
     b"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
     b"Message-ID: <interop-%d@example.com>\r\n")


def msg(n, headers_extra, body, sep=b"\r\n"):
    return (H % n) + headers_extra + sep + body


def corpus():
    c = []
    c.append(("plain", msg(1, b"", b"Hello world.\r\nSecond line.\r\n")))
    c.append(("folded headers", msg(2, b"Cc: Carol <carol@example.net>,\r\n"
                                      b"\tDave <dave@example.net>,\r\n   Eve <eve@example.net>\r\n"
                                      b"X-Folded: one\r\n two\r\n\tthree\r\n",
                                      b"Folded headers above.\r\n")))
    c.append(("trailing white space", msg(3, b"X-Trail: value   \t\r\n",
                                          b"line with spaces   \r\nline with tab\t\r\n"
                                          b"a  \t b    c\r\n \tindented\r\n")))
    c.append(("empty body", msg(4, b"", b"")))
    c.append(("bare LF", lf(msg(5, b"X-Fold: a\r\n b\r\n", b"Unix line ends.\r\n\r\nMore  text \r\n"))))
    c.append(("long lines", msg(6, b"", b"".join((b"%d" % i) * 1500 + b"\r\n" for i in range(3)))))
    c.append(("8-bit body", msg(7, b"Content-Type: text/plain; charset=utf-8\r\n"
                                 b"Content-Transfer-Encoding: 8bit\r\n",
                                 "Grüße aus Köln — ½ € ✓\r\n".encode("utf-8") +
                                 b"latin1: \xe9\xe8\xff\r\n")))
    c.append(("duplicate fields", b"Received: from a by b; Mon, 1 Jan 2024 10:00:03 +0000\r\n"
              b"Received: from c by d; Mon, 1 Jan 2024 10:00:02 +0000\r\n" +
              msg(8, b"X-Dup: first\r\nX-Dup: second\r\nReceived: from e by f; "
                  b"Mon, 1 Jan 2024 10:00:01 +0000\r\n", b"Duplicates.\r\n")))
    c.append(("trailing empty lines", msg(9, b"", b"Text.\r\n\r\n\r\n\r\n \r\n\t\r\n\r\n")))
    c.append(("white-space-only lines", msg(10, b"", b"\r\n   \r\nx\r\n\t\t\r\ny\r\n  \r\n")))
    c.append(("MIME multipart", msg(11, b"MIME-Version: 1.0\r\nContent-Type: multipart/alternative;"
                                     b" boundary=\"b1\"\r\n",
                                     b"--b1\r\nContent-Type: text/plain\r\n\r\nPlain  part.\r\n"
                                     b"--b1\r\nContent-Type: text/html\r\n\r\n<p>HTML</p>\r\n"
                                     b"--b1--\r\n")))
    c.append(("empty value and name case", msg(12, b"X-Empty:\r\nSUBJECT-EXTRA: Upper\r\n"
                                                b"mime-version: 1.0\r\n", b"Case.\r\n")))
    big = b"".join(b"Line %06d of a larger body, with  some   spacing\t and text.\r\n" % i
                   for i in range(3200))
    c.append(("200 KB body", msg(13, b"", big)))
    c.append(("body of one empty line", msg(14, b"", b"\r\n")))
    c.append(("last line without CRLF", msg(15, b"", b"Line one.\r\nno line end")))
    c.append(("header only, no empty line", (H % 16)))
    return c


def opendkim_own_bug(sname, alg, hc, signed):
    """
    OpenDKIM 2.11 makes ed25519-sha256 signatures with simple header
    canonicalization that nobody can verify, OpenDKIM itself included.
    Returns a skip reason when that is what happened (checked each time:
    OpenDKIM must reject its own signature), else None.
    """
    if sname != "opendkim" or alg != "ed25519" or hc != "simple":
        return None
    good, _ = verify_opendkim(signed)
    if good:
        return None
    return "OpenDKIM 2.11 signs ed25519 with c=simple/* wrongly (its own verifier rejects it)"


def main():
    global ZONE
    ZONE = setup_keys()
    signers = [("authtool", sign_authtool), ("dkimpy", sign_dkimpy)]
    verifiers = [("authtool", verify_authtool), ("dkimpy", verify_dkimpy)]
    if OPENDKIM and GENKEY:
        signers.append(("opendkim", sign_opendkim))
        verifiers.append(("opendkim", verify_opendkim))
    else:
        tap_skip("OpenDKIM signing and verification", "opendkim is not installed")

    # authtool reads the other tools' key files.
    for (signer, alg), (sel, kf) in sorted(keys.items()):
        if signer == "authtool":
            continue
        try:
            m = corpus()[0][1]
            signed = sign_authtool(m, alg, "relaxed", "relaxed", keyfile=(sel, kf))
            good, why = verify_dkimpy(signed)
            tap_ok(good, "authtool signs with the %s %s key file (%s)" % (signer, alg,
                   os.path.basename(kf)), why)
        except Exception as e:
            tap_ok(False, "authtool signs with the %s %s key file" % (signer, alg), e)

    msgs = corpus()
    for sname, sfun in signers:
        for alg in ("rsa", "ed25519"):
            for hc in ("simple", "relaxed"):
                for bc in ("simple", "relaxed"):
                    for mname, m in msgs:
                        label = "%s %s %s/%s [%s]" % (sname, alg, hc, bc, mname)
                        try:
                            signed = sfun(m, alg, hc, bc)
                        except Exception as e:
                            tap_ok(False, "sign " + label, e)
                            continue
                        if sname == "authtool":
                            tap_ok(signed.endswith(m) and signed.startswith(b"DKIM-Signature: ") and
                                   signed[:len(signed) - len(m)].count(b"DKIM-Signature:") == 1,
                                   "%s: output is the input with one field added" % label,
                                   signed[:300])
                        bug = opendkim_own_bug(sname, alg, hc, signed)
                        if bug:
                            tap_skip("%s -> all verifiers" % label, bug)
                            continue
                        for vname, vfun in verifiers:
                            good, why = vfun(signed)
                            tap_ok(good, "%s -> %s verifies" % (label, vname), why)
                        if sname != "authtool" and b"\r\n" in m and mname != "bare LF":
                            # A peer's CRLF signature also verifies with bare LF line ends.
                            good, why = verify_authtool(lf(signed))
                            tap_ok(good, "%s -> authtool verifies the LF form" % label, why)

    # Mutations that must break a signature, on every side.
    def body_change(s):
        i = s.index(b"\r\n\r\n") if b"\r\n\r\n" in s else s.index(b"\n\n")
        return s[:i] + s[i:].replace(b"world", b"World", 1).replace(b"Text", b"Test", 1)

    def header_change(s):
        return s.replace(b"Subject: Interop test", b"Subject: Interop  tests", 1)

    def add_from(s):
        nl = b"\r\n" if b"\r\n" in s else b"\n"
        return b"From: Mallory <mallory@example.org>" + nl + s

    def change_d(s):
        return re.sub(rb"\bd=example\.com", b"d=example.net", s, count=1)

    mutations = [("body change", body_change), ("signed field change", header_change),
                 ("added over-signed From", add_from), ("changed d=", change_d)]
    for sname, sfun in signers:
        for alg in ("rsa", "ed25519"):
            for hc, bc in (("relaxed", "relaxed"), ("simple", "simple")):
                for mname, m in (msgs[0], msgs[8]):
                    signed = sfun(m, alg, hc, bc)
                    bug = opendkim_own_bug(sname, alg, hc, signed)
                    if bug:
                        tap_skip("%s %s %s/%s [%s] mutations" % (sname, alg, hc, bc, mname), bug)
                        continue
                    for mutname, mut in mutations:
                        bad = mut(signed)
                        if bad == signed:
                            tap_ok(False, "mutation %s applies to %s" % (mutname, mname))
                            continue
                        for vname, vfun in verifiers:
                            good, why = vfun(bad)
                            tap_ok(not good, "%s %s %s/%s [%s] + %s -> %s rejects" %
                                   (sname, alg, hc, bc, mname, mutname, vname), why)

    # The RFC 8463 Appendix A message, verified by all three.
    rfc = (b"DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
           b" d=football.example.com; i=@football.example.com;\r\n"
           b" q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
           b" subject : date : message-id : from : subject : date;\r\n"
           b" bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
           b" b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n"
           b" Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\r\n"
           b"From: Joe SixPack <joe@football.example.com>\r\n"
           b"To: Suzie Q <suzie@shopping.example.net>\r\n"
           b"Subject: Is dinner ready?\r\n"
           b"Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
           b"Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
           b"\r\n"
           b"Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n\r\n")
    rz = os.path.join(tmp, "rfc8463.zone")
    with open(rz, "w") as f:
        f.write('brisbane._domainkey.football.example.com. 300 IN TXT '
                '"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="\n')
    p = run([AUTHTOOL, "--zone", rz, "dkim", "verify"], data=rfc, check=False)
    tap_ok(p.returncode == 0 and p.stdout.startswith(b"pass"), "RFC 8463 A.3 (ed25519) -> authtool",
           p.stdout + p.stderr)
    d = dkim.DKIM(rfc)
    tap_ok(d.verify(idx=0, dnsfunc=lambda n, timeout=5:
                    b"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="),
           "RFC 8463 A.3 (ed25519) -> dkimpy")
    if OPENDKIM:
        dd = os.path.join(tmp, "rfcdnsdata")
        with open(dd, "w") as f:
            f.write("brisbane._domainkey.football.example.com "
                    "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n")
        conf = opendkim_conf("rfc.conf", ["Mode v", "TestDNSData file:" + dd])
        path = os.path.join(tmp, "rfc.eml")
        with open(path, "wb") as f:
            f.write(rfc)
        p = run([OPENDKIM, "-x", conf, "-vv", "-t", path], check=False)
        out = (p.stdout + p.stderr).decode("utf-8", "replace")
        tap_ok("dkim=pass" in out, "RFC 8463 A.3 (ed25519) -> opendkim", out[-300:])


if __name__ == "__main__":
    try:
        main()
    except Exception as e:
        tap_ok(False, "interop run", repr(e))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    finish()
