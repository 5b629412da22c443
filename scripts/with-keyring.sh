#!/usr/bin/env bash
# Runs a command where an OS secret store answers: Partner Desk keeps its cache key and tokens in
# the Secret Service (GNOME Keyring, KWallet), and refuses to start without one.
#
#   scripts/with-keyring.sh CMD...             the desktop session's store when it has one;
#                                              otherwise GNOME Keyring in a D-Bus session of its
#                                              own, keeping its keyrings where a desktop would
#                                              (~/.local/share/keyrings), so they outlive the run
#   scripts/with-keyring.sh --isolated CMD...  always a D-Bus session and GNOME Keyring of their
#                                              own, their keyrings in a new $KEYRING_DIR (the
#                                              tests: nothing of theirs reaches the user's store)
#
# The keyring a session of its own creates is unlocked with $KEYRING_PASSWORD (the tests' and a
# headless machine's; a desktop unlocks the user's with the login password).
set -euo pipefail

isolated=false
if [ "${1:-}" = "--isolated" ]; then
	isolated=true
	shift
fi

has_secret_service() {
	[ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] || return 1
	local names
	names=$(dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
		org.freedesktop.DBus.ListActivatableNames 2>/dev/null; \
		dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
		org.freedesktop.DBus.ListNames 2>/dev/null) || return 1
	grep -q '"org.freedesktop.secrets"' <<<"$names"
}

if [ "${WITH_KEYRING_INSIDE:-}" = 1 ]; then
	# Inside the new D-Bus session: start GNOME Keyring (creating and unlocking its login
	# keyring) as a child of this script, its messages kept, then the command. GNOME Keyring
	# crashes now and then under a burst of clients (an upstream race: "g_variant_new: expected
	# GVariant of type 'v'", gnome-keyring work items 190/196/199); a keeper starts it again,
	# unlocked, and the command goes on (Partner Desk asks a dropped call again). The session's
	# bus starts nothing on demand (scripts/dbus-session.conf), so no locked daemon can take the
	# name meanwhile. Each restart is reported at the end, with the messages.
	unset WITH_KEYRING_INSIDE
	out=$(mktemp -t partner-desk-keyring-env.XXXXXX)
	log=$(mktemp -t partner-desk-keyring-log.XXXXXX)
	pidfile=$(mktemp -t partner-desk-keyring-pid.XXXXXX)
	keeper() {
		while :; do
			printf '%s' "${KEYRING_PASSWORD:-partner-desk}" |
				gnome-keyring-daemon --foreground --unlock --components=secrets \
					>>"$out" 2>>"$log" &
			echo $! >"$pidfile"
			left=0
			wait $! || left=$?
			echo "with-keyring: GNOME Keyring left with status $left; started again" >>"$log"
			sleep 0.2
		done
	}
	keeper &
	keeper_pid=$!
	# It prints its control directory once it is ready, and takes its bus name a moment after.
	for _ in $(seq 200); do
		grep -q '^GNOME_KEYRING_CONTROL=' "$out" &&
			dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
				org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null |
			grep -q "boolean true" && break
		sleep 0.05
	done
	eval "export $(grep -m1 '^GNOME_KEYRING_CONTROL=' "$out")"
	set +e
	"$@"
	status=$?
	kill "$keeper_pid" 2>/dev/null
	wait "$keeper_pid" 2>/dev/null
	kill "$(cat "$pidfile")" 2>/dev/null
	if grep -q "started again" "$log"; then
		echo "with-keyring: GNOME Keyring left during the command and was started again;" \
			"its messages:" >&2
		cat "$log" >&2
	fi
	rm -f "$out" "$log" "$pidfile"
	exit $status
fi

if ! $isolated && has_secret_service; then
	exec "$@"
fi

session_conf="$(cd "$(dirname "$0")" && pwd)/dbus-session.conf"
if ! $isolated; then
	WITH_KEYRING_INSIDE=1 exec dbus-run-session --config-file="$session_conf" -- "$0" "$@"
fi
# A keyring folder made here goes when the command ends; one given in $KEYRING_DIR stays (a test
# starting the keyring again, as after a reboot, finds it there).
made=""
if [ -z "${KEYRING_DIR:-}" ]; then
	KEYRING_DIR=$(mktemp -d -t partner-desk-keyring.XXXXXX)
	made=$KEYRING_DIR
fi
export KEYRING_DIR XDG_DATA_HOME="$KEYRING_DIR"
set +e
WITH_KEYRING_INSIDE=1 dbus-run-session --config-file="$session_conf" -- "$0" "$@"
status=$?
[ -z "$made" ] || rm -rf "$made"
exit $status
