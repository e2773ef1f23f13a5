/* api_int.h - what the HTTP server's files share (api.c: routing and cache,
 * api_events.c: stream events, api_provision.c: provision waits). */
#ifndef ACE_API_INT_H
#define ACE_API_INT_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "api.h"
#include "util.h"

struct cJSON;
struct api_guard;

#define API_JSON_TYPE "application/json"

enum route {
	R_NONE = 0,
	R_HEALTHZ,
	R_READYZ,
	R_ENGINES,
	R_ENGINES_ALL, /* GET /engines?all=1 */
	R_ENGINE,      /* GET /engines/{name} */
	R_VPN,
	R_METRICS,
	R_CONFIG,
	R_PLAN,
	R_STREAMS,     /* GET /streams (no filter: cached) */
	R_ORCH_STATUS, /* GET /orchestrator/status */
	R_HISTORY,     /* GET /events (the recent history) */
	R_DASHBOARD,   /* GET / */
	R_STARTED,
	R_ENDED,
	R_PROVISION,
	R_COUNT,
};

/* An engine handed out by POST /provision/acestream, reserved for the
 * client that asked until its stream starts or the claim runs out. */
struct api_claim {
	char *id;
	int64_t until_ms; /* monotonic */
};

struct api {
	struct MHD_Daemon *d;
	struct snapshot_store *st;
	struct streams *streams; /* may be NULL */
	struct history *history; /* may be NULL */
	struct api_hooks hooks;
	int port;
	struct api_guard *guard;
	/* Bodies depend only on the snapshot and the registry's generation:
	 * rendered once each and the same MHD_Response handed to every client
	 * (MHD refcounts responses). */
	pthread_mutex_t mu;
	struct snapshot *cache_snap;
	struct streams_view *cache_view;
	struct MHD_Response *cache[R_COUNT];
	uint64_t cache_metrics_key; /* the API counters cache[R_METRICS] shows */
	struct MHD_Response *healthz; /* constant: built once */
	struct MHD_Response *dashboard; /* constant: the embedded page */
	/* Provision waits; pmu nests inside mu. */
	pthread_mutex_t pmu;
	struct api_req *pending;
	struct api_claim *claims;
	size_t n_claims, cap_claims;
	bool stopping;
	uint64_t provision_ok, provision_blocked, provision_timeout;
};

/* Per-request state of a POST while its body arrives (and while a
 * provision request waits, suspended). */
struct api_req {
	enum route route;
	void *sock; /* the guard's record of the connection */
	struct strbuf body;
	bool too_big;
	/* Provision only. */
	struct MHD_Connection *conn;
	int64_t deadline_ms;       /* monotonic */
	bool linked, suspended;    /* in a->pending / suspended by us */
	struct api_req *next;
	unsigned answer_status;
	struct MHD_Response *answer; /* set before the connection is resumed */
	const char *ignored[4];
	size_t n_ignored;
	/* Engines idle when it arrived: it waits for one beyond them. */
	char **baseline;
	size_t n_baseline;
};

/* A hook's answer as an HTTP status: its own when it is an error status,
 * else 503 (a hook that only says -1). */
static inline unsigned api_hook_status(int st)
{
	return st >= 400 && st <= 599 ? (unsigned)st : 503;
}

/* api.c */
struct MHD_Response *api_make_response(char *body, const char *ctype);
enum MHD_Result api_queue(struct MHD_Connection *c, unsigned status, struct MHD_Response *r);
char *api_json_text(struct cJSON *j); /* takes j */
enum MHD_Result api_reply_json(struct MHD_Connection *c, unsigned status, struct cJSON *j);
enum MHD_Result api_reply_error(struct MHD_Connection *c, unsigned status, const char *msg);
/* 400 with a rate-limited warning naming the client. */
enum MHD_Result api_reply_bad_body(struct api *a, struct MHD_Connection *c, struct api_req *q,
				   const char *err);
/* With a->mu held: the cache matches s and the registry; returns its view
 * (NULL without a registry), valid until a->mu is released. */
const struct streams_view *api_cache_sync(struct api *a, struct snapshot *s);

/* api_events.c */
enum MHD_Result api_serve_event(struct api *a, struct MHD_Connection *c, struct api_req *q);

/* api_dash.c */
struct MHD_Response *api_dashboard_response(void);
enum MHD_Result api_serve_dashboard(struct api *a, struct MHD_Connection *c);
enum MHD_Result api_serve_history(struct api *a, struct MHD_Connection *c);

/* api_provision.c */
enum MHD_Result api_serve_provision(struct api *a, struct MHD_Connection *c, struct api_req *q);
/* The resumed request's answer. */
enum MHD_Result api_provision_answer(struct api *a, struct MHD_Connection *c, struct api_req *q);
/* The guard's tick: answers waiting requests that an engine or the clock
 * settled, and resumes them. */
void api_provision_tick(void *ud, int64_t now_mono_ms);
/* q is being freed: unlink it if still waiting (never while suspended). */
void api_provision_forget(struct api *a, struct api_req *q);
/* Answers every waiting request 503 and resumes it (api_stop). */
void api_provision_shutdown(struct api *a);
void api_provision_free(struct api *a);

#endif
