/* api_provision.c - POST /provision/acestream as a demand signal: asks the
 * daemon for one more engine, then waits (suspended, no thread held) for one. */
#include "config-auto.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_body.h"
#include "api_guard.h"
#include "api_int.h"
#include "api_proxy.h"
#include "api_render.h"
#include "log.h"
#include "util.h"

/* acexy's HTTP client gives up after 3 s (orchestrator_events.go:
 * http.Client{Timeout: 3 * time.Second}): answer before that, with a
 * retry hint, rather than be cut off. ?wait=SECONDS asks for longer. */
#define WAIT_DEFAULT_MS 2500
#define WAIT_MAX_S 60
/* How long a handed-out engine stays reserved for its client: acexy sleeps
 * 5 s after provisioning before it starts the stream. */
#define CLAIM_MS 30000
#define CLAIMS_MAX 256
/* A new engine: create, start, first probe. */
#define ETA_NEW_ENGINE_S 10

/* ---- claims (pmu held) ---- */

/* Drops claims that ran out or whose engine has a stream now. */
static void claims_prune(struct api *a, const struct streams_view *v, int64_t now)
{
	size_t k = 0;
	for (size_t i = 0; i < a->n_claims; i++) {
		struct api_claim *c = &a->claims[i];
		if (c->until_ms <= now || streams_view_count(v, c->id) > 0) {
			free(c->id);
			continue;
		}
		a->claims[k++] = *c;
	}
	a->n_claims = k;
}

static void claim(struct api *a, const char *id, int64_t now)
{
	if (a->n_claims == CLAIMS_MAX) {
		free(a->claims[0].id);
		memmove(a->claims, a->claims + 1, (a->n_claims - 1) * sizeof *a->claims);
		a->n_claims--;
	}
	grow(&a->claims, &a->cap_claims, a->n_claims + 1, sizeof *a->claims);
	a->claims[a->n_claims++] = (struct api_claim){ xstrdup(id), now + CLAIM_MS };
}

/* What a request must not be given: claimed engines, and with its
 * baseline those idle when it arrived. ids has CLAIMS_MAX + n_baseline
 * slots. */
static struct api_claims excluded(const struct api *a, const struct api_req *q, const char **ids)
{
	size_t n = 0;
	for (size_t i = 0; i < a->n_claims; i++)
		ids[n++] = a->claims[i].id;
	for (size_t i = 0; q && i < q->n_baseline; i++)
		ids[n++] = q->baseline[i];
	return (struct api_claims){ ids, n };
}

/* Picks and claims an engine for q; NULL when none. An engine beyond
 * q's baseline (a new one, or one whose stream ended since); when no more
 * engines can come, any idle one rather than nothing. mu and pmu held. */
static struct MHD_Response *try_hand_out(struct api *a, struct snapshot *s,
					 const struct streams_view *v, struct api_req *q,
					 int64_t now)
{
	const char **ids = xcalloc(CLAIMS_MAX + q->n_baseline + 1, sizeof *ids);
	claims_prune(a, v, now);
	struct api_claims cl = excluded(a, q, ids);
	const struct snap_engine *e = api_provision_pick(s, v, &cl);
	char why[8];
	if (!e && q->n_baseline && api_provision_at_capacity(s, why, sizeof why)) {
		cl = excluded(a, NULL, ids);
		e = api_provision_pick(s, v, &cl);
	}
	free(ids);
	if (!e)
		return NULL;
	claim(a, e->id, now);
	a->provision_ok++;
	log_info("provision: engine handed out", "engine", e->name, "port", LOG_INT(e->port));
	return api_make_response(api_json_text(api_render_provision_ok(e, q->ignored, q->n_ignored)),
				 API_JSON_TYPE);
}

/* Records the engines idle now as q's baseline. */
static void take_baseline(struct api_req *q, const struct snapshot *s, const struct streams_view *v)
{
	size_t max = s ? s->n_engines : 0;
	const char **ids = xcalloc(max + 1, sizeof *ids);
	size_t n = api_provision_idle(s, v, ids, max);
	q->baseline = xcalloc(n + 1, sizeof *q->baseline);
	for (size_t i = 0; i < n; i++)
		q->baseline[i] = xstrdup(ids[i]);
	q->n_baseline = n;
	free(ids);
}

