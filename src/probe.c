/* probe.c - engine probes on a curl multi handle whose sockets and timer
 * live in the daemon's epoll loop; results come back through a callback. */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"
#include "util.h"

struct probe {
	CURLM *multi;
	struct probe_io io;
	probe_done_cb cb;
	void *ud;
	/* Requests under way: engine ID (owned here) and its easy handle. */
	struct probe_req {
		char *id;
		CURL *easy;
	} *reqs;
	size_t n_reqs, cap_reqs;
};

static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct probe *p = userp;
	int w = 0;
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		w |= PROBE_IO_IN;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		w |= PROBE_IO_OUT;
	p->io.watch((int)s, what == CURL_POLL_REMOVE ? 0 : w, p->io.ud);
	return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct probe *p = userp;
	p->io.timer(timeout_ms, p->io.ud);
	return 0;
}

/* The probe only needs the status code: the body is dropped as it comes. */
static size_t discard(char *ptr, size_t size, size_t n, void *ud)
{
	return size * n;
}

struct probe *probe_new(const struct probe_io *io, probe_done_cb cb, void *ud)
{
	struct probe *p = xcalloc(1, sizeof *p);
	p->multi = curl_multi_init();
	if (!p->multi)
		fatal("curl_multi_init failed");
	p->io = *io;
	p->cb = cb;
	p->ud = ud;
	curl_multi_setopt(p->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(p->multi, CURLMOPT_SOCKETDATA, p);
	curl_multi_setopt(p->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(p->multi, CURLMOPT_TIMERDATA, p);
	return p;
}

static void finish(struct probe *p, CURL *easy, CURLcode res, bool report)
{
	long code = 0;
	char *id = NULL;
	for (size_t i = 0; i < p->n_reqs; i++) {
		if (p->reqs[i].easy == easy) {
			id = p->reqs[i].id;
			p->reqs[i] = p->reqs[--p->n_reqs];
			break;
		}
	}
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
	curl_multi_remove_handle(p->multi, easy);
	curl_easy_cleanup(easy);
	if (report && id)
		p->cb(id, res == CURLE_OK && code == 200, p->ud);
	free(id);
}

void probe_free(struct probe *p)
{
	if (!p)
		return;
	/* Requests still under way are dropped without a result. */
	while (p->n_reqs)
		finish(p, p->reqs[0].easy, CURLE_ABORTED_BY_CALLBACK, false);
	curl_multi_cleanup(p->multi);
	free(p->reqs);
	free(p);
}

void probe_start(struct probe *p, const char *engine_id, const char *url, long timeout_ms)
{
	for (size_t i = 0; i < p->n_reqs; i++)
		if (strcmp(p->reqs[i].id, engine_id) == 0)
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
	if (curl_multi_add_handle(p->multi, easy) != CURLM_OK) {
		curl_easy_cleanup(easy);
		return;
	}
	grow(&p->reqs, &p->cap_reqs, p->n_reqs + 1, sizeof *p->reqs);
	p->reqs[p->n_reqs++] = (struct probe_req){ xstrdup(engine_id), easy };
}

static void drain(struct probe *p)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(p->multi, &left)))
		if (m->msg == CURLMSG_DONE)
			finish(p, m->easy_handle, m->data.result, true);
}

void probe_on_fd(struct probe *p, int fd, int what)
{
	int ev = 0, running;
	if (what & PROBE_IO_IN)
		ev |= CURL_CSELECT_IN;
	if (what & PROBE_IO_OUT)
		ev |= CURL_CSELECT_OUT;
	if (what & PROBE_IO_ERR)
		ev |= CURL_CSELECT_ERR;
	curl_multi_socket_action(p->multi, fd, ev, &running);
	drain(p);
}

void probe_on_timeout(struct probe *p)
{
	int running;
	curl_multi_socket_action(p->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	drain(p);
}

size_t probe_in_flight(const struct probe *p)
{
	return p->n_reqs;
}
