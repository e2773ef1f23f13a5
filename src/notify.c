/* notify.c - webhook delivery on the loop's curl multi: a bounded FIFO, one
 * transfer per target at a time (in order), exponential back-off per target. */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "cmulti.h"
#include "evloop.h"
#include "http.h"
#include "log.h"
#include "notify.h"
#include "util.h"

/* One notify[] entry as configured when its messages were made. */
struct ntarget {
	char *url;
	char redacted[128]; /* what logs show: the URL may hold a token */
	unsigned events;
	enum notify_format format;
	char *secret;
};

/* Per URL: deliveries go one at a time, in order, and a failing receiver
 * backs off as a whole (one log line per step, not one per message). */
struct nhost {
	char *url;
	char redacted[128];
	bool in_flight;
	unsigned step;      /* failed attempts in a row */
	int64_t next_ms;    /* monotonic: no attempt before */
	struct nhost *next;
};

struct delivery {
	struct notifier *n;
	struct nhost *host;
	char *body;
	size_t len;
	struct curl_slist *headers;
	char event[32];
	uint64_t seq;
	unsigned attempts;
	CURL *easy;         /* while in flight */
	char errbuf[CURL_ERROR_SIZE];
	struct delivery *prev, *next;
};

/* A failing action is retried with back-off (rule 9) and fails again the
 * same way: one message per object and error within NOTIFY_REPEAT_MS. */
#define NOTIFY_REPEAT_MS (10 * 60 * 1000)
#define NOTIFY_REPEAT_SLOTS 64
struct nrepeat {
	uint64_t key;
	int64_t at_ms; /* monotonic; 0 = free */
};

struct notifier {
	struct evloop *ev;
	struct cmulti *cm;
	struct ev_timer retry;
	void (*changed)(void *ud);
	void *ud;
	char *instance;
	struct ntarget *targets;
	size_t n_targets;
	struct nhost *hosts;
	struct delivery *head, *tail; /* FIFO, oldest first */
	struct notify_stats st;
	struct nrepeat repeat[NOTIFY_REPEAT_SLOTS];
};

static void ntargets_free(struct notifier *n)
{
	for (size_t i = 0; i < n->n_targets; i++) {
		free(n->targets[i].url);
		free(n->targets[i].secret);
	}
	free(n->targets);
	n->targets = NULL;
	n->n_targets = 0;
}

static struct nhost *host_get(struct notifier *n, const char *url, const char *redacted)
{
	for (struct nhost *h = n->hosts; h; h = h->next)
		if (str_eq(h->url, url))
			return h;
	struct nhost *h = xcalloc(1, sizeof *h);
	h->url = xstrdup(url);
	sbuf_printf(h->redacted, sizeof h->redacted, "%s", redacted);
	h->next = n->hosts;
	n->hosts = h;
	return h;
}

static void changed(struct notifier *n)
{
	if (n->changed)
		n->changed(n->ud);
}

static void unlink_delivery(struct notifier *n, struct delivery *d)
{
	if (d->prev)
		d->prev->next = d->next;
	else
		n->head = d->next;
	if (d->next)
		d->next->prev = d->prev;
	else
		n->tail = d->prev;
	n->st.queued--;
}

static void delivery_free(struct notifier *n, struct delivery *d)
{
	if (d->easy) {
		cmulti_remove(n->cm, d->easy);
		curl_easy_cleanup(d->easy);
	}
	curl_slist_free_all(d->headers);
	free(d->body);
	free(d);
}

static void pump(struct notifier *n);

static int64_t backoff_ms(unsigned step)
{
	int64_t ms = NOTIFY_BACKOFF_MIN_MS;
	for (unsigned i = 1; i < step && ms < NOTIFY_BACKOFF_MAX_MS; i++)
		ms *= 2;
	return ms > NOTIFY_BACKOFF_MAX_MS ? NOTIFY_BACKOFF_MAX_MS : ms;
}