static struct MHD_Response *block_response(const struct api_block *b)
{
	struct MHD_Response *r = api_make_response(api_json_text(api_render_block(b)), API_JSON_TYPE);
	char secs[24];
	snprintf(secs, sizeof secs, "%d", b->eta_s > 0 ? b->eta_s : 1);
	if (r)
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, secs);
	return r;
}

static void general_block(struct api_block *b, const char *code, int eta, const char *msg)
{
	memset(b, 0, sizeof *b);
	b->code = code;
	b->eta_s = eta;
	b->can_retry = true;
	b->should_wait = true;
	sbuf_printf(b->message, sizeof b->message, "%s", msg);
}

/* ---- the request ---- */

static int64_t wait_ms_of(struct MHD_Connection *c)
{
	const char *w = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "wait");
	long long s;
	if (w && parse_int(w, 0, WAIT_MAX_S, &s))
		return s * 1000;
	return WAIT_DEFAULT_MS;
}

enum MHD_Result api_serve_provision(struct api *a, struct MHD_Connection *c, struct api_req *q)
{
	char err[256] = "";
	struct api_provision_req req;
	if (api_parse_provision(q->body.data, q->body.len, &req, err, sizeof err) < 0)
		return api_reply_bad_body(a, c, q, err);
	/* The config decides these; say so rather than pretend. */
	if (req.image)
		q->ignored[q->n_ignored++] = "image";
	if (req.env)
		q->ignored[q->n_ignored++] = "env";
	if (req.labels)
		q->ignored[q->n_ignored++] = "labels";
	if (req.host_port)
		q->ignored[q->n_ignored++] = "host_port";
	if (!a->hooks.provision)
		return api_reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "provisioning not accepted");

	struct snapshot *s = snapshot_get(a->st);
	struct api_block b;
	const char *ids[CLAIMS_MAX];
	int64_t now = now_mono_ms();
	pthread_mutex_lock(&a->mu);
	const struct streams_view *v = s ? api_cache_sync(a, s) : NULL;
	pthread_mutex_lock(&a->pmu);
	if (s)
		claims_prune(a, v, now);
	struct api_claims cl = excluded(a, NULL, ids);
	bool blocked = api_provision_blocked(s, v, &cl, &b);
	if (blocked)
		a->provision_blocked++;
	else
		take_baseline(q, s, v);
	pthread_mutex_unlock(&a->pmu);
	pthread_mutex_unlock(&a->mu);
	if (blocked) {
		snapshot_put(a->st, s);
		log_info("provision: refused", "code", b.code, "reason", b.message);
		return api_queue(c, MHD_HTTP_SERVICE_UNAVAILABLE, block_response(&b));
	}
	/* One more engine than are idle now: the planner adds the demand to
	 * busy + min_free. */
	int st = a->hooks.provision(a->hooks.ud, err, sizeof err);
	if (st) {
		snapshot_put(a->st, s);
		general_block(&b, "max_capacity", 30, err[0] ? err : "no room for another engine");
		b.can_retry = false;
		pthread_mutex_lock(&a->pmu);
		a->provision_blocked++;
		pthread_mutex_unlock(&a->pmu);
		return api_queue(c, api_hook_status(st), block_response(&b));
	}
	pthread_mutex_lock(&a->mu);
	v = api_cache_sync(a, s);
	pthread_mutex_lock(&a->pmu);
	struct MHD_Response *ok = try_hand_out(a, s, v, q, now);
	bool wait = !ok && !a->stopping;
	if (wait) {
		q->conn = c;
		q->deadline_ms = now + wait_ms_of(c);
		q->next = a->pending;
		a->pending = q;
		q->linked = true;
	}
	pthread_mutex_unlock(&a->pmu);
	pthread_mutex_unlock(&a->mu);
	snapshot_put(a->st, s);
	if (ok)
		return api_queue(c, MHD_HTTP_OK, ok);
	if (!wait) {
		general_block(&b, "not_ready", 5, "the API is stopping");
		return api_queue(c, MHD_HTTP_SERVICE_UNAVAILABLE, block_response(&b));
	}
	/* No thread waits: the connection is parked and the guard's tick
	 * resumes it with an answer. */
	MHD_suspend_connection(c);
	pthread_mutex_lock(&a->pmu);
	q->suspended = true;
	bool stopping = a->stopping;
	pthread_mutex_unlock(&a->pmu);
	if (stopping) /* api_stop ran between: it skipped us */
		api_provision_shutdown(a);
	api_guard_poke(a->guard, true);
	return MHD_YES;
}

