#!/usr/bin/env python3
# fake_docker.py - the stand-ins of bench/run-core-bench.sh: a fake Docker
# API with a converged fleet of any size, and a request-counting proxy.
"""Two modes, each running until SIGTERM/SIGINT:

fleet: a fake Docker Engine API (API version 1.41, what Docker 20.10
  answers; the daemon asks /version and then prefixes /v1.41) on a unix
  socket, serving what the daemon reads of a converged fleet, and nothing it
  does not need:
    GET  /_ping, GET /version
    GET  /containers/json?all=1&filters={"label":["k=v"]}  (label filters
         ANDed; an entry has Id, Names, Image, State, Status, Created,
         Labels, HostConfig.NetworkMode)
    GET  /containers/{id or name}/json  (State with Health for the VPNs,
         Config.Env/Labels/Cmd, HostConfig.NetworkMode/RestartPolicy)
    GET  /events  (200, chunked, then idle: no event ever comes)
    POST /containers/create, POST /containers/{id}/rename?name=,
    DELETE /containers/{id}  for the daemon's lease only (containers
         labelled acestream.lease: src/lease_docker.c): 201 {"Id","Warnings"},
         204, 404, 409 on a name in use, as documented
  The engines are the create actions of a `plan --json` taken against this
  same server while it served no engine (--plan): same names, labels
  (acestream.config_hash included), network modes and env, so the daemon
  finds nothing to do. Any other write (create, start, stop, ...) answers
  500 and is counted in "writes": non-zero means the fleet was not
  converged. Facts from the Docker Engine API reference, v1.41
  (https://docs.docker.com/engine/api/v1.41/: ContainerList and its
  `filters` parameter, ContainerInspect, ContainerCreate, ContainerRename,
  ContainerDelete, SystemEvents, SystemVersion, SystemPing).
  It also runs each VPN's Gluetun control server, answering GET
  /v1/portforward and /v1/openvpn/portforwarded (no forwarded port: 0) and
  /v1/publicip/ip, the routes qdm12/gluetun-wiki setup/advanced/
  control-server.md documents (see tests/fixtures/fake-gluetun.c for the
  releases), and, for every engine, a listener on ENGINE_HOST:http_port
  answering the daemon's probe (engine.health_path, by default
  /server/api?api_version=3&method=get_status) 200 like an idle engine,
  one request per connection.

proxy: listens on a unix socket and forwards every byte to the real Docker
  socket, counting the requests it sees go by (HTTP/1.1, keep-alive;
  request bodies are skipped by Content-Length). Counts the old daemon too,
  which has no orch_docker_requests_total metric.

Both write their counters as JSON to --stats on SIGUSR1 and on exit.
"""
import argparse
import asyncio
import hashlib
import json
import os
import resource
import signal
import sys
import time
import urllib.parse

STATS = {"requests": 0, "writes": 0, "lease": 0, "probes": 0, "ctrl": 0, "by_route": {}}


def dump_stats(path):
    if path:
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(STATS, f)
        os.replace(tmp, path)


def count(route):
    STATS["by_route"][route] = STATS["by_route"].get(route, 0) + 1


def fake_id(name):
    return hashlib.sha256(name.encode()).hexdigest()


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%09dZ" % int((t % 1) * 1e9)


