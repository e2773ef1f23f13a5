# dockerd2.sh - a private Docker daemon for one scenario: its own data root,
# exec root, socket, containerd namespace and bridge, so that a test can stop
# and start it (or treat it as a second host) without touching the Docker
# every other test uses. Sourced after lib.sh; needs root (ip, dockerd).
#
#   d2_start NAME OCTET [TLSPORT]
#                         start daemon NAME on bridge 172.30.OCTET.1/24;
#                         sets d2_sock (the socket path) and d2_host
#                         (unix://...); loads the fixture images into it.
#                         With TLSPORT it also listens on tcp://127.0.0.1:TLSPORT
#                         with --tlsverify, certificates made by d2_certs in
#                         its directory: sets d2_tcp and d2_tls (a directory
#                         with ca.pem, cert.pem and key.pem for clients)
#   d2_certs DIR CN       a CA, a server certificate for 127.0.0.1 and a
#                         client certificate (cert.pem, key.pem) in DIR, made
#                         with openssl as Docker's "Protect the Docker daemon
#                         socket" documents it; CN names the CA
#   d2_stop NAME          stop it gracefully (containers stop, as at reboot)
#   d2_restart NAME       stop, then start it again with the same state
#   d2_docker NAME ARGS   the docker CLI against it
# Everything is removed by it_cleanup through d2_cleanup_all.

d2_names=""

d2_dir() { echo "${it_dir:?}/d2-$1"; }

d2_certs() {
	cdir=$1 cn=$2
	mkdir -p "$cdir" && (
		cd "$cdir" || exit 1
		# The CA (Docker's docs add a passphrase and 4096 bits; a test's
		# throwaway CA needs neither).
		openssl genrsa -out ca-key.pem 2048 &&
		openssl req -new -x509 -days 2 -key ca-key.pem -sha256 -subj "/CN=$cn" -out ca.pem &&
		# The daemon's certificate, for the address clients dial.
		openssl genrsa -out server-key.pem 2048 &&
		openssl req -subj "/CN=127.0.0.1" -sha256 -new -key server-key.pem -out server.csr &&
		printf 'subjectAltName = IP:127.0.0.1\nextendedKeyUsage = serverAuth\n' >extfile.cnf &&
		openssl x509 -req -days 2 -sha256 -in server.csr -CA ca.pem -CAkey ca-key.pem \
			-CAcreateserial -out server-cert.pem -extfile extfile.cnf &&
		# The client's.
		openssl genrsa -out key.pem 2048 &&
		openssl req -subj '/CN=client' -new -key key.pem -out client.csr &&
		printf 'extendedKeyUsage = clientAuth\n' >extfile-client.cnf &&
		openssl x509 -req -days 2 -sha256 -in client.csr -CA ca.pem -CAkey ca-key.pem \
			-CAcreateserial -out cert.pem -extfile extfile-client.cnf &&
		rm -f server.csr client.csr extfile.cnf extfile-client.cnf ca.srl &&
		chmod 0400 ca-key.pem key.pem server-key.pem
	) >/dev/null 2>&1 || { echo "openssl could not make certificates in $cdir"; return 1; }
}

d2_launch() {
	name=$1 dir=$(d2_dir "$1")
	br=$(cat "$dir/bridge")
	tls=""
	if [ -f "$dir/tlsport" ]; then
		t=$dir/tls
		tls="-H tcp://127.0.0.1:$(cat "$dir/tlsport") --tlsverify --tlscacert=$t/ca.pem"
		tls="$tls --tlscert=$t/server-cert.pem --tlskey=$t/server-key.pem"
	fi
	# shellcheck disable=SC2086 # $tls is a list of flags
	dockerd --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/pid" \
		-H "unix://$dir/docker.sock" $tls --bridge "$br" --iptables=false --ip-masq=false \
		--containerd-namespace "ace-$name" --containerd-plugins-namespace "ace-$name-p" \
		>>"$dir/log" 2>&1 &
	echo $! >"$dir/dpid"
	wait_for 60 docker -H "unix://$dir/docker.sock" info || {
		echo "private dockerd $name did not come up:"; tail -n 20 "$dir/log"; return 1; }
	if [ -n "$tls" ]; then
		wait_for 30 docker --tlsverify --tlscacert "$t/ca.pem" --tlscert "$t/cert.pem" \
			--tlskey "$t/key.pem" -H "tcp://127.0.0.1:$(cat "$dir/tlsport")" info || {
			echo "private dockerd $name: no TLS listener:"; tail -n 20 "$dir/log"; return 1; }
	fi
}

d2_start() {
	name=$1 octet=$2 tlsport=${3:-} dir=$(d2_dir "$1")
	mkdir -p "$dir"
	if [ -n "$tlsport" ]; then
		d2_certs "$dir/tls" "ace test CA $name" || return 1
		echo "$tlsport" >"$dir/tlsport"
		d2_tcp=tcp://127.0.0.1:$tlsport
		d2_tls=$dir/tls
	fi
	br="acebr$octet"
	ip link add "$br" type bridge 2>/dev/null || true
	ip addr replace "172.30.$octet.1/24" dev "$br"
	ip link set "$br" up
	echo "$br" >"$dir/bridge"
	d2_names="$d2_names $name"
	d2_launch "$name" || return 1
	d2_sock=$dir/docker.sock
	d2_host=unix://$d2_sock
	docker save ace-test/gluetun:latest ace-test/engine:latest | docker -H "$d2_host" load >/dev/null
}

d2_docker() { name=$1; shift; docker -H "unix://$(d2_dir "$name")/docker.sock" "$@"; }

d2_stop() {
	dir=$(d2_dir "$1")
	pid=$(cat "$dir/dpid" 2>/dev/null) || return 0
	kill -TERM "$pid" 2>/dev/null
	# dockerd stops its containers (no live-restore) and its containerd.
	for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
	kill -9 "$pid" 2>/dev/null
	rm -f "$dir/dpid"
}

d2_restart() { d2_stop "$1" && d2_launch "$1"; }

d2_cleanup_all() {
	for n in $d2_names; do
		dir=$(d2_dir "$n")
		if [ -f "$dir/dpid" ]; then
			ids=$(d2_docker "$n" ps -aq 2>/dev/null)
			[ -n "$ids" ] && d2_docker "$n" rm -f $ids >/dev/null 2>&1
			d2_stop "$n"
		fi
		br=$(cat "$dir/bridge" 2>/dev/null) && ip link del "$br" 2>/dev/null
		# Leftover shims of a daemon killed hard hold mounts: unmount.
		grep -o " $dir/[^ ]*" /proc/mounts 2>/dev/null | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
		rm -rf "$dir" 2>/dev/null
	done
	d2_names=""
}