static void finished(CURL *easy, CURLcode res, void *ud)
{
	struct delivery *d = ud;
	struct notifier *n = d->n;
	long code = 0;
	if (res == CURLE_OK)
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(easy);
	d->easy = NULL;
	struct nhost *h = d->host;
	h->in_flight = false;
	d->attempts++;
	if (res == CURLE_OK && code >= 200 && code < 300) {
		if (h->step)
			log_info("notify: webhook delivering again", "url", h->redacted,
				 "after_failures", LOG_INT(h->step));
		h->step = 0;
		h->next_ms = 0;
		n->st.sent++;
		unlink_delivery(n, d);
		delivery_free(n, d);
		changed(n);
		ev_timer_soon(&n->retry, 0);
		return;
	}
	char why[CURL_ERROR_SIZE + 32];
	if (res != CURLE_OK)
		sbuf_printf(why, sizeof why, "%s", d->errbuf[0] ? d->errbuf : curl_easy_strerror(res));
	else
		sbuf_printf(why, sizeof why, "HTTP %ld", code);
	n->st.failed_attempts++;
	/* A 4xx other than a timeout or a rate limit will not change by
	 * itself: the URL or its token is wrong. */
	bool permanent = res == CURLE_OK && code >= 400 && code < 500 && code != 408 &&
			 code != 425 && code != 429;
	h->step++;
	int64_t wait = backoff_ms(h->step);
	h->next_ms = now_mono_ms() + wait;
	if (permanent || d->attempts >= NOTIFY_MAX_ATTEMPTS) {
		log_warn("notify: webhook failed; event dropped", "url", h->redacted,
			 "event", d->event, "seq", LOG_INT((long long)d->seq), "error", why,
			 "attempts", LOG_INT(d->attempts));
		n->st.dropped_gave_up++;
		unlink_delivery(n, d);
		delivery_free(n, d);
	} else {
		log_warn("notify: webhook failed; retrying", "url", h->redacted, "event", d->event,
			 "error", why, "attempt", LOG_INT(d->attempts), "retry_in_ms", LOG_INT(wait));
	}
	changed(n);
	ev_timer_soon(&n->retry, 0);
}

static int start(struct notifier *n, struct delivery *d)
{
	CURL *easy = curl_easy_init();
	if (!easy)
		return -1;
	d->errbuf[0] = '\0';
	curl_easy_setopt(easy, CURLOPT_URL, d->host->url);
	curl_easy_setopt(easy, CURLOPT_POST, 1L);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDS, d->body);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)d->len);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, d->headers);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, http_discard);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, d->errbuf);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)NOTIFY_TIMEOUT_MS);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, (long)NOTIFY_TIMEOUT_MS / 2);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(easy, CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
	if (cmulti_add(n->cm, easy, finished, d) != 0) {
		curl_easy_cleanup(easy);
		return -1;
	}
	d->easy = easy;
	d->host->in_flight = true;
	return 0;
}

/* Starts what may start: the oldest message of each receiver that is not
 * busy or backing off; arms the timer for the earliest back-off. */
static void pump(struct notifier *n)
{
	int64_t now = now_mono_ms();
	int64_t wake = -1;
	struct delivery *d = n->head;
	while (d) {
		struct delivery *next = d->next;
		struct nhost *h = d->host;
		bool first = true; /* the oldest queued for its host? */
		for (struct delivery *p = d->prev; p && first; p = p->prev)
			first = p->host != h;
		if (first && !h->in_flight && !d->easy) {
			if (h->next_ms > now) {
				if (wake < 0 || h->next_ms - now < wake)
					wake = h->next_ms - now;
			} else if (start(n, d) != 0) {
				log_warn("notify: cannot start a transfer; event dropped", "url",
					 h->redacted, "event", d->event);
				n->st.dropped_gave_up++;
				unlink_delivery(n, d);
				delivery_free(n, d);
			}
		}
		d = next;
	}
	ev_timer_arm(&n->retry, wake, 0);
}

static void on_retry(struct ev_timer *t)
{
	pump(t->ud);
}

struct notifier *notify_new(struct evloop *ev, struct cmulti *cm, void (*fn)(void *ud), void *ud)
{
	struct notifier *n = xcalloc(1, sizeof *n);
	n->ev = ev;
	n->cm = cm;
	n->changed = fn;
	n->ud = ud;
	n->instance = xstrdup("");
	ev_timer_init(ev, &n->retry, on_retry, n);
	return n;
}

void notify_free(struct notifier *n)
{
	if (!n)
		return;
	while (n->head) {
		struct delivery *d = n->head;
		unlink_delivery(n, d);
		delivery_free(n, d);
	}
	while (n->hosts) {
		struct nhost *h = n->hosts;
		n->hosts = h->next;
		free(h->url);
		free(h);
	}
	ntargets_free(n);
	free(n->instance);
	ev_timer_close(n->ev, &n->retry);
	free(n);
}

void notify_configure(struct notifier *n, const struct config *cfg)
{
	ntargets_free(n);
	free(n->instance);
	n->instance = xstrdup(cfg->instance ? cfg->instance : "default");
	n->n_targets = cfg->n_notify;
	n->targets = xcalloc(cfg->n_notify ? cfg->n_notify : 1, sizeof *n->targets);
	for (size_t i = 0; i < cfg->n_notify; i++) {
		const struct notify_decl *d = &cfg->notify[i];
		struct ntarget *t = &n->targets[i];
		t->url = xstrdup(d->url);
		config_url_redacted(d->url, t->redacted, sizeof t->redacted);
		t->events = d->events;
		t->format = d->format;
		t->secret = d->secret ? xstrdup(d->secret) : NULL;
	}
}

