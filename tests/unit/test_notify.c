/* test_notify.c - webhook bodies in each format, the HMAC-SHA256 signature
 * (against RFC 4231 and `openssl dgst`), and delivery through the loop's
 * curl multi to an in-process receiver: retries, back-off, drops, order. */
#include <check.h>
#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmulti.h"
#include "evloop.h"
#include "notify.h"
#include "util.h"

static struct hist_entry entry(enum hist_kind k, const char *msg, const char *err)
{
	struct hist_entry e = { 0 };
	e.seq = 7;
	e.ts_ms = 1795447987339;
	e.kind = k;
	e.object = (char *)"gluetun";
	e.vpn = (char *)"gluetun";
	e.message = (char *)msg;
	e.error = (char *)err;
	return e;
}

START_TEST(events_sent_for)
{
	struct hist_entry e = entry(HIST_VPN_UNAVAILABLE, "m", NULL);
	ck_assert_uint_eq(notify_event_of(&e), NOTIFY_VPN_DOWN);
	e.kind = HIST_VPN_AVAILABLE;
	ck_assert_uint_eq(notify_event_of(&e), NOTIFY_VPN_UP);
	e.initial = true; /* available at start-up: no recovery to tell */
	ck_assert_uint_eq(notify_event_of(&e), 0);
	e.kind = HIST_PORT_CHANGED;
	ck_assert_uint_eq(notify_event_of(&e), NOTIFY_PORT_CHANGED);
	e.kind = HIST_ACTION_FAILED;
	ck_assert_uint_eq(notify_event_of(&e), NOTIFY_ACTION_FAILED);
	e.kind = HIST_CONFIG_REJECTED;
	ck_assert_uint_eq(notify_event_of(&e), NOTIFY_CONFIG_ERROR);
	e.kind = HIST_ACTION_OK;
	ck_assert_uint_eq(notify_event_of(&e), 0);
	e.kind = HIST_CONTROL_ERROR;
	ck_assert_uint_eq(notify_event_of(&e), 0);
}
END_TEST

static cJSON *render_json(enum notify_format f, const struct hist_entry *e, unsigned ev,
			  struct notify_msg *m)
{
	notify_render(f, e, ev, "home", m);
	ck_assert_uint_eq(m->len, strlen(m->body));
	cJSON *j = cJSON_Parse(m->body);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(m->content_type, "application/json");
	return j;
}

START_TEST(formats)
{
	struct hist_entry e = entry(HIST_VPN_UNAVAILABLE, "vpn gluetun unavailable: unhealthy", NULL);
	struct notify_msg m;
	/* json: our event, plus what it is sent as and the instance. */
	cJSON *j = render_json(NOTIFY_JSON, &e, NOTIFY_VPN_DOWN, &m);
	ck_assert_str_eq(cJSON_GetObjectItem(j, "event")->valuestring, "vpn_down");
	ck_assert_str_eq(cJSON_GetObjectItem(j, "kind")->valuestring, "vpn_unavailable");
	ck_assert_str_eq(cJSON_GetObjectItem(j, "instance")->valuestring, "home");
	ck_assert_str_eq(cJSON_GetObjectItem(j, "vpn")->valuestring, "gluetun");
	ck_assert_str_eq(cJSON_GetObjectItem(j, "time")->valuestring, "2026-11-23T15:33:07.339Z");
	ck_assert_int_eq(cJSON_GetObjectItem(j, "seq")->valueint, 7);
	cJSON_Delete(j);
	notify_msg_free(&m);
	/* text (ntfy): one line, title and priority for its headers. */
	notify_render(NOTIFY_TEXT, &e, NOTIFY_VPN_DOWN, "home", &m);
	ck_assert_str_eq(m.body, "[home] vpn gluetun unavailable: unhealthy");
	ck_assert(str_startswith(m.content_type, "text/plain"));
	ck_assert_str_eq(m.title, "ace-orchestrator home: vpn_down");
	ck_assert_str_eq(m.priority, "high");
	notify_msg_free(&m);
	/* gotify: title, message, priority. */
	j = render_json(NOTIFY_GOTIFY, &e, NOTIFY_VPN_DOWN, &m);
	ck_assert_str_eq(cJSON_GetObjectItem(j, "title")->valuestring, "ace-orchestrator home: vpn_down");
	ck_assert_str_eq(cJSON_GetObjectItem(j, "message")->valuestring,
			 "[home] vpn gluetun unavailable: unhealthy");
	ck_assert_int_eq(cJSON_GetObjectItem(j, "priority")->valueint, 8);
	cJSON_Delete(j);
	notify_msg_free(&m);
	/* An error not already in the message is appended. */
	struct hist_entry f = entry(HIST_ACTION_FAILED, "create acestream-19000 failed", "HTTP 409: name taken");
	j = render_json(NOTIFY_SLACK, &f, NOTIFY_ACTION_FAILED, &m);
	ck_assert_str_eq(cJSON_GetObjectItem(j, "text")->valuestring,
			 "[home] create acestream-19000 failed: HTTP 409: name taken");
	cJSON_Delete(j);
	notify_msg_free(&m);
	struct hist_entry up = entry(HIST_VPN_AVAILABLE, "vpn gluetun available", NULL);
	j = render_json(NOTIFY_DISCORD, &up, NOTIFY_VPN_UP, &m);
	ck_assert_str_eq(cJSON_GetObjectItem(j, "content")->valuestring, "[home] vpn gluetun available");
	cJSON_Delete(j);
	notify_msg_free(&m);
}
END_TEST

