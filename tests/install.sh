#!/bin/sh
# install.sh - `make install DESTDIR=...` installs exactly the expected files
# (binary, man pages, schema, docs and examples, systemd unit, sysusers.d
# snippet, the config only when none exists); the installed unit passes
# `systemd-analyze verify` and `security` in a root directory (no PID 1
# needed); `make uninstall` removes everything but an edited config.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"

passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
not_ok() { failed=$((failed + 1)); echo "FAIL: $*"; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ace-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/root

# A make of its own: not the jobserver of the `make check` that runs us.
submake() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$top_builddir" "$@"; }

eval "$(submake -s ship-print-dirs)" || { echo "FAIL: make ship-print-dirs"; exit 1; }
conf=$sysconfdir/ace-orchestrator/orchestrator.yaml

# ---- the exact list of installed files --------------------------------------
expected() {
	{
		echo "$bindir/ace-orchestrator"
		echo "$mandir/man8/ace-orchestrator.8"
		echo "$mandir/man5/orchestrator.yaml.5"
		echo "$datadir/ace-orchestrator/schemas/orchestrator.schema.json"
		for f in README.md ChangeLog COPYING orchestrator.yaml.example configuration.md proxy.md \
			hosts.md scaling.md \
			examples/single-vpn.yaml examples/redundant.yaml examples/three-vpns.yaml \
			examples/no-vpn.yaml examples/demo.yaml examples/two-hosts.yaml \
			examples/two-hosts-tls/README.md examples/two-hosts-tls/ca.pem \
			examples/two-hosts-tls/cert.pem examples/two-hosts-tls/key.pem \
			examples/compose/README.md examples/compose/env.example \
			examples/compose/single-vpn.yml examples/compose/redundant.yml \
			examples/compose/config/single-vpn.yaml examples/compose/config/redundant.yaml \
			examples/compose/gluetun/config.toml; do
			echo "$docdir/$f"
		done
		echo "$conf"
		[ -n "$systemdsystemunitdir" ] && echo "$systemdsystemunitdir/ace-orchestrator.service"
		[ -n "$sysusersdir" ] && echo "$sysusersdir/ace-orchestrator.conf"
	} | sort
}
installed() { (cd "$dest" && find . \( -type f -o -type l \) | sed 's|^\.||' | sort); }

if submake install DESTDIR="$dest" >"$tmp/install.log" 2>&1; then
	ok "make install DESTDIR=... succeeds"
else
	not_ok "make install DESTDIR=... failed:"; cat "$tmp/install.log"
fi
expected >"$tmp/expected"
installed >"$tmp/installed"
if diff -u "$tmp/expected" "$tmp/installed"; then
	ok "exactly the $(wc -l <"$tmp/expected") expected files are installed"
else
	not_ok "installed files differ from the expected list (diff above: - expected, + installed)"
fi

# ---- the installed pieces fit together --------------------------------------
ace=$dest$bindir/ace-orchestrator
if "$ace" validate -c "$dest$conf" >"$tmp/validate.out" 2>&1; then
	ok "the installed config (the example) is valid for the installed binary"
else
	not_ok "installed config does not validate:"; cat "$tmp/validate.out"
fi
if grep -q "^# yaml-language-server: \$schema=$datadir/ace-orchestrator/schemas/orchestrator.schema.json\$" "$dest$conf"; then
	ok "the installed config's schema comment points at the installed schema"
else
	not_ok "schema comment of the installed config: $(head -1 "$dest$conf")"
fi
if "$ace" --help | grep -q "default $conf;"; then
	ok "the binary's default config path is the installed one ($conf)"
else
	not_ok "the binary's default config path is not $conf"
fi

if [ -n "$systemdsystemunitdir" ]; then
	unit=$dest$systemdsystemunitdir/ace-orchestrator.service
	for line in "Type=notify" \
		"ExecStartPre=$bindir/ace-orchestrator validate -c $conf" \
		"ExecStart=$bindir/ace-orchestrator run -c $conf" \
		"ExecReload=/bin/kill -HUP \$MAINPID" \
		"User=ace-orchestrator" "SupplementaryGroups=docker" \
		"ProtectSystem=strict" "PrivateTmp=yes" "NoNewPrivileges=yes" \
		"RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6"; do
		if grep -qxF "$line" "$unit"; then ok "unit has $line"; else not_ok "unit lacks $line"; fi
	done
fi

# ---- a second install keeps an existing (edited) config ---------------------
echo "# edited by the operator" >>"$dest$conf"
cp "$dest$conf" "$tmp/edited"
submake install DESTDIR="$dest" >"$tmp/install2.log" 2>&1 || { not_ok "second make install failed"; cat "$tmp/install2.log"; }
if cmp -s "$tmp/edited" "$dest$conf" && grep -q "keeping the existing" "$tmp/install2.log"; then
	ok "make install over an existing config keeps it and says so"
else
	not_ok "make install replaced the existing config"
fi

# ---- systemd-analyze on the installed unit, without PID 1 -------------------
# The DESTDIR tree becomes a root directory: add what verify resolves in it
# (systemd's own units for the default dependencies, /bin/kill of
# ExecReload=); MANPATH lets it check that Documentation= man pages exist.
if [ -n "$systemdsystemunitdir" ]; then
	if ! command -v systemd-analyze >/dev/null 2>&1; then
		not_ok "systemd-analyze not installed (apt-get install systemd)"
	else
		cp -a "$dest" "$tmp/sysroot"
		r=$tmp/sysroot
		sys_units=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
		mkdir -p "$r/usr/lib/systemd/system" "$r/usr/bin"
		cp -a "$sys_units"/. "$r/usr/lib/systemd/system/"
		# Our own unit wins over a copy of an installed one.
		cp "$dest$systemdsystemunitdir/ace-orchestrator.service" "$r/usr/lib/systemd/system/" 2>/dev/null || :
		for k in /usr/bin/kill /bin/kill; do [ -x "$k" ] && { cp "$k" "$r/usr/bin/kill"; break; }; done
		[ -e "$r/bin" ] || ln -s usr/bin "$r/bin"
		if MANPATH=$dest$mandir systemd-analyze verify --root="$r" \
			"$systemdsystemunitdir/ace-orchestrator.service" >"$tmp/verify.out" 2>&1 &&
			[ ! -s "$tmp/verify.out" ]; then
			ok "systemd-analyze verify: no error, no warning (Documentation= pages found)"
		else
			not_ok "systemd-analyze verify:"; cat "$tmp/verify.out"
		fi
		# Exposure on systemd's 0-10 scale; --threshold is in tenths.
		systemd-analyze security --offline=yes --root="$r" \
			"$systemdsystemunitdir/ace-orchestrator.service" >"$tmp/security.out" 2>&1
		score=$(sed -n 's/.*Overall exposure level for ace-orchestrator.service: \([0-9.]*\).*/\1/p' "$tmp/security.out")
		if systemd-analyze security --offline=yes --threshold=20 --root="$r" \
			"$systemdsystemunitdir/ace-orchestrator.service" >/dev/null 2>&1; then
			ok "systemd-analyze security: exposure $score (at most 2.0)"
		else
			not_ok "systemd-analyze security: exposure $score above 2.0"; tail -n 30 "$tmp/security.out"
		fi
	fi
fi

# ---- uninstall: everything but the edited config goes -----------------------
submake uninstall DESTDIR="$dest" >"$tmp/uninstall.log" 2>&1 || { not_ok "make uninstall failed"; cat "$tmp/uninstall.log"; }
installed >"$tmp/left"
if [ "$(cat "$tmp/left")" = "$conf" ]; then
	ok "make uninstall removes every file but the edited config"
else
	not_ok "after make uninstall: $(tr '\n' ' ' <"$tmp/left")"
fi
rm -f "$dest$conf"
submake install DESTDIR="$dest" >/dev/null 2>&1 && submake uninstall DESTDIR="$dest" >/dev/null 2>&1
if [ -z "$(installed)" ]; then
	ok "install then uninstall of an unedited config leaves no file"
else
	not_ok "left after install + uninstall: $(installed | tr '\n' ' ')"
fi

echo "install: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
