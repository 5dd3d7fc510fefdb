/*
 * authmilter.c - the milter daemon: command line, start-up (socket, keys,
 * daemon, PidFile, privileges), signals and configuration reload.
 *
 *   authmilter -c FILE [-p SOCKET] [-f] [-n]
 *
 * Start-up order: read and check the whole configuration (keys included)
 * as the starting user; open the listening socket; become a daemon; write
 * the PidFile; give up root for UserID (and check it cannot be regained);
 * then serve.  libmilter runs the listener and one thread per connection
 * in a thread of its own (smfi_main) and handles SIGTERM and SIGINT
 * itself.  SIGHUP reloads: the main thread keeps SIGHUP unblocked and
 * waits for it, every other thread blocks it, so a process-directed
 * SIGHUP goes to the main thread (Linux prefers the thread-group leader
 * when it does not block the signal), never to libmilter's signal thread,
 * which would stop the filter.  The reload builds a new configuration and
 * swaps it in; connections in flight keep theirs until they finish.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <libmilter/mfapi.h>
#include "callbacks.h"
#include "conf.h"
#include "log.h"

#define EXIT_USAGE	64	/* sysexits EX_USAGE */
#define EXIT_CONFIG	78	/* sysexits EX_CONFIG */
#define MAX_FDS		1024

static const char *conf_path, *sock_override;
static int foreground, check_only;
static int ctl_pipe[2] = { -1, -1 };	/* signal handler / smfi thread -> main */

static const char usage_text[] =
"usage: authmilter -c FILE [-p SOCKET] [-f] [-n]\n"
"       authmilter -h | -V\n"
"\n"
"SPF, DKIM and DMARC for Postfix and Sendmail: signs mail from internal or\n"
"authenticated clients, verifies all other mail and adds one\n"
"Authentication-Results field.\n"
"\n"
"  -c FILE    configuration file (authmilter.conf(5))\n"
"  -p SOCKET  overrides Socket: inet:PORT@HOST, inet6:PORT@HOST, unix:/path\n"
"  -f         stay in the foreground and log to stderr\n"
"  -n         check the configuration (keys, tables, DNS records of the\n"
"             selectors), print every problem, exit 0 when fine\n"
"  -h         this help, with the configuration keys\n"
"  -V         print the version\n"
"\n"
"Signals: SIGHUP reloads the configuration, tables and keys without\n"
"dropping connections; SIGTERM stops.\n"
"Exit status: 0 fine, 64 usage error, 78 configuration error, 1 failure.\n"
"\n"
"Example:\n"
"  authmilter -n -c /etc/authmilter.conf\n"
"  authmilter -f -c /etc/authmilter.conf -p inet:8891@127.0.0.1\n"
"\n"
"Configuration keys (KEY TYPE DEFAULT MEANING):\n";

static void
usage(FILE *fp)
{
	fputs(usage_text, fp);
	am_conf_print_keys(fp);
}

/* ------------------------------------------------------------- socket */

/* Which descriptors are open (to find the one smfi_opensocket made). */
static void
open_fds(unsigned char *set)
{
	int fd;

	for (fd = 0; fd < MAX_FDS; fd++)
		set[fd] = fcntl(fd, F_GETFD) != -1;
}

/*
 * libmilter does not hand out its listening socket, but it is the new
 * descriptor after smfi_opensocket.  Setting TCP_NODELAY on it makes
 * every accepted connection inherit it (Linux), so the small replies
 * libmilter writes at the end of a message are not held back by Nagle
 * waiting for the MTA's delayed ACK.
 */
static void
tune_listener(const unsigned char *before, int nodelay)
{
	struct sockaddr_storage ss;
	socklen_t sl, ol;
	int fd, acc, one = 1;

	for (fd = 0; fd < MAX_FDS; fd++) {
		if (before[fd] || fcntl(fd, F_GETFD) == -1)
			continue;
		acc = 0;
		ol = sizeof(acc);
		sl = sizeof(ss);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &ol) != 0 ||
		    !acc || getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
			continue;
		if ((ss.ss_family == AF_INET || ss.ss_family == AF_INET6) &&
		    nodelay) {
			if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof(one)) != 0)
				am_log(LOG_WARNING, "TCP_NODELAY: %s",
				    strerror(errno));
		}
	}
}

static const char *
unix_path(const char *spec)
{
	if (strncasecmp(spec, "unix:", 5) == 0)
		return spec + 5;
	if (strncasecmp(spec, "local:", 6) == 0)
		return spec + 6;
	return spec[0] == '/' ? spec : NULL;
}

/* ---------------------------------------------------------- privileges */

