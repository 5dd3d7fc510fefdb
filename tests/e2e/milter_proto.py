#!/usr/bin/python3
"""milter_proto.py - authmilter spoken to over the milter protocol, no MTA.

bench/milterload plays the MTA (Postfix-like: negotiation, macros, one
write per reply awaited) against authmilter on a loopback socket, with DNS
from tests/dns/testdns.py.  Checked against outside references: signatures
with dkimpy, replies against the milter protocol.

Scenarios: signing (internal and authenticated clients, RSA + Ed25519 from
one SigningTable entry), verification (one Authentication-Results at the
top, forged ones with our authserv-id removed, others kept), DMARC reject /
quarantine / DNS timeout, TemperrorAction accept, PeerList, oversized
headers, SIGHUP reloads under load without failed messages (and a broken
reload keeping the old configuration), a UNIX socket with UMask, daemon
mode with PidFile, and dropping privileges to UserID.

TAP.  AUTHMILTER=path runs another build (e.g. ASan) of the milter.
"""

import os
import pwd
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib  # noqa: E402
from e2elib import AUTHSERV_ID, message  # noqa: E402

t = e2elib.Tap()


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def main():
    for b in (e2elib.milter_binary(), e2elib.milterload_binary()):
        if not os.access(b, os.X_OK):
            e2elib.skip_all("%s not built" % b)
    try:
        import dkim  # noqa: F401
    except ImportError:
        e2elib.skip_all("python3-dkim is not installed")
    tmp = tempfile.mkdtemp(prefix="authmilter-proto.")
    world = e2elib.World(tmp)
    port = e2elib.free_port()
    sock = "inet:%d@127.0.0.1" % port
    conf = world.config(sock)
    log = os.path.join(tmp, "milter.log")
    milter = e2elib.Milter(conf, log).start(port)
    try:
        scenarios(tmp, world, sock, conf, milter)
    finally:
        st = milter.stop()
        t.ok(st == 0, "SIGTERM stops the milter with status 0", st)
        world.stop()
        if t.failed:
            t.diag("milter log:\n" + milter.read_log()[-6000:])
        if os.environ.get("E2E_KEEP"):
            t.diag("kept " + tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(t.done())


def scenarios(tmp, world, sock, conf, milter):
    load = e2elib.milterload

    # --- signing: internal client, both keys of the SigningTable entry
    msg, tok = message("Alice <alice@example.com>", "sign internal")
    f = write(os.path.join(tmp, "m-sign.eml"), msg)
    rc, out = load(sock, f, "--ip", "127.0.0.1", "--from", "alice@example.com")
    ins = e2elib.inserted_headers(out)
    t.ok(rc == 0 and "eom c" in out, "internal mail is accepted", out)
    t.ok([h[1] for h in ins] == ["DKIM-Signature", "DKIM-Signature"] and
         all(h[0] == 0 for h in ins),
         "two DKIM-Signature fields inserted at index 0", out)
    signed = b"".join(("%s:%s\r\n" % (h[1], h[2].replace("\n", "\r\n"))).encode()
                      for h in reversed(ins)) + msg
    res = e2elib.dkim_verify_all(signed, world.dnsfunc)
    t.ok(sorted(res) == [("example.com", "ed", True), ("example.com", "rsa", True)],
         "dkimpy verifies the RSA and the Ed25519 signature", res)
    t.ok(not any(h[1].lower() == "authentication-results" for h in ins),
         "internal mail gets no Authentication-Results")

    # --- signing: authenticated client from outside
    rc, out = load(sock, f, "--ip", "203.0.113.9", "--auth", "alice")
    ins = e2elib.inserted_headers(out)
    t.ok(len(ins) == 2 and all(h[1] == "DKIM-Signature" for h in ins),
         "mail of an authenticated client ({auth_authen}) is signed", out)

    # --- no key for the From domain: not signed, not verified
    m2, _ = message("carol@elsewhere.test", "no key")
    f2 = write(os.path.join(tmp, "m-nokey.eml"), m2)
    rc, out = load(sock, f2, "--ip", "127.0.0.1")
    t.ok(rc == 0 and not e2elib.inserted_headers(out) and "eoh a" in out,
         "internal mail from a domain without a key passes unsigned", out)

    # --- verifying: the signed message arrives from outside
    f3 = write(os.path.join(tmp, "m-signed.eml"), signed)
    rc, out = load(sock, f3, "--ip", "192.0.2.7", "--from", "alice@example.com",
                   "--helo", "mail.example.com")
    ins = e2elib.inserted_headers(out)
    ar = [h for h in ins if h[1] == "Authentication-Results"]
    t.ok(len(ar) == 1 and ar[0][0] == 0 and len(ins) == 1,
         "one Authentication-Results field, inserted at index 0", out)
    v = ar[0][2] if ar else ""
    t.ok(v.startswith(" " + AUTHSERV_ID + ";"),
         "it starts with our authserv-id (leading space kept)", v)
    t.ok("spf=fail" in v and v.count("dkim=pass") == 2 and "dmarc=pass" in v,
         "spf=fail, dkim=pass twice, dmarc=pass", v)

    # --- SPF pass + DKIM pass from the remote sender
    m4, tok4 = message("Sam <sam@pass.test>", "remote pass")
    f4 = write(os.path.join(tmp, "m-pass.eml"), world.sign_as_sender(m4))
    rc, out = load(sock, f4, "--ip", "198.51.100.10", "--from", "sam@pass.test",
                   "--helo", "mail.pass.test")
    v = "".join(h[2] for h in e2elib.inserted_headers(out))
    t.ok("spf=pass" in v and "dkim=pass" in v and "dmarc=pass" in v and
         "eom c" in out, "remote sender: spf, dkim and dmarc pass", out)
    t.ok("policy.dmarc=reject" in v,
         "A-R of a pass names the domain's policy: policy.dmarc=reject", v)

    # --- a second SMTP session on the same milter connection (QUIT_NC):
    # the negotiated flags (leading space, no-reply steps) still hold
    rc, out = load(sock, f4, "--ip", "198.51.100.10", "--from", "sam@pass.test",
                   "-n", "2", "-k", "2", "--quit-nc")
    ars = [h for h in e2elib.inserted_headers(out)
           if h[1] == "Authentication-Results"]
    t.ok(rc == 0 and len(ars) == 2 and
         all(h[2].startswith(" " + AUTHSERV_ID + ";") and "dmarc=pass" in h[2]
             for h in ars),
         "after SMFIC_QUIT_NC the next session is verified the same way", out)

    # --- DKIM broken (body changed), SPF still passes: DMARC passes
    bad = world.sign_as_sender(m4).replace(b"This is a test.", b"This is a tset.")
    f5 = write(os.path.join(tmp, "m-dkimfail.eml"), bad)
    rc, out = load(sock, f5, "--ip", "198.51.100.10", "--from", "sam@pass.test")
    v = "".join(h[2] for h in e2elib.inserted_headers(out))
    t.ok("dkim=fail" in v and "spf=pass" in v and "dmarc=pass" in v,
         "a changed body fails DKIM; DMARC passes on SPF", out)

    # --- forged A-R fields: ours removed (by their index), others kept
    m6, _ = message("sam@pass.test", "forged ar", extra=(
        "Authentication-Results: other.example; spf=pass\r\n"
        "Authentication-Results: %s; dkim=pass header.d=pass.test\r\n"
        "X-Other: 1\r\n"
        "Authentication-Results:   %s ; dmarc=pass\r\n"
        % (AUTHSERV_ID, AUTHSERV_ID.upper())).encode())
    f6 = write(os.path.join(tmp, "m-forged.eml"), world.sign_as_sender(m6))
    rc, out = load(sock, f6, "--ip", "198.51.100.10", "--from", "sam@pass.test")
    chg = [l for l in out.splitlines() if l.startswith("chgheader")]
    t.ok(chg == ["chgheader 3 Authentication-Results:",
                 "chgheader 2 Authentication-Results:"],
         "forged fields with our authserv-id deleted, highest index first", out)
    t.ok(len([h for h in e2elib.inserted_headers(out)
              if h[1] == "Authentication-Results"]) == 1,
         "and our own field added once", out)

    # --- DMARC p=reject failure: 550 5.7.1 naming the domain
    m7, _ = message("mallory@example.com", "spoof")
    f7 = write(os.path.join(tmp, "m-spoof.eml"), m7)
    rc, out = load(sock, f7, "--ip", "203.0.113.66", "--from", "mallory@example.com")
    t.ok("eom y 550 5.7.1" in out and "example.com" in out.split("eom y", 1)[-1],
         "p=reject failure answered 550 5.7.1 with the domain", out)
    t.ok(not e2elib.inserted_headers(out), "a rejected message is not changed")

    # --- p=quarantine failure: quarantined (Postfix: HOLD) and accepted
    m8, _ = message("q@quar.test", "quarantine")
    f8 = write(os.path.join(tmp, "m-quar.eml"), m8)
    rc, out = load(sock, f8, "--ip", "203.0.113.66", "--from", "q@quar.test")
    t.ok("quarantine " in out and "eom c" in out and "dmarc=fail" in out,
         "p=quarantine failure is quarantined and accepted with A-R", out)
    t.ok("policy.dmarc=quarantine" in out,
         "A-R names the applied policy: policy.dmarc=quarantine", out)

    # --- p=none failure: accepted with dmarc=fail
    m9, _ = message("n@none.test", "p none")
    f9 = write(os.path.join(tmp, "m-none.eml"), m9)
    rc, out = load(sock, f9, "--ip", "203.0.113.66", "--from", "n@none.test")
    t.ok("dmarc=fail" in out and "eom c" in out and "quarantine" not in out,
         "p=none failure is only recorded", out)
    t.ok("policy.dmarc=none" in out, "A-R: policy.dmarc=none for p=none", out)

    # --- DNS that does not answer: 451 4.7.x
    m10, _ = message("s@slow.test", "slow dns")
    f10 = write(os.path.join(tmp, "m-slow.eml"), m10)
    t0 = time.monotonic()
    rc, out = load(sock, f10, "--ip", "203.0.113.66", "--from", "s@slow.test",
                   "--helo", "mail.slow.test")
    t.ok("eom y 451 4.7." in out, "DNS timeout answers 451 4.7.x", out)
    t.diag("DNS timeout verdict after %.1f s" % (time.monotonic() - t0))

    # --- oversized header section when signing: permanent 552
    big = b"X-Big: " + b"a" * 1000 + b"\r\n"
    m11, _ = message("alice@example.com", "big", extra=big * 1200)
    f11 = write(os.path.join(tmp, "m-big.eml"), m11)
    rc, out = load(sock, f11, "--ip", "127.0.0.1")
    t.ok(" y 552 5.3.4" in out, "a header beyond MaximumHeaders is refused (552)",
         out[-500:])

    # --- reloads under load: no message fails, the new settings apply
    loadproc = subprocess.Popen(
        [e2elib.milterload_binary(), "-s", sock, "-m", f4, "-c", "4", "-t", "4",
         "--ip", "198.51.100.10", "--from", "sam@pass.test", "--expect", "c"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=e2elib.client_env())
    time.sleep(0.5)
    for _ in range(15):
        milter.hup()
        time.sleep(0.15)
    lout = loadproc.communicate(timeout=60)[0]
    t.ok(loadproc.returncode == 0 and " 0 errors" in lout and milter.proc.poll() is None,
         "15 SIGHUPs under load: no failed message, milter alive", lout)
    world.config(sock, path=conf, AuthservID="reloaded.test.example")
    milter.hup()
    time.sleep(1.0)
    rc, out = load(sock, f4, "--ip", "198.51.100.10", "--from", "sam@pass.test")
    t.ok(" reloaded.test.example;" in out, "SIGHUP applies a changed AuthservID", out)
    with open(conf, "a") as fp:
        fp.write("NoSuchKey yes\n")
    milter.hup()
    time.sleep(1.0)
    rc, out = load(sock, f4, "--ip", "198.51.100.10", "--from", "sam@pass.test")
    t.ok(" reloaded.test.example;" in out and milter.proc.poll() is None and
         "reload:" in milter.read_log(),
         "a broken configuration on SIGHUP is refused; the old one stays", out)
    world.config(sock, path=conf)
    milter.hup()
    time.sleep(1.0)

    # --- Mode v: internal mail is left alone
    other_tests(tmp, world)


def start_other(tmp, world, name, **keys):
    port = e2elib.free_port()
    sock = "inet:%d@127.0.0.1" % port
    conf = world.config(sock, path=os.path.join(tmp, name + ".conf"), **keys)
    m = e2elib.Milter(conf, os.path.join(tmp, name + ".log")).start(port)
    return m, sock


def other_tests(tmp, world):
    load = e2elib.milterload
    msg, _ = message("alice@example.com", "mode v")
    f = write(os.path.join(tmp, "m-modev.eml"), msg)

    m, sock = start_other(tmp, world, "modev", Mode="v",
                          TemperrorAction="accept",
                          PeerList="203.0.113.200")
    try:
        rc, out = load(sock, f, "--ip", "127.0.0.1")
        t.ok(("mail a" in out or "data a" in out) and
             not e2elib.inserted_headers(out),
             "Mode v: internal mail is neither signed nor verified", out)
        ms, _ = message("s@slow.test", "slow accept")
        fs = write(os.path.join(tmp, "m-slow2.eml"), ms)
        rc, out = load(sock, fs, "--ip", "203.0.113.66", "--from", "s@slow.test")
        t.ok("eom c" in out and "temperror" in out,
             "TemperrorAction accept: accepted, temperror recorded", out)
        rc, out = load(sock, fs, "--ip", "203.0.113.200")
        t.ok(("connect a" in out or "data a" in out) and "eom" not in out,
             "PeerList client is accepted unchecked", out)
    finally:
        m.term()        # libmilter takes ~5 s to stop: Tap.done() waits

    # UNIX socket with UMask, daemon mode, PidFile
    sockdir = os.path.join(tmp, "run")
    os.mkdir(sockdir)
    path = os.path.join(sockdir, "authmilter.sock")
    pidfile = os.path.join(sockdir, "authmilter.pid")
    conf = world.config("unix:" + path, path=os.path.join(tmp, "unix.conf"),
                        UMask="007", PidFile=pidfile)
    r = subprocess.run([e2elib.milter_binary(), "-c", conf], capture_output=True,
                       text=True, timeout=30, env=e2elib.sanitizer_env(sockdir))
    t.ok(r.returncode == 0, "daemon mode: the parent exits 0 once serving",
         r.stdout + r.stderr)
    pid = 0
    try:
        with open(pidfile) as fp:
            pid = int(fp.read().strip())
        os.kill(pid, 0)
        alive = True
    except (OSError, ValueError):
        alive = False
    t.ok(alive, "PidFile names the running daemon")
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mode = -1
    t.ok(mode == 0o770, "UNIX socket mode follows UMask 007 (0770)", oct(mode))
    rc, out = load("unix:" + path, f, "--ip", "127.0.0.1")
    t.ok(rc == 0 and len(e2elib.inserted_headers(out)) == 2,
         "signing over the UNIX socket", out)
    if pid:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
                time.sleep(0.1)
            except OSError:
                break
    e2elib.collect_sanitizer_logs()     # the daemon's stderr is /dev/null
    t.ok(not os.path.exists(pidfile), "PidFile removed at exit")

    # UserID: privileges dropped, cannot come back
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        m, sock = start_other(tmp, world, "userid", UserID="nobody")
        try:
            with open("/proc/%d/status" % m.proc.pid) as fp:
                st = fp.read()
            uids = [l for l in st.splitlines() if l.startswith(("Uid:", "Gid:", "Groups:"))]
            ok = ("Uid:\t%d\t%d\t%d\t%d" % ((nobody.pw_uid,) * 4) in st and
                  "Gid:\t%d\t%d\t%d\t%d" % ((nobody.pw_gid,) * 4) in st)
            t.ok(ok, "UserID nobody: real, effective, saved uid and gid dropped",
                 "\n".join(uids))
            t.ok([l for l in uids if l.startswith("Groups:")] ==
                 ["Groups:\t%d " % nobody.pw_gid] or
                 [l for l in uids if l.startswith("Groups:")] ==
                 ["Groups:\t%d" % nobody.pw_gid],
                 "supplementary groups reduced to the user's group", "\n".join(uids))
            rc, out = load(sock, f, "--ip", "127.0.0.1")
            t.ok(rc == 0 and len(e2elib.inserted_headers(out)) == 2,
                 "keys loaded before dropping privileges still sign", out)
        finally:
            m.term()
    else:
        t.ok(True, "# SKIP UserID needs root")
        t.ok(True, "# SKIP UserID needs root")
        t.ok(True, "# SKIP UserID needs root")


if __name__ == "__main__":
    main()
