#!/bin/sh
# Scenario: the Debian packages as an operator gets them. dpkg-buildpackage
# builds turnserver, turnserver-clients and turnrelay-dkms from a copy of
# this tree (nocheck profile: the unit tests run elsewhere); dpkg installs
# the first two in a private mount namespace whose /etc, /usr and /var are
# overlays of the host's on a tmpfs (the host's system never changes; a
# coturn installed there is purged inside first, as the packages conflict
# with it). Checked: the system user turnserver and its store directory,
# the unit (Type=notify, User=, hardening, systemd-analyze verify), the
# logrotate file, the DKMS package's dkms.conf and sources; then the
# unit's ExecStart runs as its User= with its capabilities and
# NoNewPrivileges, in a private network namespace (loopback only), with
# NOTIFY_SOCKET: it says READY=1, turnutils_uclient (installed) relays
# through it to turnutils_peer, SIGTERM gets STOPPING=1 and status 0; purge
# removes the store. Needs root. About a minute, most of it the build.
# Usage: test_debian_pkg.sh BUILD_DIR (unused: the package builds its own)
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

for t in dpkg-buildpackage dh dh_dkms unshare setpriv python3 systemd-analyze logrotate; do
	command -v "$t" >/dev/null 2>&1 && continue
	echo "FAIL: tools ($t missing: scripts/deps test)"
	exit 1
done
# a mount namespace of our own (the overlays), then tl_isolate's network one
if [ -z "$PKG_TEST_MOUNTNS" ]; then
	[ "$(id -u)" = 0 ] || {
		echo "FAIL: root (dpkg and the overlays need it)"
		exit 1
	}
	PKG_TEST_MOUNTNS=1 exec unshare --mount --propagation private "$0" "$@"
fi
tl_isolate "$0" "$@"
tl_init "${1:-build}"
# the overlays go before $tmp can be removed (they die with the namespace anyway)
trap 'tl_cleanup "$tmp/none" $pids; umount -l /etc /usr /var "$tmp/ov" 2>/dev/null; rm -rf "$tmp"' EXIT

# --- build
mkdir "$tmp/pkg" "$tmp/pkg/src"
tar -C "$top" --exclude=./.git --exclude=./build --exclude=./build-san --exclude=./build-fuzz \
	--exclude=./Makefile --exclude=./debian/tmp --exclude=node_modules -cf - . |
	tar -C "$tmp/pkg/src" -xf -
(cd "$tmp/pkg/src" && DEB_BUILD_OPTIONS="nocheck noautodbgsym parallel=$(nproc)" \
	dpkg-buildpackage -b -us -uc -Pnocheck) >"$tmp/build.log" 2>&1
rc=$?
tl_check "dpkg-buildpackage builds the packages" \
	'[ $rc -eq 0 ] && [ -f "$tmp"/pkg/turnserver_*_amd64.deb ] &&
	 [ -f "$tmp"/pkg/turnserver-clients_*.deb ] && [ -f "$tmp"/pkg/turnrelay-dkms_*_all.deb ]' \
	"$tmp/build.log" || exit 1
tl_check "the build used Debian's hardening flags" \
	'grep -q -- "-D_FORTIFY_SOURCE=2 .*-fstack-protector-strong" "$tmp/build.log"' "$tmp/build.log"

# the DKMS package: dkms.conf with the version, every object of Kbuild's
dkms=$tmp/dkms
dpkg-deb -x "$tmp"/pkg/turnrelay-dkms_*_all.deb "$dkms"
dpkg-deb -e "$tmp"/pkg/turnrelay-dkms_*_all.deb "$dkms/DEBIAN"
src=$(ls -d "$dkms"/usr/src/turnrelay-*)
objs=$(sed -n 's/^turnrelay-y := //p' "$top/kernel/Kbuild")
missing=
for o in $objs; do [ -f "$src/${o%.o}.c" ] || missing="$missing $o"; done
tl_check "turnrelay-dkms ships the module's sources and a dkms.conf for them" \
	'[ -z "$missing" ] && [ -f "$src/uapi/turnrelay.h" ] &&
	 grep -q "^PACKAGE_VERSION=\"${src##*turnrelay-}\"" "$src/dkms.conf" &&
	 grep -q "^BUILT_MODULE_NAME\[0\]=\"turnrelay\"" "$src/dkms.conf" &&
	 grep -q "dkms" "$dkms/DEBIAN/postinst"' "$src/dkms.conf"

# --- install on overlays of /etc, /usr and /var (this namespace's alone)
mkdir "$tmp/ov"
mount -t tmpfs tmpfs "$tmp/ov" || {
	tl_fail "tmpfs for the overlays"
	exit 1
}
for d in etc usr var; do
	mkdir "$tmp/ov/$d" "$tmp/ov/$d.work"
	mount -t overlay overlay -o "lowerdir=/$d,upperdir=$tmp/ov/$d,workdir=$tmp/ov/$d.work" "/$d" ||
		{
			tl_fail "overlay on /$d"
			exit 1
		}
done
# no service starts from a maintainer script, no man-db index rebuild
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
echo 'man-db man-db/auto-update boolean false' | debconf-set-selections 2>/dev/null
export DEBIAN_FRONTEND=noninteractive
# a clean install: what a run from source left on the host is not ours
rm -rf /var/lib/turnserver /var/log/turnserver
if dpkg-query -W -f='${Status}' coturn 2>/dev/null | grep -q 'ok installed'; then
	dpkg --purge coturn >"$tmp/purge-coturn.log" 2>&1
	tl_setup "purge coturn in the overlay" '[ $? -eq 0 ]' "$tmp/purge-coturn.log"
