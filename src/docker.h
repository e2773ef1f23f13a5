/* docker.h - client for the Docker Engine HTTP API (unix socket or tcp) on
 * libcurl: container calls, the events stream, and pure JSON decoders. */
#ifndef ACE_DOCKER_H
#define ACE_DOCKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Newest API version this client knows; a newer daemon is spoken to in it. */
#define DOCKER_API_MAX_MAJOR 1
#define DOCKER_API_MAX_MINOR 43

/* Every failure comes back as a value. http_status is 0 when the daemon was
 * not reached (connect error, timeout, bad answer); msg is Docker's own
 * "message" field when it sent one. */
struct docker_err {
	long http_status;
	char msg[256];
};

struct docker;

/* curl_global_init; call once from main (or a test) before any client. */
int docker_global_init(void);
/* Requests this process has sent to Docker daemons so far (all clients). */
uint64_t docker_requests_total(void);
void docker_global_cleanup(void);

/* host: "unix:///path/to.sock" or "tcp://HOST:PORT" (also "http://HOST:PORT";
 * without a port, Docker's 2375, or 2376 with TLS). Does not connect; NULL
 * with err filled when host is malformed. */
struct docker *docker_new(const char *host, struct docker_err *err);

/* TLS client files of a tcp:// host, as `dockerd --tlsverify` documents
 * them (PEM): the daemon's certificate must be signed by ca (and only that
 * CA is trusted) and name the host; cert and key are this client's. */
struct docker_tls_files {
	const char *ca;
	const char *cert;
	const char *key;
};
/* docker_new over https with tls (NULL: plain, as docker_new). TLS on a
 * unix socket is an error. A handshake failure comes back from each call
 * with curl's TLS message in err.msg. */
struct docker *docker_new_tls(const char *host, const struct docker_tls_files *tls,
			      struct docker_err *err);
void docker_free(struct docker *d);
/* Defaults: connect 2000 ms, total 10000 ms. */
void docker_set_timeouts(struct docker *d, long connect_ms, long total_ms);
/* Every blocking call of d gives up ("cancelled") as soon as fd becomes
 * readable (an eventfd written once when the daemon stops); -1 = never. */
void docker_set_cancel_fd(struct docker *d, int fd);
const char *docker_host(const struct docker *d);

/* GET /version; every other call negotiates lazily, once, so this is only
 * needed to probe the daemon. version receives "1.41" (the one in use). */
int docker_negotiate(struct docker *d, struct docker_err *err);
/* Forgets the version in use: the next call (or docker_negotiate) asks
 * again, for a daemon that may have been upgraded meanwhile. */
void docker_forget_version(struct docker *d);
const char *docker_api_version(const struct docker *d); /* "" before */

/* Labels, env attributes, ... as owned key/value pairs. */
struct docker_kv {
	char *key;
	char *val;
};
/* NULL when absent. */
const char *docker_kv_get(const struct docker_kv *kv, size_t n, const char *key);

/* One row of GET /containers/json. */
struct docker_container {
	char *id;
	char *name;  /* without the leading '/' */
	char *image;
	char *state; /* created, running, paused, restarting, removing, exited, dead */
	char *status; /* "Up 2 minutes (healthy)" */
	char *network_mode; /* HostConfig.NetworkMode */
	int64_t created; /* seconds since epoch */
	struct docker_kv *labels;
	size_t n_labels;
};

struct docker_list {
	struct docker_container *v;
	size_t n;
};
void docker_list_free(struct docker_list *l);

/* What GET /containers/{id}/json tells us that we use. */
struct docker_inspect {
	char *id;
	char *name;   /* without the leading '/' */
	char *image;  /* Config.Image */
	char *status; /* State.Status */
	bool running;
	bool restarting;
	int exit_code;
	int64_t started_at_ms;  /* 0: never started */
	int64_t finished_at_ms;
	char *health;       /* State.Health.Status; NULL: no health check */
	int failing_streak; /* State.Health.FailingStreak */
	char *network_mode; /* HostConfig.NetworkMode */
	struct docker_kv *labels;
	size_t n_labels;
};
void docker_inspect_free(struct docker_inspect *i);

/* One decoded event of GET /events. Docker 20.10 reports health changes as
 * Action "health_status: healthy"; it is split into action "health_status"
 * and health "healthy". */
struct docker_event {
	char *type;   /* "container", ... */
	char *action; /* start, die, destroy, restart, health_status, ... */
	char *health; /* NULL unless action is health_status */
	char *id;     /* Actor.ID */
	char *name;   /* Actor.Attributes.name */
	int64_t time_ns; /* timeNano (or time * 1e9) */
	/* Actor.Attributes: name, image, exitCode and every label. */
	struct docker_kv *attrs;
	size_t n_attrs;
};
void docker_event_free(struct docker_event *e);

/* Pure decoders (unit tested, fuzzed). 0 on success; -1 with a message in
 * err, and *out left empty (safe to free). */
