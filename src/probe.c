/* probe.c - engine probes on the loop's curl multi adapter; results come
 * back through a callback, late ones marked as such rather than failed. */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "cmulti.h"
#include "probe.h"
#include "util.h"

/* A probe that took this much longer than its own timeout was not run in
 * time: curl's timer fired late because the loop was busy elsewhere. */
#define PROBE_LATE_SLACK_MS 500

struct probe_req {
	struct probe *p;
	char *id;
	CURL *easy;
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
};

/* The probe only needs the status code: the body is dropped as it comes. */
static size_t discard(char *ptr, size_t size, size_t n, void *ud)
{
	return size * n;
}

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
	curl_easy_cleanup(q->easy);
	free(q->id);
	free(q);
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
	free(p);
}

void probe_start(struct probe *p, const char *engine_id, const char *url, long timeout_ms)
{
	for (struct probe_req *q = p->reqs; q; q = q->next)
		if (strcmp(q->id, engine_id) == 0)
			return;
	CURL *easy = curl_easy_init();
	if (!easy)
		return;
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	struct probe_req *q = xcalloc(1, sizeof *q);
	q->p = p;
	q->id = xstrdup(engine_id);
	q->easy = easy;
	q->started_ms = now_mono_ms();
	q->timeout_ms = timeout_ms;
	if (cmulti_add(p->cm, easy, done, q) != 0) {
		req_free(q);
		return;
	}
	q->next = p->reqs;
	p->reqs = q;
	p->n_reqs++;
}

size_t probe_in_flight(const struct probe *p)
{
	return p->n_reqs;
}