static int
resolve_user(const char *spec, uid_t *uid, gid_t *gid)
{
	char buf[256], *colon;
	struct passwd *pw;
	struct group *gr;

	snprintf(buf, sizeof(buf), "%s", spec);
	if ((colon = strchr(buf, ':')) != NULL)
		*colon++ = '\0';
	if ((pw = getpwnam(buf)) == NULL) {
		am_log(LOG_ERR, "UserID: no such user '%s'", buf);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (colon != NULL) {
		if ((gr = getgrnam(colon)) == NULL) {
			am_log(LOG_ERR, "UserID: no such group '%s'", colon);
			return -1;
		}
		*gid = gr->gr_gid;
	}
	return 0;
}

/* Become uid/gid for good; fail unless root is gone for good. */
static int
drop_privileges(uid_t uid, gid_t gid)
{
	if (getuid() != 0 && geteuid() != 0) {
		if (getuid() == uid)
			return 0;
		am_log(LOG_ERR, "UserID: must start as root to change user");
		return -1;
	}
	if (setgroups(1, &gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0) {
		am_log(LOG_ERR, "cannot become uid %ld gid %ld: %s", (long)uid,
		    (long)gid, strerror(errno));
		return -1;
	}
	if (uid != 0 && (setuid(0) != -1 || seteuid(0) != -1 || geteuid() == 0 ||
	    getuid() == 0)) {
		am_log(LOG_ERR, "could regain root after dropping privileges");
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------- signals */

static void
on_hup(int sig)
{
	int saved = errno;
	char ch = 'H';

	(void)sig;
	if (write(ctl_pipe[1], &ch, 1) < 0) {
		/* a full pipe already holds a reload request */
	}
	errno = saved;
}

static void *
milter_thread(void *arg)
{
	char ch = 'Q';
	int *result = arg;

	*result = smfi_main();
	if (write(ctl_pipe[1], &ch, 1) < 0)
		am_log(LOG_ERR, "cannot wake the main thread: %s", strerror(errno));
	return NULL;
}

/* Read the configuration again and swap it in; keep the old one on errors. */
static void
reload(void)
{
	am_problems pr = { 0, 0, 1, 0 };
	am_conf *old = am_conf_current(), *c;

	c = am_conf_load(conf_path, sock_override, old, 0, &pr);
	if (c == NULL) {
		am_log(LOG_ERR, "reload: %u error(s) in %s: still running with "
		    "the previous configuration", pr.nerr, conf_path);
		am_conf_unref(old);
		return;
	}
	if (strcmp(c->socket, old->socket) != 0 ||
	    (c->userid == NULL) != (old->userid == NULL) ||
	    (c->userid && strcmp(c->userid, old->userid) != 0))
		am_log(LOG_WARNING, "reload: Socket and UserID changes take "
		    "effect at the next restart");
	am_log_setup(foreground, c->syslog, c->syslog_facility);
	am_log(LOG_NOTICE, "configuration reloaded from %s (%zu signing keys)",
	    conf_path, c->keys.n);
	am_conf_install(c);
	am_conf_unref(old);
}

/* ---------------------------------------------------------------- daemon */

/*
 * Fork; the parent waits until the child says it is serving (exit 0) or
 * has died (exit 1), so that start-up errors show in the exit status.
 */
static int
daemonize(int *ready_fd)
{
	int p[2], st;
	pid_t pid;
	char ch;

	if (pipe(p) != 0)
		return -1;
	if ((pid = fork()) < 0)
		return -1;
	if (pid > 0) {
		close(p[1]);
		st = read(p[0], &ch, 1) == 1 ? 0 : 1;
		_exit(st);
	}
	close(p[0]);
	if (setsid() < 0)
		return -1;
	if (chdir("/") != 0)
		return -1;
	*ready_fd = p[1];
	return 0;
}

static void
detach_stdio(void)
{
	int fd = open("/dev/null", O_RDWR);

	if (fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

static int
write_pidfile(const char *path, uid_t uid, gid_t gid, int chown_it)
{
	char buf[32];
	int fd, n;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
		am_log(LOG_ERR, "PidFile %s: %s", path, strerror(errno));
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n) {
		am_log(LOG_ERR, "PidFile %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (chown_it && fchown(fd, uid, gid) != 0)
		am_log(LOG_WARNING, "PidFile %s: chown: %s", path, strerror(errno));
	close(fd);
	return 0;
}

/* ------------------------------------------------------------------ main */

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	am_problems pr = { 0, 0, 0, 0 };
	unsigned char before[MAX_FDS];
	struct sigaction sa;
	sigset_t set;
	pthread_t tid;
	am_conf *conf;
	uid_t uid = 0;
	gid_t gid = 0;
	int ch, ready_fd = -1, have_user = 0, result = MI_FAILURE;
	const char *upath;
	char cmd;

	while ((ch = getopt_long(argc, argv, "c:p:fnhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case 'p':
			sock_override = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'n':
			check_only = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("authmilter %s\n", PACKAGE_VERSION);
			return 0;
		default:
			fprintf(stderr, "authmilter: see authmilter -h\n");
			return EXIT_USAGE;
		}
	}
	if (optind != argc || conf_path == NULL) {
		fprintf(stderr, "authmilter: %s\nusage: authmilter -c FILE [-p SOCKET] "
		    "[-f] [-n] (see authmilter -h)\n", optind != argc ?
		    "unexpected argument" : "-c FILE is required");
		return EXIT_USAGE;
	}
	am_log_setup(1, 0, LOG_MAIL);

	conf = am_conf_load(conf_path, sock_override, NULL, check_only, &pr);
	if (check_only) {
		if (conf != NULL)
			am_conf_check(conf, &pr);
		if (pr.nerr == 0)
			printf("authmilter: %s: configuration OK (%u warning%s)\n",
			    conf_path, pr.nwarn, pr.nwarn == 1 ? "" : "s");
		else
			fprintf(stderr, "authmilter: %s: %u error%s, %u warning%s\n",
			    conf_path, pr.nerr, pr.nerr == 1 ? "" : "s", pr.nwarn,
			    pr.nwarn == 1 ? "" : "s");
		am_conf_unref(conf);
		return pr.nerr ? EXIT_CONFIG : 0;
	}
	if (conf == NULL) {
		fprintf(stderr, "authmilter: %u error%s in %s: not started\n", pr.nerr,
		    pr.nerr == 1 ? "" : "s", conf_path);
		return EXIT_CONFIG;
	}
	if (conf->userid != NULL) {
		if (resolve_user(conf->userid, &uid, &gid) < 0)
			return EXIT_CONFIG;
		have_user = 1;
	}

	signal(SIGPIPE, SIG_IGN);
	if (smfi_setconn(conf->socket) != MI_SUCCESS ||
	    smfi_register(am_filter) != MI_SUCCESS ||
	    smfi_settimeout((int)conf->milter_timeout) != MI_SUCCESS ||
	    smfi_setdbg((int)conf->milter_debug) != MI_SUCCESS) {
		am_log(LOG_ERR, "libmilter refused the setup (Socket %s)",
		    conf->socket);
		return 1;
	}
	smfi_setbacklog(128);
	umask((mode_t)conf->umask);
	open_fds(before);
	if (smfi_opensocket(true) != MI_SUCCESS) {
		am_log(LOG_ERR, "cannot listen on %s", conf->socket);
		return 1;
	}
	tune_listener(before, conf->tcp_nodelay);
	if ((upath = unix_path(conf->socket)) != NULL && have_user &&
	    chown(upath, uid, gid) != 0)
		am_log(LOG_WARNING, "chown %s: %s", upath, strerror(errno));

	if (pipe(ctl_pipe) != 0) {
		am_log(LOG_ERR, "pipe: %s", strerror(errno));
		return 1;
	}
	fcntl(ctl_pipe[1], F_SETFL, O_NONBLOCK);
	if (!foreground && daemonize(&ready_fd) < 0) {
		am_log(LOG_ERR, "cannot become a daemon: %s", strerror(errno));
		return 1;
	}
	if (conf->pidfile != NULL &&
	    write_pidfile(conf->pidfile, uid, gid, have_user) < 0)
		return 1;
	if (have_user && drop_privileges(uid, gid) < 0)
		return 1;
	if (geteuid() == 0)
		am_log(LOG_WARNING, "running as root: set UserID");

	/* every thread but this one blocks the signals; libmilter's own
	 * signal thread then takes SIGTERM/SIGINT, this one SIGHUP */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_hup;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);

	am_conf_install(conf);
	if (pthread_create(&tid, NULL, milter_thread, &result) != 0) {
		am_log(LOG_ERR, "cannot start the milter thread");
		return 1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	conf = am_conf_current();
	am_log_setup(foreground, conf->syslog, conf->syslog_facility);
	am_log(LOG_NOTICE, "authmilter %s started: socket %s, mode %s%s, %zu "
	    "signing key%s, authserv-id %s", PACKAGE_VERSION, conf->socket,
	    conf->mode & AM_MODE_SIGN ? "s" : "", conf->mode & AM_MODE_VERIFY ?
	    "v" : "", conf->keys.n, conf->keys.n == 1 ? "" : "s",
	    conf->authserv_id);
	am_conf_unref(conf);
	if (ready_fd >= 0) {
		cmd = 1;
		if (write(ready_fd, &cmd, 1) != 1) {
			/* the parent is gone; nothing to tell */
		}
		close(ready_fd);
		detach_stdio();
	}

	for (;;) {
		ssize_t n = read(ctl_pipe[0], &cmd, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || cmd == 'Q')
			break;
		if (cmd == 'H')
			reload();
	}
	pthread_join(tid, NULL);
	am_log(LOG_NOTICE, "authmilter stopped");
	conf = am_conf_current();
	if (conf != NULL && conf->pidfile != NULL)
		unlink(conf->pidfile);
	am_conf_unref(conf);
	am_conf_shutdown();
	return result == MI_SUCCESS ? 0 : 1;
}