START_TEST(discord_content_clipped_on_utf8_boundary)
{
	/* Discord refuses content over 2000 characters. */
	size_t n = 3000;
	char *big = xmalloc(n * 2 + 1);
	for (size_t i = 0; i < n; i++)
		memcpy(big + 2 * i, "\xc3\xa9", 2); /* é */
	big[n * 2] = '\0';
	struct hist_entry e = entry(HIST_ACTION_FAILED, big, NULL);
	struct notify_msg m;
	cJSON *j = render_json(NOTIFY_DISCORD, &e, NOTIFY_ACTION_FAILED, &m);
	const char *c = cJSON_GetObjectItem(j, "content")->valuestring;
	ck_assert_uint_le(strlen(c), 2000);
	ck_assert(str_startswith(c + strlen(c) - 3, "..."));
	/* No split character before the ellipsis. */
	ck_assert_int_ne((unsigned char)c[strlen(c) - 4], 0xc3);
	cJSON_Delete(j);
	notify_msg_free(&m);
	free(big);
}
END_TEST

START_TEST(signature_rfc4231)
{
	/* RFC 4231 test case 2: key "Jefe". */
	char sig[NOTIFY_SIG_LEN];
	const char *data = "what do ya want for nothing?";
	ck_assert_int_eq(notify_signature("Jefe", data, strlen(data), sig), 0);
	ck_assert_str_eq(sig, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}
END_TEST

START_TEST(signature_matches_openssl_dgst)
{
	if (system("openssl version >/dev/null 2>&1") != 0) {
		/* scripts/check installs openssl; say so loudly if it is gone. */
		fprintf(stderr, "openssl(1) missing: cannot compare with openssl dgst\n");
		ck_abort_msg("openssl(1) not installed");
	}
	char dir[] = "/tmp/test_notify.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char *path = xasprintf("%s/body", dir);
	const char *body = "{\"kind\":\"vpn_unavailable\",\"message\":\"vpn gluetun unavailable\"}";
	FILE *f = fopen(path, "w");
	fputs(body, f);
	fclose(f);
	const char *key = "s3cret-with-punctuation_+=";
	char *cmd = xasprintf("openssl dgst -sha256 -hmac '%s' -r '%s'", key, path);
	FILE *p = popen(cmd, "r");
	char line[256] = "";
	ck_assert_ptr_nonnull(fgets(line, sizeof line, p));
	pclose(p);
	line[strcspn(line, " \n")] = '\0'; /* -r: "HEX *FILE" */
	char sig[NOTIFY_SIG_LEN];
	ck_assert_int_eq(notify_signature(key, body, strlen(body), sig), 0);
	ck_assert_str_eq(sig + 7, line);
	unlink(path);
	rmdir(dir);
	free(path);
	free(cmd);
}
END_TEST

/* ---- delivery against an in-process receiver ---- */

#define MAX_REQ 32
struct receiver {
	struct MHD_Daemon *d;
	int port;
	pthread_mutex_t mu;
	int n;                    /* requests answered */
	int statuses[MAX_REQ];    /* scripted answers, 0 = 200 */
	char *bodies[MAX_REQ];
	char *sigs[MAX_REQ];
	char *events[MAX_REQ];
	char *titles[MAX_REQ];
	struct strbuf cur;
};

static enum MHD_Result rx_handler(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *size, void **ctx)
{
	struct receiver *r = cls;
	(void)url;
	(void)method;
	(void)version;
	if (!*ctx) {
		*ctx = r;
		strbuf_reset(&r->cur);
		return MHD_YES;
	}
	if (*size) {
		strbuf_add(&r->cur, data, *size);
		*size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&r->mu);
	int i = r->n < MAX_REQ ? r->n : MAX_REQ - 1;
	const char *sig = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Ace-Signature");
	const char *ev = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Ace-Event");
	const char *title = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Title");
	r->bodies[i] = xstrndup(r->cur.data ? r->cur.data : "", r->cur.len);
	r->sigs[i] = sig ? xstrdup(sig) : NULL;
	r->events[i] = ev ? xstrdup(ev) : NULL;
	r->titles[i] = title ? xstrdup(title) : NULL;
	unsigned st = r->statuses[i] ? (unsigned)r->statuses[i] : 200;
	r->n++;
	pthread_mutex_unlock(&r->mu);
	struct MHD_Response *resp = MHD_create_response_from_buffer(2, (void *)"ok",
								   MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret = MHD_queue_response(c, st, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void rx_start(struct receiver *r)
{
	memset(r, 0, sizeof *r);
	pthread_mutex_init(&r->mu, NULL);
	/* One thread: requests are handled in arrival order. */
	r->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, rx_handler, r,
				MHD_OPTION_END);
	ck_assert_ptr_nonnull(r->d);
	r->port = MHD_get_daemon_info(r->d, MHD_DAEMON_INFO_BIND_PORT)->port;
}

static int rx_count(struct receiver *r)
{
	pthread_mutex_lock(&r->mu);
	int n = r->n;
	pthread_mutex_unlock(&r->mu);
	return n;
}

static void rx_stop(struct receiver *r)
{
	MHD_stop_daemon(r->d);
	for (int i = 0; i < MAX_REQ; i++) {
		free(r->bodies[i]);
		free(r->sigs[i]);
		free(r->events[i]);
		free(r->titles[i]);
	}
	strbuf_free(&r->cur);
	pthread_mutex_destroy(&r->mu);
}

struct harness {
	struct evloop *ev;
	struct cmulti *cm;
	struct notifier *n;
	struct config cfg;
	int changed;
};

static void on_changed(void *ud)
{
	((struct harness *)ud)->changed++;
}

static void harness_start(struct harness *h, const char *url, enum notify_format f,
			  const char *secret, unsigned events)
{
	memset(h, 0, sizeof *h);
	h->ev = evloop_new();
	h->cm = cmulti_new(h->ev);
	h->n = notify_new(h->ev, h->cm, on_changed, h);
	config_set_defaults(&h->cfg);
	free(h->cfg.instance);
	h->cfg.instance = xstrdup("unit");
	h->cfg.n_notify = 1;
	h->cfg.notify = xcalloc(1, sizeof *h->cfg.notify);
	h->cfg.notify[0].url = xstrdup(url);
	h->cfg.notify[0].format = f;
	h->cfg.notify[0].events = events;
	h->cfg.notify[0].secret = secret ? xstrdup(secret) : NULL;
	notify_configure(h->n, &h->cfg);
}

static void harness_stop(struct harness *h)
{
	notify_free(h->n);
	cmulti_free(h->cm);
	evloop_free(h->ev);
	config_clear(&h->cfg);
}

/* Runs the loop until cond() or ms pass; true when cond() held. */
static bool run_until(struct harness *h, bool (*cond)(void *), void *arg, int64_t ms)
{
	for (int64_t end = now_mono_ms() + ms; now_mono_ms() < end;) {
		if (cond(arg))
			return true;
		evloop_run_once(h->ev, 20);
	}
	return cond(arg);
}

struct want {
	struct receiver *r;
	struct harness *h;
	int n;
};
static bool got_n(void *arg)
{
	struct want *w = arg;
	struct notify_stats st;
	notify_get_stats(w->h->n, &st);
	return rx_count(w->r) >= w->n && st.queued == 0;
}

static void offer(struct harness *h, enum hist_kind k, uint64_t seq, const char *msg)
{
	struct hist_entry e = entry(k, msg, NULL);
	e.seq = seq;
	notify_offer(&e, h->n);
}

START_TEST(delivery_signed_in_order)
{
	struct receiver r;
	rx_start(&r);
	struct harness h;
	char *url = xasprintf("http://127.0.0.1:%d/hook", r.port);
	harness_start(&h, url, NOTIFY_JSON, "k3y", NOTIFY_ALL_EVENTS);
	offer(&h, HIST_VPN_UNAVAILABLE, 1, "vpn gluetun unavailable");
	offer(&h, HIST_ACTION_OK, 2, "not sent: no webhook event");
	offer(&h, HIST_VPN_AVAILABLE, 3, "vpn gluetun available");
	struct want w = { &r, &h, 2 };
	ck_assert(run_until(&h, got_n, &w, 5000));
	ck_assert_int_eq(rx_count(&r), 2);
	ck_assert_str_eq(r.events[0], "vpn_down");
	ck_assert_str_eq(r.events[1], "vpn_up");
	for (int i = 0; i < 2; i++) {
		char sig[NOTIFY_SIG_LEN];
		notify_signature("k3y", r.bodies[i], strlen(r.bodies[i]), sig);
		ck_assert_ptr_nonnull(r.sigs[i]);
		ck_assert_str_eq(r.sigs[i], sig);
	}
	struct notify_stats st;
	notify_get_stats(h.n, &st);
	ck_assert_uint_eq(st.sent, 2);
	ck_assert_uint_eq(st.failed_attempts, 0);
	ck_assert_int_ge(h.changed, 2);
	harness_stop(&h);
	rx_stop(&r);
	free(url);
}
END_TEST

START_TEST(delivery_retries_after_500_in_order)
{
	struct receiver r;
	rx_start(&r);
	r.statuses[0] = 500; /* first attempt of the first message */
	r.statuses[1] = 503; /* its second attempt */
	struct harness h;
	char *url = xasprintf("http://127.0.0.1:%d/", r.port);
	harness_start(&h, url, NOTIFY_TEXT, NULL, NOTIFY_VPN_DOWN | NOTIFY_PORT_CHANGED);
	int64_t t0 = now_mono_ms();
	offer(&h, HIST_VPN_UNAVAILABLE, 1, "down");
	offer(&h, HIST_VPN_AVAILABLE, 2, "not wanted by this target");
	offer(&h, HIST_PORT_CHANGED, 3, "port");
	struct want w = { &r, &h, 4 };
	ck_assert(run_until(&h, got_n, &w, 10000));
	/* 1 s then 2 s of back-off before the third attempt succeeded. */
	ck_assert_int_ge(now_mono_ms() - t0, 3000 - 100);
	ck_assert_int_eq(rx_count(&r), 4);
	/* The same message three times, then the next: order kept. */
	ck_assert_str_eq(r.bodies[0], "[unit] down");
	ck_assert_str_eq(r.bodies[2], "[unit] down");
	ck_assert_str_eq(r.bodies[3], "[unit] port");
	ck_assert_str_eq(r.titles[3], "ace-orchestrator unit: port_changed");
	ck_assert_ptr_null(r.sigs[0]); /* no secret_file: no signature */
	struct notify_stats st;
	notify_get_stats(h.n, &st);
	ck_assert_uint_eq(st.sent, 2);
	ck_assert_uint_eq(st.failed_attempts, 2);
	ck_assert_uint_eq(st.dropped_gave_up, 0);
	harness_stop(&h);
	rx_stop(&r);
	free(url);
}
END_TEST

static bool settled(void *arg)
{
	struct notify_stats st;
	notify_get_stats(((struct harness *)arg)->n, &st);
	return st.queued == 0;
}

START_TEST(delivery_4xx_dropped_for_good)
{
	struct receiver r;
	rx_start(&r);
	r.statuses[0] = 404; /* wrong URL or token: retrying cannot help */
	struct harness h;
	char *url = xasprintf("http://127.0.0.1:%d/", r.port);
	harness_start(&h, url, NOTIFY_GOTIFY, NULL, NOTIFY_ALL_EVENTS);
	offer(&h, HIST_CONFIG_REJECTED, 1, "config rejected");
	ck_assert(run_until(&h, settled, &h, 5000));
	struct notify_stats st;
	notify_get_stats(h.n, &st);
	ck_assert_int_eq(rx_count(&r), 1);
	ck_assert_uint_eq(st.dropped_gave_up, 1);
	ck_assert_uint_eq(st.sent, 0);
	harness_stop(&h);
	rx_stop(&r);
	free(url);
}
END_TEST

/* A Docker event arrives inside a write callback of the events stream,
 * a transfer on the same multi: the offer made there must still go out. */
struct inside {
	struct harness *h;
	int offered;
};
static size_t offer_inside(char *p, size_t size, size_t nm, void *ud)
{
	struct inside *in = ud;
	(void)p;
	if (!in->offered++) {
		struct hist_entry e = entry(HIST_VPN_UNAVAILABLE, "from a callback", NULL);
		notify_offer(&e, in->h->n);
	}
	return size * nm;
}
static void get_done(CURL *easy, CURLcode res, void *ud)
{
	(void)res;
	(void)ud;
	curl_easy_cleanup(easy);
}

START_TEST(offer_from_inside_a_transfer_callback)
{
	struct receiver r;
	rx_start(&r);
	struct harness h;
	char *url = xasprintf("http://127.0.0.1:%d/hook", r.port);
	harness_start(&h, url, NOTIFY_JSON, NULL, NOTIFY_ALL_EVENTS);
	struct inside in = { &h, 0 };
	CURL *easy = curl_easy_init();
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, offer_inside);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, &in);
	ck_assert_int_eq(cmulti_add(h.cm, easy, get_done, NULL), 0);
	struct want w = { &r, &h, 2 }; /* the GET, then the webhook */
	ck_assert(run_until(&h, got_n, &w, 5000));
	struct notify_stats st;
	notify_get_stats(h.n, &st);
	ck_assert_int_eq(in.offered, 1);
	ck_assert_uint_eq(st.sent, 1);
	ck_assert_uint_eq(st.dropped_gave_up, 0);
	harness_stop(&h);
	rx_stop(&r);
	free(url);
}
END_TEST

START_TEST(action_failure_sent_once_per_streak)
{
	/* A create failing on every back-off step is one message, not one per
	 * attempt; another object or another error is news. */
	struct harness h;
	harness_start(&h, "http://127.0.0.1:9/", NOTIFY_JSON, NULL, NOTIFY_ALL_EVENTS);
	struct hist_entry e = entry(HIST_ACTION_FAILED, "create x failed", "HTTP 409: name taken");
	e.object = (char *)"acestream-19000";
	notify_offer(&e, h.n);
	notify_offer(&e, h.n);
	notify_offer(&e, h.n);
	struct notify_stats st;
	notify_get_stats(h.n, &st);
	ck_assert_uint_eq(st.queued, 1);
	e.object = (char *)"acestream-19001";
	notify_offer(&e, h.n);
	e.error = (char *)"HTTP 500: no space left";
	notify_offer(&e, h.n);
	notify_get_stats(h.n, &st);
	ck_assert_uint_eq(st.queued, 3);
	/* Other events are never held back. */
	struct hist_entry d = entry(HIST_VPN_UNAVAILABLE, "down", NULL);
	notify_offer(&d, h.n);
	notify_offer(&d, h.n);
	notify_get_stats(h.n, &st);
	ck_assert_uint_eq(st.queued, 5);
	harness_stop(&h);
}
END_TEST

START_TEST(queue_bounded_oldest_dropped)
{
	/* Nothing listens on the port: every attempt fails, the queue fills. */
	struct harness h;
	harness_start(&h, "http://127.0.0.1:9/", NOTIFY_JSON, NULL, NOTIFY_ALL_EVENTS);
	for (int i = 0; i < NOTIFY_QUEUE_MAX + 10; i++)
		offer(&h, HIST_VPN_UNAVAILABLE, (uint64_t)i + 1, "down");
	struct notify_stats st;
	notify_get_stats(h.n, &st);
	ck_assert_uint_eq(st.queued, NOTIFY_QUEUE_MAX);
	ck_assert_uint_eq(st.dropped_full, 10);
	/* The loop never waits on the receiver: offering returned at once. */
	harness_stop(&h);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("notify");
	TCase *t = tcase_create("format");
	tcase_add_test(t, events_sent_for);
	tcase_add_test(t, formats);
	tcase_add_test(t, discord_content_clipped_on_utf8_boundary);
	tcase_add_test(t, signature_rfc4231);
	tcase_add_test(t, signature_matches_openssl_dgst);
	suite_add_tcase(s, t);
	t = tcase_create("delivery");
	tcase_set_timeout(t, 30);
	tcase_add_test(t, delivery_signed_in_order);
	tcase_add_test(t, delivery_retries_after_500_in_order);
	tcase_add_test(t, delivery_4xx_dropped_for_good);
	tcase_add_test(t, offer_from_inside_a_transfer_callback);
	tcase_add_test(t, action_failure_sent_once_per_streak);
	tcase_add_test(t, queue_bounded_oldest_dropped);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	SRunner *r = srunner_create(suite());
	srunner_run_all(r, CK_NORMAL);
	int failed = srunner_ntests_failed(r);
	srunner_free(r);
	curl_global_cleanup();
	return failed ? 1 : 0;
}
