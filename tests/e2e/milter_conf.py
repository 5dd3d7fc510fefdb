#!/usr/bin/python3
"""milter_conf.py - `authmilter -n`: every configuration problem reported.

Each case writes a configuration (and the tables and keys it names), runs
`authmilter -n -c FILE` and checks the exit status (0 when fine, 78 when
not) and that each expected problem is reported with its FILE:LINE or key
name.  DNS checks of the selectors run against tests/dns/testdns.py.
Also: the command line (-h, -V, usage errors).

TAP.  AUTHMILTER=path runs another build of the milter.
"""

import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib  # noqa: E402

t = e2elib.Tap()


def run(*args):
    r = subprocess.run([e2elib.milter_binary()] + list(args),
                       capture_output=True, text=True, timeout=60,
                       env=e2elib.sanitizer_env())
    e2elib.note_output(r.stdout + r.stderr, "authmilter " + " ".join(args))
    return r.returncode, r.stdout + r.stderr


def check(world, tmp, name, lines, want_rc, expect=(), absent=()):
    check.n = getattr(check, "n", 0) + 1
    path = os.path.join(tmp, "case%d.conf" % check.n)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    rc, out = run("-n", "-c", path)
    ok = rc == want_rc and all(e in out for e in expect) and \
        not any(a in out for a in absent)
    t.ok(ok, name, "exit %d (want %d)\n%s" % (rc, want_rc, out))
    return out


def main():
    if not os.access(e2elib.milter_binary(), os.X_OK):
        e2elib.skip_all("%s not built" % e2elib.milter_binary())
    tmp = tempfile.mkdtemp(prefix="authmilter-conf.")
    world = e2elib.World(tmp)
    try:
        cases(world, tmp)
    finally:
        world.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(t.done())


