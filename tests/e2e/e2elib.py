"""e2elib.py - shared pieces of the authmilter end-to-end tests.

TAP output, free loopback ports, a DKIM key pair per test run (RSA and
Ed25519, made with openssl), master files for tests/dns/testdns.py, an SMTP
sink that stores every message it receives, a private Postfix instance
(its own config, queue and data directories in a temp dir, smtpd on a
loopback port; nothing of the system's Postfix is touched), and the
authmilter process itself.

The milter binary is $AUTHMILTER, else $top_builddir/milter/authmilter, so
the same scenarios can run against an ASan build.  Every milter log (and
any other output handed to note_output) is scanned for sanitizer reports:
Tap.done() adds one test point "authmilter ran clean under sanitizers" to
each script that ran the milter.  LeakSanitizer runs at exit, so milters are
stopped with SIGTERM (Milter.stop / Milter.term); tests/e2e/lsan.supp holds
suppressions for leaks inside libraries that are not ours.
"""

import base64
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

TOP_SRCDIR = os.environ.get("top_srcdir",
                            os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
TOP_BUILDDIR = os.environ.get("top_builddir", os.getcwd())
sys.path.insert(0, os.path.join(TOP_SRCDIR, "tests", "dns"))

from dnsserver import start as dns_start, stop as dns_stop  # noqa: E402


def milter_binary():
    return os.environ.get("AUTHMILTER",
                          os.path.join(TOP_BUILDDIR, "milter", "authmilter"))


def milterload_binary():
    return os.environ.get("MILTERLOAD",
                          os.path.join(TOP_BUILDDIR, "bench", "milterload"))


# ------------------------------------------------------------------ TAP

class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, diag=None):
        self.n += 1
        if cond:
            print("ok %d - %s" % (self.n, name), flush=True)
        else:
            self.failed += 1
            print("not ok %d - %s" % (self.n, name), flush=True)
            if diag:
                for line in str(diag).splitlines()[:60]:
                    print("#   " + line, flush=True)
        return cond

    def diag(self, text):
        for line in str(text).splitlines():
            print("# " + line, flush=True)

    def done(self):
        if _SAN["used"]:
            problem = sanitizer_problem()
            self.ok(problem is None, "authmilter ran clean under sanitizers",
                    problem)
        print("1..%d" % self.n, flush=True)
        return 1 if self.failed else 0


def skip_all(reason):
    print("1..0 # SKIP %s" % reason, flush=True)
    sys.exit(0)


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


# ------------------------------------------------------------------ keys

def txt_strings(value):
    """A TXT value as quoted master-file strings of at most 255 bytes."""
    return " ".join('"%s"' % value[i:i + 250] for i in range(0, len(value), 250))


class Keys:
    """An RSA and an Ed25519 key in dir, with their DNS record values."""

    def __init__(self, dir, name):
        self.rsa = os.path.join(dir, name + "-rsa.pem")
        self.ed = os.path.join(dir, name + "-ed.pem")
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                        "rsa_keygen_bits:2048", "-out", self.rsa],
                       check=True, capture_output=True)
        subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519",
                        "-out", self.ed], check=True, capture_output=True)
        os.chmod(self.rsa, 0o600)
        os.chmod(self.ed, 0o600)
        der = subprocess.run(["openssl", "pkey", "-in", self.rsa, "-pubout",
                              "-outform", "DER"], check=True,
                             capture_output=True).stdout
        self.rsa_record = "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()
        der = subprocess.run(["openssl", "pkey", "-in", self.ed, "-pubout",
                              "-outform", "DER"], check=True,
                             capture_output=True).stdout
        self.ed_record = ("v=DKIM1; k=ed25519; p=" +
                          base64.b64encode(der[-32:]).decode())
        with open(self.rsa, "rb") as f:
            self.rsa_pem = f.read()
        with open(self.ed, "rb") as f:
            ed_pem = f.read()
        # dkimpy signs Ed25519 with the raw 32-byte seed, base64
        der = subprocess.run(["openssl", "pkey", "-in", self.ed, "-outform",
                              "DER"], check=True, capture_output=True).stdout
        self.ed_seed_b64 = base64.b64encode(der[-32:])
        self.ed_pem = ed_pem


# ------------------------------------------------------------------ SMTP sink