static void enqueue(struct notifier *n, const struct ntarget *t, const struct hist_entry *e,
		    unsigned ev)
{
	struct notify_msg m;
	notify_render(t->format, e, ev, n->instance, &m);
	struct delivery *d = xcalloc(1, sizeof *d);
	d->n = n;
	d->host = host_get(n, t->url, t->redacted);
	d->body = m.body;
	d->len = m.len;
	d->seq = e->seq;
	sbuf_printf(d->event, sizeof d->event, "%s", notify_event_str(ev));
	char *h = xasprintf("Content-Type: %s", m.content_type);
	d->headers = curl_slist_append(d->headers, h);
	free(h);
	h = xasprintf("X-Ace-Event: %s", d->event);
	d->headers = curl_slist_append(d->headers, h);
	free(h);
	if (t->format == NOTIFY_TEXT) {
		/* ntfy's headers; other receivers of plain text ignore them. */
		h = xasprintf("Title: %s", m.title);
		d->headers = curl_slist_append(d->headers, h);
		free(h);
		h = xasprintf("Priority: %s", m.priority);
		d->headers = curl_slist_append(d->headers, h);
		free(h);
		h = xasprintf("Tags: %s", m.tags);
		d->headers = curl_slist_append(d->headers, h);
		free(h);
	}
	if (t->secret) {
		char sig[NOTIFY_SIG_LEN];
		if (notify_signature(t->secret, d->body, d->len, sig) == 0) {
			h = xasprintf("X-Ace-Signature: %s", sig);
			d->headers = curl_slist_append(d->headers, h);
			free(h);
		}
	}
	/* libcurl would add "Expect: 100-continue" to larger bodies and wait
	 * for an answer many small receivers never send. */
	d->headers = curl_slist_append(d->headers, "Expect:");
	m.body = NULL;
	notify_msg_free(&m);

	/* Bounded: the oldest message not on the wire makes room. */
	if (n->st.queued >= NOTIFY_QUEUE_MAX) {
		struct delivery *old = n->head;
		while (old && old->easy)
			old = old->next;
		if (old) {
			/* The first drop of a burst and every 100th: a receiver
			 * down for hours must not flood the log. */
			if (n->st.dropped_full % 100 == 0)
				log_warn("notify: queue full; oldest event dropped", "url",
					 old->host->redacted, "event", old->event,
					 "dropped_total", LOG_INT((long long)n->st.dropped_full + 1));
			n->st.dropped_full++;
			unlink_delivery(n, old);
			delivery_free(n, old);
		}
	}
	d->prev = n->tail;
	if (n->tail)
		n->tail->next = d;
	else
		n->head = d;
	n->tail = d;
	n->st.queued++;
}

/* True when the same action failure (object and error) was offered within
 * NOTIFY_REPEAT_MS; remembers this one either way. */
static bool repeated(struct notifier *n, const struct hist_entry *e)
{
	const char *obj = e->object ? e->object : "";
	uint64_t k = fnv1a64(FNV1A64_INIT, obj, strlen(obj) + 1);
	k = fnv1a64(k, e->error ? e->error : "", e->error ? strlen(e->error) : 0);
	int64_t now = now_mono_ms();
	struct nrepeat *oldest = &n->repeat[0];
	for (size_t i = 0; i < NOTIFY_REPEAT_SLOTS; i++) {
		struct nrepeat *r = &n->repeat[i];
		if (r->at_ms && r->key == k && now - r->at_ms < NOTIFY_REPEAT_MS)
			return true;
		if (r->at_ms < oldest->at_ms)
			oldest = r;
	}
	oldest->key = k;
	oldest->at_ms = now;
	return false;
}

void notify_offer(const struct hist_entry *e, void *ud)
{
	struct notifier *n = ud;
	unsigned ev = notify_event_of(e);
	if (!ev || !n->n_targets)
		return;
	if (ev == NOTIFY_ACTION_FAILED && repeated(n, e)) {
		log_debug("notify: same failure sent less than 10 min ago; not sent again",
			  "object", e->object, "seq", LOG_INT((long long)e->seq));
		return;
	}
	bool any = false;
	for (size_t i = 0; i < n->n_targets; i++) {
		if (n->targets[i].events & ev) {
			enqueue(n, &n->targets[i], e, ev);
			any = true;
		}
	}
	/* Started from the loop, not from here: an offer can come from inside
	 * a callback of a transfer on the same curl multi (a Docker event read
	 * from the events stream), where curl refuses new handles
	 * (CURLM_RECURSIVE_API_CALL). No changed() either: offers come from
	 * inside the loop's publication, which reads the stats afterwards. */
	if (any)
		ev_timer_soon(&n->retry, 0);
}

void notify_get_stats(const struct notifier *n, struct notify_stats *out)
{
	*out = n ? n->st : (struct notify_stats){ 0 };
}
