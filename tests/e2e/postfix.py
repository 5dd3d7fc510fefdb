#!/usr/bin/python3
"""postfix.py - authmilter inside a real Postfix, end to end.

A private Postfix instance (config, queue and data directories in a temp
dir; smtpd on a free loopback port; nothing of the system's Postfix is
used) relays mail for rcpt.test to an SMTP sink of this script.  DNS comes
from tests/dns/testdns.py.  authmilter listens on a loopback inet socket
and Postfix uses it as smtpd milter with milter_default_action = tempfail.
XCLIENT (smtpd_authorized_xclient_hosts = 127.0.0.0/8) lets the test speak
as any client address and HELO name, so SPF sees the address chosen.

Checked: outgoing mail is signed (RSA and Ed25519) and dkimpy verifies the
delivered copy; incoming mail gets the right Authentication-Results for
SPF, DKIM and DMARC pass and fail; a p=reject failure is refused with
550 5.7.1; a p=quarantine failure is held; a forged A-R with our
authserv-id is removed; a DNS server that does not answer gives 451;
killing the milter mid-session makes Postfix tempfail and no mail is lost.

Skips (TAP "1..0 # SKIP") only when Postfix cannot run here.
AUTHMILTER=path runs another build (e.g. ASan) of the milter.
"""

import os
import shutil
import smtplib
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib  # noqa: E402
from e2elib import AUTHSERV_ID, message  # noqa: E402

t = e2elib.Tap()


def smtp(pf, addr=None, helo=None):
    """An SMTP session to the private Postfix, as client addr/helo via XCLIENT."""
    s = smtplib.SMTP("127.0.0.1", pf.smtp_port, timeout=60)
    s.ehlo("client.test")
    if addr:
        code, resp = s.docmd("XCLIENT", "ADDR=%s NAME=[UNAVAILABLE] HELO=%s" %
                             (addr, helo or "client.test"))
        if code != 220:
            raise RuntimeError("XCLIENT refused: %d %s" % (code, resp))
        s.ehlo(helo or "client.test")
    return s


def send(pf, msg, mfrom, addr=None, helo=None):
    """Send; returns (code, text) of the final reply (250 when accepted)."""
    s = smtp(pf, addr, helo)
    try:
        s.sendmail(mfrom, ["bob@rcpt.test"], msg)
        return 250, ""
    except smtplib.SMTPResponseException as e:
        return e.smtp_code, e.smtp_error.decode(errors="replace")
    except smtplib.SMTPRecipientsRefused as e:
        code, text = list(e.recipients.values())[0]
        return code, text.decode(errors="replace")
    finally:
        try:
            s.quit()
        except (smtplib.SMTPException, OSError):
            pass


def header_fields(data, name):
    """Values of the named header fields of a delivered message (unfolded)."""
    head = data.split(b"\r\n\r\n", 1)[0].decode(errors="replace")
    fields = []
    for line in head.split("\r\n"):
        if line[:1] in (" ", "\t") and fields:
            fields[-1] += " " + line.strip()
        else:
            fields.append(line)
    want = name.lower() + ":"
    return [f.split(":", 1)[1].strip() for f in fields
            if f.lower().startswith(want)]


