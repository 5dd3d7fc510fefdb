#!/bin/sh
# start.sh - start tests/dns/testdns.py in the background for shell tests.
#
#   eval "$("$top_srcdir"/tests/dns/start.sh zone1 [zone2 ...] [-- testdns options])"
#   ... queries to 127.0.0.1 port $DNS_PORT ...
#   kill "$DNS_PID"
#
# Prints "DNS_PORT=n DNS_PID=n" on stdout once the server listens; exits 1
# with a message on stderr if it does not start.  The server keeps stderr
# and stops by itself after 900 s (--lifetime) as a safety net.
# Extra testdns.py options (e.g. --addr ::1, --cname-loop chain) go after --.
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/testdns.XXXXXX") || exit 1
n=$#
i=0
opts=
while [ $i -lt $n ]; do
	a=$1
	shift
	i=$((i + 1))
	if [ -z "$opts" ] && [ "$a" = -- ]; then
		opts=1
	elif [ -z "$opts" ]; then
		set -- "$@" --zone "$a"
	else
		set -- "$@" "$a"
	fi
done
"$python" "$here/testdns.py" --port-file "$tmp/port" --lifetime 900 \
    "$@" </dev/null >/dev/null &
pid=$!
i=0
while [ ! -s "$tmp/port" ]; do
	if ! kill -0 "$pid" 2>/dev/null || [ $i -ge 400 ]; then
		echo "start.sh: testdns.py did not start" >&2
		kill "$pid" 2>/dev/null
		rm -rf "$tmp"
		exit 1
	fi
	sleep 0.05
	i=$((i + 1))
done
echo "DNS_PORT=$(cat "$tmp/port") DNS_PID=$pid"
rm -rf "$tmp"
