#!/bin/sh
# systemd_unit.sh - the README's acceptance under a real systemd: in a
# container with systemd as PID 1 (tests/systemd/Dockerfile), the tree is
# built and installed with ./configure --prefix=/usr --sysconfdir=/etc &&
# make && make install; then `systemctl start ace-orchestrator`, sandboxed as
# the unit says, reaches Docker through the socket's group, creates engines,
# reports them in its STATUS=, reloads on `systemctl reload`, and stops
# leaving its engines running. Ports 34500-34599.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
it_init ship_systemd

sysimg=ace-local/orchestrator-systemd:latest
net=$it_id-net
box=$it_id-systemd
# Keeps the script's exit status for it_cleanup, which reads it from $?.
ship_cleanup() {
	rc=$?
	docker rm -f "$box" >/dev/null 2>&1
	# The lease too (issue 11): a daemon killed here leaves it.
	ids=$(docker ps -aq --filter "label=acestream.orchestrator=$it_id"; docker ps -aq --filter "label=acestream.lease=$it_id")
	[ -n "$ids" ] && docker rm -f $ids >/dev/null 2>&1
	docker network rm "$net" >/dev/null 2>&1
	(exit $rc); it_cleanup
}
trap ship_cleanup EXIT

t0=$(date +%s)
base=$("$top_srcdir/scripts/build-image" --base-only 2>"$it_dir/base.log" | tail -n 1) || {
	cat "$it_dir/base.log"; echo "scripts/build-image --base-only failed" >&2; exit 99; }
if ! DOCKER_BUILDKIT=${DOCKER_BUILDKIT:-0} docker build -q -f "$top_srcdir/tests/systemd/Dockerfile" \
	--build-arg BASE_IMAGE="$base" -t "$sysimg" "$top_srcdir" >"$it_dir/build.log" 2>&1; then
	cat "$it_dir/build.log"; echo "docker build of $sysimg failed" >&2; exit 99
fi
it_log "$sysimg (configure --prefix=/usr --sysconfdir=/etc, make, make install) ready in $(( $(date +%s) - t0 ))s"

docker network create --label "acestream.test=$it_id" "$net" >/dev/null
# systemd as PID 1 in a container: its own /run and /tmp, the cgroup tree,
# and what the unit's sandboxing needs (mount namespaces, its own seccomp
# filters). Every capability the Docker daemon may grant: not --privileged,
# since where dockerd itself runs confined that fails on CAP_SYS_RESOURCE.
docker run -d --name "$box" --label "acestream.test=$it_id" --network "$net" \
	--cap-add ALL --cap-drop SYS_RESOURCE \
	--security-opt seccomp=unconfined --security-opt apparmor=unconfined \
	--cgroupns=host -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
	--tmpfs /run --tmpfs /run/lock --tmpfs /tmp \
	-v /var/run/docker.sock:/run/docker.sock "$sysimg" >"$it_dir/run.log" 2>&1 || {
	cat "$it_dir/run.log"; echo "cannot start a container with systemd as PID 1" >&2; exit 99; }
in_box() { docker exec "$box" "$@"; }
booted() { s=$(in_box systemctl is-system-running 2>/dev/null); [ "$s" = running ] || [ "$s" = degraded ]; }
if wait_for 60 booted; then ok "systemd runs as PID 1 in the test container"
else not_ok "systemd did not boot in the container"; docker logs "$box" 2>&1 | tail -n 20; exit 1; fi

# The administrator's part (README "Install as a service"): the user, the
# docker group of the socket, the config.
in_box groupadd --system --gid "$(stat -c %g /var/run/docker.sock)" docker
check "systemd-sysusers creates the ace-orchestrator user from the installed snippet" \
	sh -c "docker exec $box systemd-sysusers && docker exec $box id ace-orchestrator >/dev/null"
# Engines publish their HTTP port from P..P+4: the first free block (Docker
# gives other tests ephemeral host ports from 32768 up).
P=""
for b in 34500 34520 34540 34560; do
	if ! ss -Htln | awk '{print $4}' | sed 's/.*://' | awk -v lo="$b" -v hi=$((b + 4)) '$1 >= lo && $1 <= hi { f = 1 } END { exit !f }'; then
		P=$b; break
	fi