def cases(world, tmp):
    ns = "Nameservers 127.0.0.1:%d" % world.dns_port
    base = ["Socket inet:8891@127.0.0.1", ns, "Syslog no"]
    kt = os.path.join(tmp, "keytable")
    st = os.path.join(tmp, "signingtable")

    # command line
    rc, out = run("-h")
    t.ok(rc == 0 and "usage: authmilter -c FILE" in out and "KeyTable" in out,
         "-h prints usage and the configuration keys", out[:300])
    rc, out = run("-V")
    t.ok(rc == 0 and out.startswith("authmilter "), "-V prints the version", out)
    rc, out = run()
    t.ok(rc == 64 and "-c FILE is required" in out, "no -c: usage error 64", out)
    rc, out = run("-c", "/x", "-z")
    t.ok(rc == 64, "unknown option: usage error 64", out)
    rc, out = run("-n", "-c", os.path.join(tmp, "nonexistent.conf"))
    t.ok(rc == 78 and "cannot open configuration file" in out,
         "missing configuration file", out)

    # a good configuration, with OpenDKIM's table formats and DNS checked
    check(world, tmp, "valid KeyTable/SigningTable configuration", base + [
        "Mode sv", "KeyTable " + kt, "SigningTable refile:" + st,
        "InternalHosts 127.0.0.1, 10.0.0.0/8, ::1",
        "Canonicalization relaxed/simple", "OversignHeaders From, Subject",
        "AuthservID mx.example", "RejectFailures true", "DNSTimeout 2",
        "UserID nobody", "DMARCMode rfc7489", "MultipleSignatures 1",
    ], 0, ["configuration OK"], ["error"])

    # comments, case-insensitive keys, opendkim-only keys warned about
    check(world, tmp, "OpenDKIM keys without meaning here are warnings", base + [
        "# comment", "   ", "mode v   # trailing comment", "AutoRestart yes",
        "Background yes",
    ], 0, ["AutoRestart is an OpenDKIM/OpenDMARC setting", "OK (2 warnings)"])

    # unknown and misspelled keys: file:line and the closest key
    out = check(world, tmp, "misspelled keys name file:line and the closest key",
                base + ["Canonicalisation relaxed", "SigningTabel x", "Zzzzzzzz 1"],
                78, [":4: error: unknown key 'Canonicalisation' (did you mean "
                     "Canonicalization?)",
                     ":5: error: unknown key 'SigningTabel' (did you mean SigningTable?)",
                     ":6: error: unknown key 'Zzzzzzzz'"])

    # every value problem, all in one run
    out = check(world, tmp, "every bad value reported in one run", base[1:] + [
        "Socket inet:99999@127.0.0.1", "Mode x", "RequireSafeKeys maybe",
        "DNSTimeout 0", "MaximumSignaturesToVerify 1000", "UMask 999",
        "SyslogFacility nowhere", "Canonicalization fancy/simple",
        "AuthservID bad;id", "DMARCMode rfc1", "TemperrorAction ignore",
        "InternalHosts 10.0.0.0/40", "PidFile relative.pid",
        "UserID no-such-user-here", "Selector s",
    ], 78, ["port must be a number", "Mode: 'x' is not one of s, v, sv, vs",
            "'maybe' is not a boolean", "DNSTimeout: '0' is not a number from 1 to 300",
            "MaximumSignaturesToVerify: '1000'", "UMask: '999' is not an octal",
            "'nowhere' is not a syslog facility", "Canonicalization",
            "AuthservID", "DMARCMode: 'rfc1'", "TemperrorAction: 'ignore'",
            "bad prefix length", "must be an absolute path",
            "no such user 'no-such-user-here'",
            "Domain, Selector and KeyFile must be set together"])
    t.ok(out.count("error:") >= 15, "... as 15 separate errors",
         "%d errors" % out.count("error:"))

    # sockets
    for spec, msg in (("inet:port@host", "port must be"),
                      ("inet:25@[::1]", "an IPv6 address with inet"),
                      ("unix:relative/path", "must be absolute"),
                      ("unix:/nonexistent/dir/sock", "does not exist"),
                      ("tcp:25", "is not inet:PORT@HOST")):
        check(world, tmp, "bad Socket %s" % spec,
              ["Socket " + spec, ns], 78, [msg])
    check(world, tmp, "-p socket syntax accepted forms", base[1:] + [
        "Socket inet6:8891@[::1]"], 0)

    # key files: missing, unsafe, unsafe allowed, garbage
    bad = os.path.join(tmp, "garbage.key")
    with open(bad, "w") as f:
        f.write("this is not a key\n")
    os.chmod(bad, 0o600)
    loose = os.path.join(tmp, "loose.pem")
    shutil.copy(world.keys.rsa, loose)
    os.chmod(loose, 0o644)
    single = base + ["Domain example.com", "Selector rsa"]
    check(world, tmp, "missing KeyFile", single + ["KeyFile " + tmp + "/none.pem"],
          78, ["none.pem"])
    check(world, tmp, "KeyFile others may read: refused, with the fix named",
          single + ["KeyFile " + loose], 78, ["chmod 600"])
    check(world, tmp, "RequireSafeKeys no accepts that file",
          single + ["KeyFile " + loose, "RequireSafeKeys no"], 0, ["OK"])
    check(world, tmp, "a file that is no key", single + ["KeyFile " + bad], 78,
          ["garbage.key"])

    # tables: unused key (warning), missing key (error), DNS checks
    kt2 = os.path.join(tmp, "kt2")
    with open(kt2, "w") as f:
        f.write("rsa-key example.com:rsa:%s\n" % world.keys.rsa)
        f.write("spare example.com:ed:%s\n" % world.keys.ed)
        f.write("nodns example.com:nosuchsel:%s\n" % world.keys.rsa)
        f.write("wrong example.com:ed:%s\n" % world.sender.ed)
        f.write("broken line without colons\n")
    st2 = os.path.join(tmp, "st2")
    with open(st2, "w") as f:
        f.write("*@example.com rsa-key,ghost\n")
        f.write("*@a.example.com nodns\n")
        f.write("*@b.example.com wrong\n")
    check(world, tmp, "table problems: unused, undefined, no DNS record, mismatch",
          base + ["KeyTable " + kt2, "SigningTable refile:" + st2], 78,
          ["kt2:2: warning: key 'spare' is never used",
           "st2:1: error: names key 'ghost', which the KeyTable does not define",
           "kt2:3: error: no DKIM key record at nosuchsel._domainkey.example.com",
           "kt2:4: error: the public key at ed._domainkey.example.com does not "
           "match the private key",
           "kt2:5: error:"])
    check(world, tmp, "KeyTable without SigningTable", base + ["KeyTable " + kt],
          78, ["set without a SigningTable"])
    check(world, tmp, "SigningTable file missing",
          base + ["KeyTable " + kt, "SigningTable /nonexistent/st"], 78,
          ["cannot open /nonexistent/st"])


if __name__ == "__main__":
    main()