int docker_parse_list(const char *body, size_t len, struct docker_list *out,
		      char *err, size_t errlen);
int docker_parse_inspect(const char *body, size_t len, struct docker_inspect *out,
			 char *err, size_t errlen);
int docker_parse_event(const char *body, size_t len, struct docker_event *out,
		       char *err, size_t errlen);
/* ApiVersion of a GET /version body -> "1.41", capped at the newest known. */
int docker_parse_version(const char *body, size_t len, char *ver, size_t verlen,
			 char *err, size_t errlen);

/* Containers of every state with the given label; label is "key=value" (or
 * "key" for any value). NULL lists everything. */
int docker_list(struct docker *d, const char *label, struct docker_list *out,
		struct docker_err *err);
/* By ID or name. A missing container is http_status 404 (docker_err_not_found). */
int docker_inspect(struct docker *d, const char *id_or_name,
		   struct docker_inspect *out, struct docker_err *err);
bool docker_err_not_found(const struct docker_err *err);

struct docker_create_spec {
	const char *name;
	const char *image;
	const char *const *env; /* "KEY=VALUE" */
	size_t n_env;
	const char *const *cmd; /* NULL/0: the image's default */
	size_t n_cmd;
	const char *const *labels; /* key, value, key, value, ... */
	size_t n_labels; /* number of pairs */
	/* "container:<id>" to join a VPN, or a network name; NULL = default. */
	const char *network_mode;
	int64_t memory_bytes; /* 0 = no limit */
	int stop_timeout_s;   /* 0 = Docker's default */
	/* No-VPN mode only: publish container_port/tcp on host_ip:host_port. */
	int container_port;
	int host_port;
	const char *host_ip; /* NULL = all addresses */
};

/* POST /containers/create; id receives the new container's ID (65 bytes is
 * enough). SecurityOpt no-new-privileges is always set. */
int docker_create(struct docker *d, const struct docker_create_spec *s,
		  char *id, size_t idlen, struct docker_err *err);
/* "Already started" / "already stopped" (304) count as success. */
int docker_start(struct docker *d, const char *id, struct docker_err *err);
int docker_stop(struct docker *d, const char *id, int timeout_s, struct docker_err *err);
int docker_restart(struct docker *d, const char *id, int timeout_s, struct docker_err *err);
/* force=1&v=1: kills a running container and drops its anonymous volumes. */
int docker_remove(struct docker *d, const char *id, struct docker_err *err);
/* Removes a container that never ran (the lease's): no stop grace, the
 * call is bounded by the handle's own total timeout. */
int docker_remove_unstarted(struct docker *d, const char *id, struct docker_err *err);
/* POST /containers/{id}/rename?name=NAME; a name already taken is HTTP 409,
 * a container gone 404. Atomic on the daemon: the lease's heartbeat. */
int docker_rename(struct docker *d, const char *id, const char *name, struct docker_err *err);

/*
 * The events stream, read incrementally on the daemon's curl multi adapter
 * (cmulti.h), so it lives in the epoll loop without a thread.
 *
 *   - cbs.event runs on the loop thread once per complete event line (a
 *     line over DOCKER_EVENT_LINE_MAX is dropped). It must not close ev.
 *   - cbs.ended runs once when the stream ends (daemon restarted, network
 *     cut, an error answer); `why` says how. Then call
 *     docker_events_reconnect() (after a back-off, and docker_negotiate
 *     off the loop when the daemon may have changed), which reopens it with
 *     since=<time of the last event seen>, so nothing in between is lost
 *     while Docker still remembers it; events replayed by since= that were
 *     already delivered are skipped.
 *
 * The handle borrows d (its host and API version) and cm; both must outlive
 * it. Only container events start, die, destroy, restart and health_status
 * are asked for; events of every container come (the VPNs carry no label of
 * ours).
 */
#define DOCKER_EVENT_LINE_MAX (1u << 20)

struct cmulti;
struct docker_events;

struct docker_events_cbs {
	void (*event)(const struct docker_event *ev, void *ud);
	void (*ended)(const struct docker_err *why, void *ud); /* may be NULL */
	void *ud;
};

/* since_ns: replay events from this time (ns since epoch); 0 = from now.
 * Open and reconnect negotiate the API version only when d has none yet:
 * negotiate first (docker_negotiate, off the event loop) so that they do
 * not block. */
struct docker_events *docker_events_open(struct docker *d, int64_t since_ns,
					 const struct docker_events_cbs *cbs, struct cmulti *cm,
					 struct docker_err *err);
/* true while the stream runs; when it ended, err says why. */
bool docker_events_alive(const struct docker_events *ev, struct docker_err *err);
int docker_events_reconnect(struct docker_events *ev, struct docker_err *err);
int64_t docker_events_last_ns(const struct docker_events *ev);
void docker_events_close(struct docker_events *ev);

#endif