class Sink:
    """A tiny SMTP server on loopback that writes each message to a file."""

    def __init__(self, dir):
        self.dir = dir
        os.makedirs(dir, exist_ok=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.count = 0
        self.lock = threading.Lock()
        self.stopping = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,),
                             daemon=True).start()

    def _session(self, conn):
        f = conn.makefile("rb")

        def say(line):
            conn.sendall(line.encode() + b"\r\n")
        try:
            say("220 sink.test ESMTP")
            while True:
                line = f.readline()
                if not line:
                    return
                cmd = line.strip().upper()
                if cmd.startswith(b"EHLO"):
                    conn.sendall(b"250-sink.test\r\n250 8BITMIME\r\n")
                elif cmd.startswith(b"DATA"):
                    say("354 go on")
                    data = []
                    while True:
                        l = f.readline()
                        if not l or l in (b".\r\n", b".\n"):
                            break
                        if l.startswith(b".."):
                            l = l[1:]
                        data.append(l)
                    with self.lock:
                        self.count += 1
                        path = os.path.join(self.dir, "%04d.eml" % self.count)
                    with open(path + ".tmp", "wb") as out:
                        out.write(b"".join(data))
                    os.rename(path + ".tmp", path)
                    say("250 stored")
                elif cmd.startswith(b"QUIT"):
                    say("221 bye")
                    return
                else:
                    say("250 ok")
        except OSError:
            pass
        finally:
            conn.close()

    def find(self, token, timeout=20.0):
        """The stored message (bytes) containing token, waiting for it."""
        deadline = time.monotonic() + timeout
        tok = token.encode()
        while True:
            for name in sorted(os.listdir(self.dir)):
                if not name.endswith(".eml"):
                    continue
                with open(os.path.join(self.dir, name), "rb") as f:
                    data = f.read()
                if tok in data:
                    return data
            if time.monotonic() > deadline:
                return None
            time.sleep(0.1)

    def stop(self):
        self.stopping = True
        self.sock.close()


# ------------------------------------------------------------------ sanitizers

# Milters and other sources of output to scan for sanitizer reports.
_SAN = {"used": False, "milters": [], "texts": [], "globs": []}

SAN_RE = re.compile(r"AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|"
                    r"ThreadSanitizer|MemorySanitizer|runtime error:|"
                    r"==\d+==\s*ERROR: ")
LSAN_SUPP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lsan.supp")


def sanitizer_env(log_dir=None):
    """The environment for an authmilter process: leak checking on, our
    LeakSanitizer suppressions, and (with log_dir, for a daemon whose
    stderr goes to /dev/null) reports written to log_dir/san.PID."""
    env = dict(os.environ)
    extra = {"ASAN_OPTIONS": "detect_leaks=1",
             "LSAN_OPTIONS": "suppressions=%s:print_suppressions=0" % LSAN_SUPP}
    if log_dir:
        path = os.path.join(log_dir, "san")
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            extra[k] = extra.get(k, "") + ":log_path=" + path
        _SAN["globs"].append(path + ".*")
    for k, v in extra.items():
        env[k] = (env[k] + ":" + v.lstrip(":")) if env.get(k) else v.lstrip(":")
    _SAN["used"] = True
    return env


def note_output(text, where):
    """Scan output of a milter run outside Milter (e.g. authmilter -n)."""
    _SAN["used"] = True
    _SAN["texts"].append((where, text))


def _excerpt(text):
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if SAN_RE.search(line):
            return "\n".join(lines[max(0, i - 3):i + 50])
    return None


def collect_sanitizer_logs():
    """Read the sanitizer log files of sanitizer_env(log_dir) now (call it
    once the process has exited and before log_dir is removed)."""
    for g in _SAN["globs"]:
        for path in sorted(glob.glob(g)):
            with open(path, errors="replace") as f:
                note_output(f.read(), path)
    _SAN["globs"] = []


def sanitizer_problem():
    """None if no sanitizer report was seen, else where and an excerpt.
    Milters still running are stopped first (SIGTERM, so LSan runs); their
    logs are read through a descriptor kept open, so a removed temp dir
    does not hide them."""
    for m in _SAN["milters"]:
        m.stop()
    collect_sanitizer_logs()
    sources = [(m.log, m.log_text()) for m in _SAN["milters"]]
    sources += _SAN["texts"]
    for where, text in sources:
        ex = _excerpt(text)
        if ex is not None:
            return "sanitizer report in %s:\n%s" % (where, ex)
    return None


# ------------------------------------------------------------------ milter