async def read_request(reader):
    """One HTTP/1.1 request: (method, target, headers, body) or None at EOF."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) < 2:
        return None
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    body = b""
    n = int(headers.get("content-length", "0") or 0)
    if n:
        body = await reader.readexactly(n)
    return parts[0], parts[1], headers, body


def response(status, body, ctype="application/json", close=False):
    reason = {200: "OK", 201: "Created", 204: "No Content", 404: "Not Found", 409: "Conflict",
              500: "Internal Server Error"}.get(status, "X")
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    head = "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nApi-Version: 1.41\r\n" % (
        status, reason, ctype, len(data))
    head += "Connection: close\r\n\r\n" if close else "\r\n"
    return head.encode() + data


class Fleet:
    def __init__(self, args):
        self.args = args
        self.t0 = time.time() - 3600  # the VPNs started an hour ago
        self.vpns = {}    # name -> inspect JSON
        self.engines = {}  # id -> (list entry, inspect JSON)
        self.by_name = {}
        for v in args.vpn:
            name, ctrl = v.split("=", 1)
            self.vpns[name] = {
                "Id": fake_id(name), "Name": "/" + name,
                "State": {"Status": "running", "Running": True, "Restarting": False,
                          "ExitCode": 0, "StartedAt": rfc3339(self.t0),
                          "FinishedAt": "0001-01-01T00:00:00Z",
                          "Health": {"Status": "healthy", "FailingStreak": 0}},
                "Config": {"Image": "qmcgaw/gluetun:latest", "Labels": {}},
                "HostConfig": {"NetworkMode": "default"},
                "ctrl": ctrl,
            }
        self.ports = []
        if args.plan:
            with open(args.plan) as f:
                plan = json.load(f)
            started = self.t0 + 60
            for a in plan.get("actions", []):
                spec = a.get("spec")
                if a.get("action") != "create" or not spec:
                    continue
                cid = fake_id(spec["name"])
                env = ["%s=%s" % kv for kv in spec.get("env", {}).items()]
                listed = {
                    "Id": cid, "Names": ["/" + spec["name"]], "Image": spec["image"],
                    "State": "running", "Status": "Up About an hour",
                    "Created": int(started), "Labels": spec["labels"],
                    "HostConfig": {"NetworkMode": spec["network_mode"]},
                }
                inspect = {
                    "Id": cid, "Name": "/" + spec["name"],
                    "State": {"Status": "running", "Running": True, "Restarting": False,
                              "ExitCode": 0, "StartedAt": rfc3339(started),
                              "FinishedAt": "0001-01-01T00:00:00Z"},
                    "Config": {"Image": spec["image"], "Labels": spec["labels"], "Env": env,
                               "Cmd": spec.get("cmd") or None},
                    "HostConfig": {"NetworkMode": spec["network_mode"],
                                   "RestartPolicy": {"Name": "no"}},
                }
                self.engines[cid] = (listed, json.dumps(inspect).encode())
                self.by_name[spec["name"]] = cid
                self.ports.append(int(spec["http_port"]))
        # The daemon's lease (src/lease_docker.c): created, never started
        # containers labelled acestream.lease, renamed at every renewal.
        # Those writes succeed and are counted apart ("lease").
        self.lease = {}  # id -> list entry

    @staticmethod
    def label_filters(url):
        """The label filters of a list request: [(key, value or None)]."""
        q = urllib.parse.parse_qs(url.query)
        try:
            f = json.loads(q.get("filters", ["{}"])[0])
        except ValueError:
            return []
        out = []
        # Docker accepts {"label": ["k=v"]} and the older {"label": {"k=v": true}}.
        for item in f.get("label", []):
            k, eq, v = item.partition("=")
            out.append((k, v if eq else None))
        return out

    def list_containers(self, url):
        want = self.label_filters(url)

        def match(c):
            labels = c.get("Labels") or {}
            return all(k in labels and (v is None or labels[k] == v) for k, v in want)
        return json.dumps([c for c in [e[0] for e in self.engines.values()] +
                           list(self.lease.values()) if match(c)]).encode()

    def lease_write(self, method, path, query, body):
        """Create, rename and remove of the lease's containers; None when
        the request is not one of those."""
        q = urllib.parse.parse_qs(query)
        if method == "POST" and path == "/containers/create":
            try:
                spec = json.loads(body or b"{}")
            except ValueError:
                return None
            labels = spec.get("Labels") or {}
            if "acestream.lease" not in labels:
                return None
            name = q.get("name", [""])[0]
            if any(c["Names"] == ["/" + name] for c in self.lease.values()):
                return response(409, {"message": "Conflict. The container name \"/%s\" "
                                                 "is already in use" % name})
            cid = fake_id("lease/%s/%d" % (name, time.monotonic_ns()))
            self.lease[cid] = {"Id": cid, "Names": ["/" + name], "Image": spec.get("Image", ""),
                               "State": "created", "Status": "Created",
                               "Created": int(time.time()), "Labels": labels,
                               "HostConfig": {"NetworkMode": "none"}}
            return response(201, {"Id": cid, "Warnings": []})
        parts = path.split("/")  # "", "containers", ID [, "rename"]
        if len(parts) < 3 or parts[1] != "containers":
            return None
        cid = next((i for i in self.lease if i == parts[2] or i.startswith(parts[2])), None)
        if cid is None:
            return None
        if method == "POST" and len(parts) == 4 and parts[3] == "rename":
            name = q.get("name", [""])[0]
            if any(c["Names"] == ["/" + name] for i, c in self.lease.items() if i != cid):
                return response(409, {"message": "name in use"})
            self.lease[cid]["Names"] = ["/" + name]
            return response(204, b"")
        if method == "DELETE" and len(parts) == 3:
            del self.lease[cid]
            return response(204, b"")
        return None

    def docker(self, method, target, body=b""):
        url = urllib.parse.urlsplit(target)
        path = url.path
        if path.startswith("/v1.") and "/" in path[1:]:
            path = path[path.index("/", 1):]  # drop the /v1.NN prefix
        if method != "GET":
            answer = self.lease_write(method, path, url.query, body)
            if answer is not None:
                count("lease " + method)
                STATS["lease"] += 1
                return answer
        if method == "GET" and path in ("/_ping",):
            count("ping")
            return response(200, b"OK", "text/plain")
        if method == "GET" and path == "/version":
            count("version")
            return response(200, {"Version": "20.10.24", "ApiVersion": "1.41",
                                  "MinAPIVersion": "1.12", "Os": "linux", "Arch": "amd64"})
        if method == "GET" and path == "/containers/json":
            count("list")
            return response(200, self.list_containers(url))
        if method == "GET" and path.startswith("/containers/") and path.endswith("/json"):
            key = urllib.parse.unquote(path[len("/containers/"):-len("/json")])
            if key in self.vpns:
                count("inspect_vpn")
                v = dict(self.vpns[key])
                v.pop("ctrl")
                return response(200, v)
            cid = self.by_name.get(key, key)
            if cid not in self.engines:
                cid = next((i for i in self.engines if i.startswith(key)), None) if len(key) >= 12 else None
            if cid:
                count("inspect_engine")
                return response(200, self.engines[cid][1])
            count("inspect_missing")
            return response(404, {"message": "No such container: " + key})
        if method != "GET":
            count("write")
            STATS["writes"] += 1
            return response(500, {"message": "fake_docker: the fleet is converged; no write expected"})
        count("other")
        return response(404, {"message": "page not found"})

    async def serve_docker(self, reader, writer):
        try:
            while True:
                req = await read_request(reader)
                if req is None:
                    break
                method, target, _, body = req
                STATS["requests"] += 1
                if target.split("?")[0].endswith("/events"):
                    count("events")
                    # An idle stream: headers, then nothing until the end.
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 b"Transfer-Encoding: chunked\r\n\r\n")
                    await writer.drain()
                    await reader.read()  # until the client hangs up
                    break
                writer.write(self.docker(method, target, body))
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass  # the client went away, or we are shutting down
        finally:
            writer.close()

    async def serve_ctrl(self, reader, writer):
        req = await read_request(reader)
        if req:
            STATS["ctrl"] += 1
            path = req[1].split("?")[0]
            if path == "/v1/portforward":
                body = {"port": 0, "ports": []}
            elif path == "/v1/openvpn/portforwarded":
                body = {"port": 0}
            elif path == "/v1/publicip/ip":
                body = {"public_ip": "203.0.113.10", "region": "Bench", "country": "Benchland"}
            else:
                writer.write(response(404, {"error": "not found"}, close=True))
                body = None
            if body is not None:
                writer.write(response(200, body, close=True))
            await writer.drain()
        writer.close()

    async def serve_engine(self, reader, writer):
        req = await read_request(reader)
        if req:
            STATS["probes"] += 1
            port = writer.get_extra_info("sockname")[1]
            writer.write(response(200, {"result": {"status": "idle", "http_port": port},
                                        "error": None}, close=True))
            try:
                await writer.drain()
            except ConnectionError:
                pass
        writer.close()

    async def start(self):
        servers = [await asyncio.start_unix_server(self.serve_docker, path=self.args.socket)]
        for v in self.vpns.values():
            host, port = v["ctrl"].rsplit(":", 1)
            servers.append(await asyncio.start_server(self.serve_ctrl, host, int(port)))
        for p in self.ports:
            # A port of the range may briefly be the local end of someone's
            # outgoing connection (ephemeral ports overlap it): wait for it.
            for attempt in range(100):
                try:
                    servers.append(await asyncio.start_server(
                        self.serve_engine, self.args.engine_host, p, backlog=64))
                    break
                except OSError:
                    if attempt == 99:
                        raise
                    await asyncio.sleep(0.1)
        return servers


class Proxy:
    def __init__(self, args):
        self.args = args

    async def pump_up(self, reader, up):
        buf = b""
        while True:
            data = await reader.read(65536)
            if not data:
                break
            up.write(data)
            buf += data
            # Count each complete request (header block + Content-Length body).
            while True:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    break
                head = buf[:end].decode("latin-1")
                n = 0
                for line in head.split("\r\n")[1:]:
                    if line.lower().startswith("content-length:"):
                        n = int(line.split(":", 1)[1])
                if len(buf) < end + 4 + n:
                    break
                first = head.split("\r\n")[0].split(" ")
                STATS["requests"] += 1
                path = urllib.parse.urlsplit(first[1] if len(first) > 1 else "").path
                if path.startswith("/v1.") and "/" in path[1:]:
                    path = path[path.index("/", 1):]
                route = first[0] + " " + ("/containers/*" + path[path.rfind("/"):]
                                           if path.startswith("/containers/") else path)
                count(route)
                if first[0] != "GET":
                    STATS["writes"] += 1
                buf = buf[end + 4 + n:]
        up.close()

    async def pump_down(self, up_reader, writer):
        while True:
            data = await up_reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
        writer.close()

    async def serve(self, reader, writer):
        try:
            up_reader, up = await asyncio.open_unix_connection(self.args.upstream)
        except OSError:
            writer.close()
            return
        try:
            await asyncio.gather(self.pump_up(reader, up), self.pump_down(up_reader, writer))
        except ConnectionError:
            pass
        finally:
            writer.close()
            up.close()

    async def start(self):
        return [await asyncio.start_unix_server(self.serve, path=self.args.socket)]


async def main(args):
    impl = Fleet(args) if args.mode == "fleet" else Proxy(args)
    servers = await impl.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGUSR1, dump_stats, args.stats)
    if args.ready:
        with open(args.ready, "w") as f:
            f.write("%d\n" % os.getpid())
    await stop.wait()
    for s in servers:
        s.close()
    dump_stats(args.stats)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=["fleet", "proxy"])
    ap.add_argument("--socket", required=True, help="unix socket to listen on")
    ap.add_argument("--stats", help="counters as JSON, on SIGUSR1 and at exit")
    ap.add_argument("--ready", help="written (our PID) once listening")
    ap.add_argument("--plan", help="fleet: `plan --json` whose creates are the engines")
    ap.add_argument("--vpn", action="append", default=[], help="fleet: NAME=CTRL_HOST:PORT")
    ap.add_argument("--engine-host", default="127.0.0.1", help="fleet: engines' probe address")
    ap.add_argument("--upstream", default="/var/run/docker.sock", help="proxy: the real socket")
    a = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        os.unlink(a.socket)
    except FileNotFoundError:
        pass
    try:
        asyncio.run(main(a))
    except KeyboardInterrupt:
        sys.exit(130)