done
[ -n "$P" ] || { echo "no free block of ports in 34500-34564" >&2; exit 99; }
cat >"$it_dir/orchestrator.yaml" <<EOF
version: 1
instance: $it_id
engine:
  image: ace-test/engine:latest
  name_prefix: $it_id
  stop_timeout: 1s
  health: {interval: 1s, failures: 3}
replicas: {min: 2, max: 4, min_free: 0}
ports: $P-$((P + 4))
network: $net
health: {vpn_check_interval: 1s}
api: {listen: 127.0.0.1:8000}
EOF
docker cp "$it_dir/orchestrator.yaml" "$box:/etc/ace-orchestrator/orchestrator.yaml"
in_box chmod 644 /etc/ace-orchestrator/orchestrator.yaml

if in_box systemctl start ace-orchestrator; then ok "systemctl start ace-orchestrator"
else not_ok "systemctl start ace-orchestrator failed"; in_box journalctl -u ace-orchestrator --no-pager | tail -n 30; fi
prop() { in_box systemctl show -p "$1" --value ace-orchestrator; }
eq "the service is active" "$(prop ActiveState)" active
pid=$(prop MainPID)
eq "it runs as ace-orchestrator, not root" "$(in_box ps -o user= -p "$pid" | tr -d ' ')" ace-orchestrator
status_has() { prop StatusText | grep -q "$1"; }
check "STATUS= reports the engines serving (systemctl status)" wait_for 60 status_has '^2 of 2 engines serving, no VPN$'
eq "Docker sees the 2 engines it created through the socket" \
	"$(docker ps -q --filter "label=acestream.orchestrator=$it_id" --filter status=running | grep -c .)" 2
check "its API answers inside the sandbox" sh -c "docker exec $box curl -fsS http://127.0.0.1:8000/engines | grep -q '\"port\":$((P + 1))'"

# systemctl reload: SIGHUP, RELOADING=1 then READY=1; the daemon stays.
sed -i 's/min: 2, max: 4/min: 3, max: 4/' "$it_dir/orchestrator.yaml"
docker cp "$it_dir/orchestrator.yaml" "$box:/etc/ace-orchestrator/orchestrator.yaml.new"
in_box sh -c 'chmod 644 /etc/ace-orchestrator/orchestrator.yaml.new && mv /etc/ace-orchestrator/orchestrator.yaml.new /etc/ace-orchestrator/orchestrator.yaml'
if in_box systemctl reload ace-orchestrator; then ok "systemctl reload ace-orchestrator"; else not_ok "systemctl reload failed"; fi
check "after the reload: active, same process, 3 engines serving" \
	wait_for 60 cond "[ \"\$(prop ActiveState)\" = active ] && [ \"\$(prop MainPID)\" = $pid ] && status_has '^3 of 3 engines serving'"
check "the journal shows the reload" sh -c "docker exec $box journalctl -u ace-orchestrator --no-pager | grep -q 'SIGHUP: reloading config'"

# An invalid file never starts the daemon (ExecStartPre=validate).
in_box systemctl stop ace-orchestrator
eq "stopped: inactive" "$(prop ActiveState)" inactive
eq "stopping the service leaves the engines running" \
	"$(docker ps -q --filter "label=acestream.orchestrator=$it_id" --filter status=running | grep -c .)" 3
in_box sh -c 'echo "unknown_key: 1" >> /etc/ace-orchestrator/orchestrator.yaml'
if in_box systemctl start ace-orchestrator 2>/dev/null; then not_ok "started with an invalid config"
else ok "an invalid config: ExecStartPre=validate refuses to start"; fi
check "the journal names the bad line" sh -c "docker exec $box journalctl -u ace-orchestrator --no-pager | grep -q \"error: unknown key 'unknown_key'\""

if [ "$it_failed" -ne 0 ]; then
	echo "--- journal ---"; in_box journalctl -u ace-orchestrator --no-pager | tail -n 40
fi