enum MHD_Result api_provision_answer(struct api *a, struct MHD_Connection *c, struct api_req *q)
{
	(void)a;
	struct MHD_Response *r = q->answer;
	q->answer = NULL;
	return api_queue(c, q->answer_status, r);
}

/* Unlinks q from a->pending; pmu held. */
static void unlink_req(struct api *a, struct api_req *q)
{
	for (struct api_req **p = &a->pending; *p; p = &(*p)->next) {
		if (*p == q) {
			*p = q->next;
			break;
		}
	}
	q->next = NULL;
	q->linked = false;
}

void api_provision_tick(void *ud, int64_t now)
{
	struct api *a = ud;
	pthread_mutex_lock(&a->pmu);
	bool any = a->pending != NULL;
	pthread_mutex_unlock(&a->pmu);
	if (!any)
		return;
	struct snapshot *s = snapshot_get(a->st);
	struct api_req *done = NULL;
	pthread_mutex_lock(&a->mu);
	const struct streams_view *v = s ? api_cache_sync(a, s) : NULL;
	pthread_mutex_lock(&a->pmu);
	for (struct api_req *q = a->pending, *next; q; q = next) {
		next = q->next;
		if (!q->suspended)
			continue; /* its handler has not parked it yet */
		struct MHD_Response *r = s ? try_hand_out(a, s, v, q, now) : NULL;
		unsigned status = MHD_HTTP_OK;
		if (!r && now >= q->deadline_ms) {
			struct api_block b;
			const char *ids[CLAIMS_MAX];
			struct api_claims cl = excluded(a, NULL, ids);
			if (!api_provision_blocked(s, v, &cl, &b))
				general_block(&b, "provisioning_in_progress", ETA_NEW_ENGINE_S,
					      "no idle engine yet: one more was requested; retry soon");
			r = block_response(&b);
			status = MHD_HTTP_SERVICE_UNAVAILABLE;
			a->provision_timeout++;
		}
		if (!r)
			continue;
		unlink_req(a, q);
		q->answer = r;
		q->answer_status = status;
		q->next = done;
		done = q;
	}
	bool busy = a->pending != NULL;
	pthread_mutex_unlock(&a->pmu);
	pthread_mutex_unlock(&a->mu);
	snapshot_put(a->st, s);
	/* Outside the locks; q may be freed as soon as it is resumed. */
	for (struct api_req *q = done, *next; q; q = next) {
		next = q->next;
		MHD_resume_connection(q->conn);
	}
	if (!busy)
		api_guard_poke(a->guard, false);
}

void api_provision_forget(struct api *a, struct api_req *q)
{
	pthread_mutex_lock(&a->pmu);
	if (q->linked)
		unlink_req(a, q);
	pthread_mutex_unlock(&a->pmu);
}

void api_provision_shutdown(struct api *a)
{
	struct api_req *done = NULL;
	struct api_block b;
	general_block(&b, "not_ready", 5, "the API is stopping");
	pthread_mutex_lock(&a->pmu);
	a->stopping = true;
	for (struct api_req *q = a->pending, *next; q; q = next) {
		next = q->next;
		if (!q->suspended)
			continue;
		unlink_req(a, q);
		q->answer = block_response(&b);
		q->answer_status = MHD_HTTP_SERVICE_UNAVAILABLE;
		q->next = done;
		done = q;
	}
	pthread_mutex_unlock(&a->pmu);
	for (struct api_req *q = done, *next; q; q = next) {
		next = q->next;
		MHD_resume_connection(q->conn);
	}
}

void api_provision_free(struct api *a)
{
	for (size_t i = 0; i < a->n_claims; i++)
		free(a->claims[i].id);
	free(a->claims);
	a->claims = NULL;
	a->n_claims = a->cap_claims = 0;
}