class Milter:
    """authmilter -f on a config file; stderr goes to a log file."""

    def __init__(self, conf, log, extra=()):
        self.conf = conf
        self.log = log
        self.extra = list(extra)
        self.proc = None
        self.termed = False
        _SAN["milters"].append(self)

    def start(self, port=None, wait=15.0):
        cmd = [milter_binary(), "-f", "-c", self.conf] + self.extra
        env = sanitizer_env()
        self.logf = open(self.log, "ab")
        if getattr(self, "logr", None) is None:
            self.logr = open(self.log, "rb")
        self.termed = False
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=self.logf, stderr=self.logf, env=env)
        if port is not None and not wait_port(port, wait):
            raise RuntimeError("authmilter did not listen on %d:\n%s" %
                               (port, self.read_log()))
        return self

    def read_log(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_text(self):
        """The whole log, even after its file was removed."""
        if getattr(self, "logr", None) is None:
            return self.read_log()
        self.logr.seek(0)
        return self.logr.read().decode(errors="replace")

    def hup(self):
        self.proc.send_signal(signal.SIGHUP)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def term(self):
        """SIGTERM without waiting (libmilter takes up to ~5 s to stop);
        stop() or Tap.done() waits for it later."""
        if self.proc and self.proc.poll() is None and not self.termed:
            self.proc.send_signal(signal.SIGTERM)
            self.termed = True

    def stop(self, timeout=20.0):
        """SIGTERM and wait, so LeakSanitizer runs at exit; returns the
        exit status (None if it had to be killed)."""
        if not self.proc or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.term()
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None


# ------------------------------------------------------------------ Postfix

POSTFIX = "/usr/sbin/postfix"

MASTER_CF = """\
127.0.0.1:{smtp_port} inet n - n - - smtpd
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n - - proxymap
smtp      unix - - n - - smtp
relay     unix - - n - - smtp
showq     unix n - n - - showq
error     unix - - n - - error
retry     unix - - n - - error
discard   unix - - n - - discard
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"""


def postfix_usable():
    """None if a private Postfix can run here, else the reason why not."""
    if not os.path.exists(POSTFIX):
        return "Postfix is not installed (apt-get install postfix)"
    if os.geteuid() != 0:
        return "a private Postfix instance needs root"
    try:
        import pwd
        pwd.getpwnam("postfix")
    except KeyError:
        return "no 'postfix' user"
    return None


class Postfix:
    """A private Postfix: own config, queue and data directories under dir."""

    def __init__(self, dir, milter, sink_port, relay_domain="rcpt.test",
                 extra=None):
        self.dir = dir
        self.conf_dir = os.path.join(dir, "etc")
        self.queue_dir = os.path.join(dir, "spool")
        self.data_dir = os.path.join(dir, "data")
        for d in (self.conf_dir, self.queue_dir, self.data_dir):
            os.makedirs(d, exist_ok=True)
        os.chmod(dir, 0o755)
        import pwd
        pw = pwd.getpwnam("postfix")
        os.chown(self.data_dir, pw.pw_uid, pw.pw_gid)
        self.smtp_port = free_port()
        self.maillog = os.path.join(dir, "maillog")
        main = {
            "compatibility_level": "3.6",
            "queue_directory": self.queue_dir,
            "data_directory": self.data_dir,
            "meta_directory": "/etc/postfix",
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "syslog_name": "postfix-authmilter-test",
            "maillog_file": self.maillog,
            "maillog_file_prefixes": dir,
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "myhostname": "mx.test.example",
            "mydomain": "test.example",
            "myorigin": "test.example",
            "mydestination": "",
            "mynetworks": "127.0.0.0/8",
            "relay_domains": relay_domain,
            "transport_maps": "inline:{ %s=smtp:[127.0.0.1]:%d }" %
                              (relay_domain, sink_port),
            "smtpd_authorized_xclient_hosts": "127.0.0.0/8",
            "smtpd_peername_lookup": "no",
            "smtp_dns_support_level": "disabled",
            "alias_maps": "",
            "alias_database": "",
            "local_recipient_maps": "",
            "biff": "no",
            "smtpd_milters": milter,
            "non_smtpd_milters": milter,
            "milter_default_action": "tempfail",
            "milter_protocol": "6",
            "smtpd_tls_security_level": "none",
            "smtp_tls_security_level": "none",
            "queue_run_delay": "2s",
            "minimal_backoff_time": "2s",
            "maximal_backoff_time": "4s",
            "delay_warning_time": "0",
            "smtputf8_enable": "no",
            "in_flow_delay": "0",
            "smtpd_error_sleep_time": "0",
        }
        main.update(extra or {})
        with open(os.path.join(self.conf_dir, "main.cf"), "w") as f:
            for k, v in main.items():
                f.write("%s = %s\n" % (k, v))
        with open(os.path.join(self.conf_dir, "master.cf"), "w") as f:
            f.write(MASTER_CF.format(smtp_port=self.smtp_port))
        for extra_file in ("dynamicmaps.cf",):
            src = os.path.join("/etc/postfix", extra_file)
            if os.path.exists(src):
                shutil.copy(src, self.conf_dir)
        if os.path.isdir("/etc/postfix/dynamicmaps.cf.d"):
            shutil.copytree("/etc/postfix/dynamicmaps.cf.d",
                            os.path.join(self.conf_dir, "dynamicmaps.cf.d"),
                            dirs_exist_ok=True)

    def cmd(self, *args, check=False):
        return subprocess.run([POSTFIX, "-c", self.conf_dir] + list(args),
                              capture_output=True, text=True, check=check,
                              timeout=60)

    def start(self):
        r = self.cmd("start")
        if r.returncode != 0:
            raise RuntimeError("postfix start failed:\n%s%s" % (r.stdout, r.stderr))
        if not wait_port(self.smtp_port, 20):
            raise RuntimeError("postfix smtpd does not listen:\n" + self.log())

    def stop(self):
        r = self.cmd("stop")
        if r.returncode != 0:
            self.cmd("abort")
        # master may take a moment to go
        pidfile = os.path.join(self.queue_dir, "pid", "master.pid")
        deadline = time.monotonic() + 10
        while os.path.exists(pidfile) and time.monotonic() < deadline:
            time.sleep(0.1)

    def log(self):
        try:
            with open(self.maillog, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def queue_files(self, sub):
        """Queue files in one queue (incoming, active, deferred, hold)."""
        out = []
        for root, _, files in os.walk(os.path.join(self.queue_dir, sub)):
            out += [os.path.join(root, f) for f in files]
        return out


# ------------------------------------------------------------------ the test world

AUTHSERV_ID = "mx.test.example"


class World:
    """Keys, DNS data and a milter configuration shared by the e2e tests.

    example.com   our domain: signed with an RSA and an Ed25519 key
                  (SigningTable names both), SPF allows 127.0.0.1, p=reject
    pass.test     a remote sender: SPF allows 198.51.100.10, DKIM key s1,
                  p=reject
    quar.test     SPF allows 198.51.100.10, p=quarantine
    none.test     SPF -all, p=none
    slow.test     every query times out (the DNS server never answers)
    """

    def __init__(self, dir):
        self.dir = dir
        self.keys = Keys(dir, "example")
        self.sender = Keys(dir, "sender")
        self.zone = os.path.join(dir, "zone")
        self.records = {
            "rsa._domainkey.example.com": self.keys.rsa_record,
            "ed._domainkey.example.com": self.keys.ed_record,
            "s1._domainkey.pass.test": self.sender.rsa_record,
            "s1._domainkey.quar.test": self.sender.rsa_record,
        }
        with open(self.zone, "w") as z:
            z.write("$TTL 300\n")
            z.write('example.com. IN TXT "v=spf1 ip4:127.0.0.1 -all"\n')
            z.write('_dmarc.example.com. IN TXT "v=DMARC1; p=reject"\n')
            for d in ("pass.test", "quar.test"):
                z.write('%s. IN TXT "v=spf1 ip4:198.51.100.10 -all"\n' % d)
                z.write('mail.%s. IN A 198.51.100.10\n' % d)
            z.write('_dmarc.pass.test. IN TXT "v=DMARC1; p=reject"\n')
            z.write('_dmarc.quar.test. IN TXT "v=DMARC1; p=quarantine"\n')
            z.write('none.test. IN TXT "v=spf1 -all"\n')
            z.write('_dmarc.none.test. IN TXT "v=DMARC1; p=none"\n')
            z.write(';%TIMEOUT slow.test.\n;%TIMEOUT _dmarc.slow.test.\n')
            z.write(';%TIMEOUT mail.slow.test.\n')
            for name, value in self.records.items():
                z.write("%s. IN TXT %s\n" % (name, txt_strings(value)))
        self.dns_proc, self.dns_port = dns_start([self.zone])
        with open(os.path.join(dir, "keytable"), "w") as f:
            f.write("rsa-key example.com:rsa:%s\n" % self.keys.rsa)
            f.write("ed-key example.com:ed:%s\n" % self.keys.ed)
        with open(os.path.join(dir, "signingtable"), "w") as f:
            f.write("*@example.com rsa-key,ed-key\n")

    def dnsfunc(self, name, timeout=5):
        """TXT lookups for dkimpy, from the same data the server has."""
        if isinstance(name, bytes):
            name = name.decode()
        return self.records.get(name.rstrip(".").lower(), "").encode()

    def config(self, socket_spec, path=None, **keys):
        """Write an authmilter.conf; keyword arguments add or override keys."""
        path = path or os.path.join(self.dir, "authmilter.conf")
        conf = {
            "Socket": socket_spec,
            "Mode": "sv",
            "KeyTable": os.path.join(self.dir, "keytable"),
            "SigningTable": "refile:" + os.path.join(self.dir, "signingtable"),
            "InternalHosts": "127.0.0.1, ::1",
            "Nameservers": "127.0.0.1:%d" % self.dns_port,
            "AuthservID": AUTHSERV_ID,
            "RejectFailures": "yes",
            "DNSTimeout": "1",
            "Syslog": "no",
            "LogWhy": "yes",
        }
        conf.update(keys)
        with open(path, "w") as f:
            f.write("# authmilter e2e test configuration\n")
            for k, v in conf.items():
                if v is not None:
                    f.write("%s %s\n" % (k, v))
        return path

    def sign_as_sender(self, msg, domain="pass.test"):
        """The message signed by the remote sender (dkimpy, RSA, s1)."""
        import dkim
        sig = dkim.sign(msg, b"s1", domain.encode(), self.sender.rsa_pem,
                        include_headers=[b"from", b"to", b"subject", b"date",
                                         b"message-id"])
        return sig + msg

    def stop(self):
        dns_stop(self.dns_proc)


def message(frm, subject, body=b"Hello.\r\nThis is a test.\r\n", extra=b""):
    """A small RFC 5322 message (CRLF) with a unique Message-ID."""
    token = "%s.%d.%d" % (subject.replace(" ", "-"), os.getpid(),
                          int(time.monotonic() * 1e6))
    head = ("From: %s\r\nTo: bob@rcpt.test\r\nSubject: %s\r\n"
            "Date: Mon, 01 Jan 2024 00:00:00 +0000\r\n"
            "Message-ID: <%s@test>\r\n" % (frm, subject, token)).encode()
    return head + extra + b"\r\n" + body, token


def dkim_verify_all(msg, dnsfunc):
    """[(d, s, ok)] for every DKIM-Signature of msg, verified by dkimpy."""
    import dkim
    d = dkim.DKIM(msg)
    out = []
    sigs = [h for h in d.headers if h[0].lower() == b"dkim-signature"]
    for i, (_, value) in enumerate(sigs):
        tags = dict(t.strip().split(b"=", 1) for t in value.split(b";")
                    if b"=" in t)
        ok = dkim.DKIM(msg).verify(idx=i, dnsfunc=dnsfunc)
        out.append((tags.get(b"d", b"").decode(), tags.get(b"s", b"").decode(),
                    bool(ok)))
    return out


def client_env():
    """The environment for bench/milterload: the test client's own memory at
    exit is not under test, and a LeakSanitizer report from an ASan build
    of it would garble its --print output."""
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = (env["ASAN_OPTIONS"] + ":" if env.get("ASAN_OPTIONS")
                           else "") + "detect_leaks=0"
    return env


def milterload(sock, msgfile, *args, timeout=60):
    """Run bench/milterload --print for one message; returns (rc, stdout)."""
    r = subprocess.run([milterload_binary(), "-s", sock, "-m", msgfile,
                        "--print"] + list(args), capture_output=True,
                       text=True, timeout=timeout, env=client_env())
    return r.returncode, r.stdout + r.stderr


def inserted_headers(out):
    """[(index, name, value)] of the insheader lines of milterload --print."""
    res = []
    for line in out.splitlines():
        if line.startswith("insheader "):
            _, idx, rest = line.split(" ", 2)
            name, value = rest.split(":", 1)
            res.append([int(idx), name, value])
        elif line.startswith(("\t", " ")) and res:
            res[-1][2] += "\n" + line
    return res