fi
dpkg -i "$tmp"/pkg/turnserver_*_amd64.deb "$tmp"/pkg/turnserver-clients_*_amd64.deb \
	>"$tmp/install.log" 2>&1
rc=$?
tl_check "dpkg installs turnserver and turnserver-clients" \
	'[ $rc -eq 0 ] && dpkg-query -W -f="\${Status}" turnserver | grep -q "ok installed" &&
	 [ -x /usr/bin/turnserver ] && [ -x /usr/bin/turnutils_uclient ]' "$tmp/install.log"

uid=$(id -u turnserver 2>/dev/null)
tl_check "postinst made the system user turnserver, owner of /var/lib/turnserver" \
	'[ -n "$uid" ] && [ "$uid" -lt 1000 ] &&
	 [ "$(stat -c "%U %G %a" /var/lib/turnserver)" = "turnserver turnserver 750" ] &&
	 [ "$(stat -c %U /var/log/turnserver)" = turnserver ]'

unit=/lib/systemd/system/turnserver.service
key() { sed -n "s/^$1=//p" "$unit"; }
systemd-analyze verify "$unit" >"$tmp/verify.log" 2>&1
rc=$?
tl_check "the unit is Type=notify, hardened, and systemd-analyze verify accepts it" \
	'[ $rc -eq 0 ] && [ "$(key Type)" = notify ] && [ "$(key User)" = turnserver ] &&
	 [ "$(key NoNewPrivileges)" = yes ] && [ "$(key ProtectSystem)" = strict ] &&
	 [ "$(key StateDirectory)" = turnserver ] &&
	 key AmbientCapabilities | grep -q CAP_NET_BIND_SERVICE &&
	 key AmbientCapabilities | grep -q CAP_NET_ADMIN &&
	 [ -L /etc/systemd/system/multi-user.target.wants/turnserver.service ]' "$tmp/verify.log"

logrotate --debug /etc/logrotate.d/turnserver >"$tmp/logrotate.log" 2>&1
rc=$?
tl_check "logrotate accepts /etc/logrotate.d/turnserver" \
	'[ $rc -eq 0 ] && ! grep -qi "error" "$tmp/logrotate.log"' "$tmp/logrotate.log"

# --- the unit's command line, as systemd runs it (User=, capabilities,
# NoNewPrivileges, NOTIFY_SOCKET); the operator's two steps first: a user,
# and loopback peers allowed for the test's peer
caps=$(key AmbientCapabilities | tr 'A-Z' 'a-z' | sed 's/cap_/+/g; s/ /,/g')
as_unit="setpriv --reuid=turnserver --regid=turnserver --init-groups --inh-caps=$caps
	--ambient-caps=$caps --no-new-privs --"
# shellcheck disable=SC2086 # words
(cd / && exec $as_unit /usr/bin/turnadmin -a -u alice -r turnserver -p secret) \
	>"$tmp/admin.log" 2>&1
tl_setup "turnadmin -a as the user turnserver" '[ $? -eq 0 ]' "$tmp/admin.log"
echo "allow-loopback-peers" >>/etc/turnserver.conf
notify=turnserver-pkg-test-$$
python3 "$top/tests/integration/notify_listen.py" "$notify" "$tmp/notify" 60 &
listener=$!
pids="$pids $listener"
tl_wait_log "$tmp/notify" listening "$listener"
exec_start=$(key ExecStart)
# shellcheck disable=SC2086 # the unit's command line, split as systemd does
(cd / && NOTIFY_SOCKET=@$notify exec $as_unit $exec_start) >"$tmp/server.out" 2>"$tmp/server.err" &
srv_pid=$!
pids="$pids $srv_pid"
tl_check "the unit's ExecStart says READY=1 over NOTIFY_SOCKET" \
	'tl_wait_log "$tmp/notify" "READY=1" "$srv_pid"' "$tmp/server.err"
tl_check "it runs as turnserver with the unit's capabilities and no new privileges" \
	'[ "$(awk "/^Uid:/ { print \$2 }" /proc/$srv_pid/status)" = "$uid" ] &&
	 grep -q "^NoNewPrivs:[[:space:]]*1" /proc/$srv_pid/status &&
	 [ "$(awk "/^CapAmb:/ { print \$2 }" /proc/$srv_pid/status)" = 0000000000001400 ]'

peer=$(tl_free_port_block 1)
/usr/bin/turnutils_peer -p "$peer" -L 127.0.0.1 >/dev/null 2>&1 &
pids="$pids $!"
tl_wait_udp_port "$peer"
tl_run /usr/bin/turnutils_uclient -u alice -w secret -e 127.0.0.1 -r "$peer" -m 2 -n 10 127.0.0.1
tl_check "installed turnutils_uclient relays through the installed server" '[ $rc -eq 0 ]' \
	"$tmp/out"

tl_stop "$srv_pid"
rc=$?
tl_check "SIGTERM: STOPPING=1 and exit status 0" \
	'[ $rc -eq 0 ] && tl_wait_log "$tmp/notify" "STOPPING=1"' "$tmp/server.err"

dpkg --purge turnserver-clients turnserver >"$tmp/purge.log" 2>&1
rc=$?
tl_check "purge removes the packages and the store" \
	'[ $rc -eq 0 ] && [ ! -e /var/lib/turnserver ] && [ ! -e /usr/bin/turnserver ]' \
	"$tmp/purge.log"
exit $failed
