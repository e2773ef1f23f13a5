/* probe.c - engine probes on the loop's curl multi adapter; results come
 * back through a callback, late ones marked as such rather than failed.
 * At most PROBE_MAX_IN_FLIGHT run at once, the rest wait in order. */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "cmulti.h"
#include "http.h"
#include "probe.h"
#include "util.h"

/* A probe that took this much longer than its own timeout was not run in
 * time: curl's timer fired late because the loop was busy elsewhere. */
#define PROBE_LATE_SLACK_MS 500
/* Each probe under way holds a curl handle, its buffers and a connection:
 * a round over 1,000 engines started at once took some 27 MB of heap
 * (bench/run-core-bench.sh, memory row). Engines answer in milliseconds,
 * so a few dozen at a time still probe a thousand well within a second. */
#define PROBE_MAX_IN_FLIGHT 32

struct probe_req {
	struct probe *p;
	char *id;
	char *url;	/* while waiting */
	CURL *easy;	/* once under way */
	int64_t started_ms;
	long timeout_ms;
	struct probe_req *next;
};

struct probe {
	struct cmulti *cm;
	probe_done_cb cb;
	void *ud;
	struct probe_req *reqs; /* under way */
	size_t n_reqs;
	struct probe_req *wait_head, *wait_tail; /* waiting for a slot, in order */
};

struct probe *probe_new(struct cmulti *cm, probe_done_cb cb, void *ud)
{
	struct probe *p = xcalloc(1, sizeof *p);
	p->cm = cm;
	p->cb = cb;
	p->ud = ud;
	return p;
}

static void unlink_req(struct probe *p, struct probe_req *q)
{
	for (struct probe_req **pp = &p->reqs; *pp; pp = &(*pp)->next)
		if (*pp == q) {
			*pp = q->next;
			p->n_reqs--;
			return;
		}
}

static void req_free(struct probe_req *q)
{
	if (q->easy)
		curl_easy_cleanup(q->easy);
	free(q->id);
	free(q->url);
	free(q);
}

static void done(CURL *easy, CURLcode res, void *ud);

/* Puts q under way, or frees it when curl refuses (no result then). */
static void launch(struct probe *p, struct probe_req *q)
{
	CURL *easy = curl_easy_init();
	if (!easy) {
		req_free(q);
		return;
	}
	curl_easy_setopt(easy, CURLOPT_URL, q->url);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, http_discard);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, q->timeout_ms);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, q->timeout_ms);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	/* One connection per engine and round: keeping a thousand idle ones
	 * in the multi's cache between rounds costs more than a connect. */
	curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, 1L);
	free(q->url);
	q->url = NULL;
	q->easy = easy;
	q->started_ms = now_mono_ms();
	if (cmulti_add(p->cm, easy, done, q) != 0) {
		req_free(q);
		return;
	}
	q->next = p->reqs;
	p->reqs = q;
	p->n_reqs++;
}

/* Starts waiting probes while there are free slots. */
static void launch_waiting(struct probe *p)
{
	while (p->wait_head && p->n_reqs < PROBE_MAX_IN_FLIGHT) {
		struct probe_req *q = p->wait_head;
		p->wait_head = q->next;
		if (!p->wait_head)
			p->wait_tail = NULL;
		q->next = NULL;
		launch(p, q);
	}
}

static void done(CURL *easy, CURLcode res, void *ud)
{
	struct probe_req *q = ud;
	struct probe *p = q->p;
	long code = 0;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
	enum probe_outcome r = res == CURLE_OK && code == 200 ? PROBE_OK : PROBE_FAILED;
	if (r == PROBE_FAILED && res == CURLE_OPERATION_TIMEDOUT &&
	    now_mono_ms() - q->started_ms > q->timeout_ms + PROBE_LATE_SLACK_MS)
		r = PROBE_LATE;
	unlink_req(p, q);
	p->cb(q->id, r, p->ud);
	req_free(q);
	launch_waiting(p);
}

void probe_free(struct probe *p)
{
	if (!p)
		return;
	while (p->reqs) {
		struct probe_req *q = p->reqs;
		p->reqs = q->next;
		cmulti_remove(p->cm, q->easy);
		req_free(q);
	}
	while (p->wait_head) {
		struct probe_req *q = p->wait_head;
		p->wait_head = q->next;
		req_free(q);
	}
	free(p);
}

void probe_start(struct probe *p, const char *engine_id, const char *url, long timeout_ms)
{
	for (struct probe_req *q = p->reqs; q; q = q->next)
		if (strcmp(q->id, engine_id) == 0)
			return;
	for (struct probe_req *q = p->wait_head; q; q = q->next)
		if (strcmp(q->id, engine_id) == 0)
			return;
	struct probe_req *q = xcalloc(1, sizeof *q);
	q->p = p;
	q->id = xstrdup(engine_id);
	q->url = xstrdup(url);
	q->timeout_ms = timeout_ms;
	if (p->n_reqs < PROBE_MAX_IN_FLIGHT && !p->wait_head) {
		launch(p, q);
		return;
	}
	if (p->wait_tail)
		p->wait_tail->next = q;
	else
		p->wait_head = q;
	p->wait_tail = q;
}

size_t probe_in_flight(const struct probe *p)
{
	return p->n_reqs;
}

size_t probe_waiting(const struct probe *p)
{
	size_t n = 0;
	for (const struct probe_req *q = p->wait_head; q; q = q->next)
		n++;
	return n;
}