def main():
    why = e2elib.postfix_usable()
    if why:
        e2elib.skip_all(why)
    if not os.access(e2elib.milter_binary(), os.X_OK):
        e2elib.skip_all("%s not built" % e2elib.milter_binary())
    try:
        import dkim  # noqa: F401
    except ImportError:
        e2elib.skip_all("python3-dkim is not installed")
    tmp = tempfile.mkdtemp(prefix="authmilter-postfix.")
    os.chmod(tmp, 0o755)    # the postfix user must reach its directories
    world = e2elib.World(tmp)
    sink = e2elib.Sink(os.path.join(tmp, "sink"))
    mport = e2elib.free_port()
    conf = world.config("inet:%d@127.0.0.1" % mport)
    milter = e2elib.Milter(conf, os.path.join(tmp, "milter.log")).start(mport)
    pf = e2elib.Postfix(os.path.join(tmp, "postfix"),
                        "inet:127.0.0.1:%d" % mport, sink.port)
    started = False
    try:
        try:
            pf.start()
            started = True
        except RuntimeError as e:
            t.ok(False, "private Postfix starts", e)
        if started:
            scenarios(tmp, world, sink, milter, pf, conf, mport)
    finally:
        if started:
            pf.stop()
        st = milter.stop()
        t.ok(st == 0, "milter exits 0 on SIGTERM", st)
        sink.stop()
        world.stop()
        if t.failed:
            t.diag("milter log:\n" + milter.read_log()[-5000:])
            t.diag("postfix log:\n" + pf.log()[-5000:])
        if os.environ.get("E2E_KEEP"):
            t.diag("kept " + tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(t.done())


def scenarios(tmp, world, sink, milter, pf, conf, mport):
    # --- outgoing: from mynetworks / InternalHosts, signed twice
    msg, tok = message("Alice <alice@example.com>", "outgoing")
    t0 = time.monotonic()
    code, text = send(pf, msg, "alice@example.com")
    t.diag("outgoing message accepted in %.0f ms" % ((time.monotonic() - t0) * 1e3))
    t.ok(code == 250, "outgoing mail accepted", text)
    got = sink.find(tok)
    t.ok(got is not None, "outgoing mail delivered to the sink")
    if got:
        res = e2elib.dkim_verify_all(got, world.dnsfunc)
        t.ok(sorted(res) == [("example.com", "ed", True),
                             ("example.com", "rsa", True)],
             "delivered copy: dkimpy verifies RSA and Ed25519 signatures", res)
        t.ok(not header_fields(got, "Authentication-Results"),
             "outgoing mail has no Authentication-Results")
    else:
        t.ok(False, "delivered copy: dkimpy verifies RSA and Ed25519 signatures")
        t.ok(False, "outgoing mail has no Authentication-Results")

    # --- incoming, all pass
    def incoming(name, msg, tok, mfrom, addr, helo, want, forbid=()):
        code, text = send(pf, msg, mfrom, addr, helo)
        got = sink.find(tok) if code == 250 else None
        ars = header_fields(got, "Authentication-Results") if got else []
        ours = [a for a in ars if a.lower().startswith(AUTHSERV_ID + ";")]
        ar = ours[0] if ours else ""
        ok = (code == 250 and len(ours) == 1 and all(w in ar for w in want) and
              not any(f in ar for f in forbid))
        t.ok(ok, name, "reply %s %s\nA-R: %s" % (code, text, ars))
        return got, ars

    m, tok = message("Sam <sam@pass.test>", "in pass")
    incoming("incoming: spf=pass dkim=pass dmarc=pass", world.sign_as_sender(m),
             tok, "sam@pass.test", "198.51.100.10", "mail.pass.test",
             ["spf=pass", "dkim=pass", "dmarc=pass", "header.d=pass.test"])

    m, tok = message("Sam <sam@pass.test>", "in spf fail")
    incoming("incoming: spf=fail, dkim=pass, dmarc=pass (DKIM aligned)",
             world.sign_as_sender(m), tok, "sam@pass.test", "203.0.113.5",
             "mail.pass.test", ["spf=fail", "dkim=pass", "dmarc=pass"])

    m, tok = message("Sam <sam@pass.test>", "in dkim fail")
    bad = world.sign_as_sender(m).replace(b"This is a test.", b"This is a tset.")
    incoming("incoming: dkim=fail (body changed), spf=pass, dmarc=pass",
             bad, tok, "sam@pass.test", "198.51.100.10", "mail.pass.test",
             ["spf=pass", "dkim=fail", "dmarc=pass"])

    m, tok = message("n@none.test", "in none fail")
    incoming("incoming: spf=fail, dkim=none, dmarc=fail under p=none: delivered",
             m, tok, "n@none.test", "203.0.113.5", "mx.none.test",
             ["spf=fail", "dmarc=fail"], ["dkim=pass"])

    # --- forged A-R with our authserv-id removed, a foreign one kept
    m, tok = message("Sam <sam@pass.test>", "forged", extra=(
        "Authentication-Results: %s; dmarc=pass header.from=pass.test\r\n"
        "Authentication-Results: other.example; spf=pass\r\n" % AUTHSERV_ID).encode())
    got, ars = incoming("incoming with a forged A-R: only our own field carries our id",
                        world.sign_as_sender(m), tok, "sam@pass.test",
                        "203.0.113.5", "mail.pass.test", ["spf=fail", "dkim=pass"])
    t.ok(any(a.startswith("other.example;") for a in ars),
         "the foreign Authentication-Results field is kept", ars)

    # --- p=reject failure
    m, tok = message("mallory@example.com", "spoofed")
    code, text = send(pf, m, "mallory@example.com", "203.0.113.66", "evil.test")
    t.ok(code == 550 and text.startswith("5.7.1") and "example.com" in text,
         "p=reject failure refused with 550 5.7.1 naming the domain",
         "%s %s" % (code, text))
    t.ok(sink.find(tok, timeout=1) is None, "the refused message is not delivered")

    # --- p=quarantine failure: held
    m, tok = message("q@quar.test", "quarantined")
    code, text = send(pf, m, "q@quar.test", "203.0.113.66", "evil.test")
    held = []
    deadline = time.monotonic() + 10
    while code == 250 and not held and time.monotonic() < deadline:
        held = pf.queue_files("hold")
        time.sleep(0.1)
    t.ok(code == 250 and len(held) == 1,
         "p=quarantine failure accepted and put on hold", "%s %s %s" % (code, text, held))
    t.ok(sink.find(tok, timeout=1) is None, "the held message is not delivered")

    # --- DNS that does not answer (names marked ;%TIMEOUT)
    m, tok = message("s@slow.test", "slow")
    t0 = time.monotonic()
    code, text = send(pf, m, "s@slow.test", "203.0.113.66", "mail.slow.test")
    t.ok(code == 451 and text.startswith("4.7."),
         "DNS timeout: 451 4.7.x", "%s %s" % (code, text))
    t.diag("DNS timeout reply after %.1f s" % (time.monotonic() - t0))

    # --- a resolver that never answers at all (reload onto a silent port)
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    e2elib_conf = world.config("inet:%d@127.0.0.1" % mport, path=conf,
                               Nameservers="127.0.0.1:%d" % silent.getsockname()[1])
    milter.hup()
    time.sleep(1.0)
    m, tok = message("Sam <sam@pass.test>", "silent dns")
    code, text = send(pf, world.sign_as_sender(m), "sam@pass.test",
                      "198.51.100.10", "mail.pass.test")
    t.ok(code == 451 and text.startswith("4.7."),
         "resolver that never answers: 451 4.7.x", "%s %s" % (code, text))
    world.config("inet:%d@127.0.0.1" % mport, path=e2elib_conf)
    milter.hup()
    time.sleep(1.0)
    silent.close()

    # --- the milter dies in the middle of a session
    m, tok = message("Sam <sam@pass.test>", "milter killed")
    signed = world.sign_as_sender(m)
    s = smtp(pf, "198.51.100.10", "mail.pass.test")
    s.mail("sam@pass.test")
    s.rcpt("bob@rcpt.test")
    milter.kill()
    try:
        code, text = s.data(signed)
        text = text.decode(errors="replace")
    except smtplib.SMTPResponseException as e:
        code, text = e.smtp_code, e.smtp_error.decode(errors="replace")
    try:
        s.quit()
    except (smtplib.SMTPException, OSError):
        pass
    t.ok(400 <= code < 500, "milter killed mid-session: Postfix answers 4xx",
         "%s %s" % (code, text))
    time.sleep(1)
    queued = (pf.queue_files("incoming") + pf.queue_files("active") +
              pf.queue_files("deferred") + pf.queue_files("maildrop"))
    t.ok(not queued and sink.find(tok, timeout=1) is None,
         "nothing was queued or delivered: the client still holds the message",
         queued)
    code, text = send(pf, signed, "sam@pass.test", "198.51.100.10", "mail.pass.test")
    t.ok(400 <= code < 500, "while the milter is down, mail is tempfailed",
         "%s %s" % (code, text))
    milter.start(mport)
    code, text = send(pf, signed, "sam@pass.test", "198.51.100.10", "mail.pass.test")
    got = sink.find(tok) if code == 250 else None
    t.ok(got is not None and b"dmarc=pass" in got,
         "the retried message is delivered, checked, once the milter is back",
         "%s %s" % (code, text))

    # --- timing through Postfix (the Nagle stall would show as ~40 ms)
    times = []
    for i in range(10):
        m, tok = message("Sam <sam@pass.test>", "timing %d" % i)
        mm = world.sign_as_sender(m)
        t0 = time.monotonic()
        send(pf, mm, "sam@pass.test", "198.51.100.10", "mail.pass.test")
        times.append((time.monotonic() - t0) * 1e3)
    times.sort()
    t.diag("SMTP session through Postfix + authmilter (inet): median %.1f ms, "
           "max %.1f ms" % (times[len(times) // 2], times[-1]))
    t.ok(times[len(times) // 2] < 40,
         "median session time under 40 ms (no Nagle stall on the milter socket)",
         times)


if __name__ == "__main__":
    main()
