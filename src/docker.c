/* docker.c - Docker Engine API calls over libcurl (unix socket or tcp): API
 * version negotiation, container calls and the incremental events stream. */
#include "config-auto.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmulti.h"
#include "docker.h"
#include "http.h"
#include "util.h"

struct docker {
	char *host;      /* as configured, for messages */
	char *sock_path; /* unix socket, or NULL for tcp */
	char *base;      /* "http://localhost", "http://HOST:PORT" or "https://..." */
	char *ca, *cert, *key; /* TLS files, NULL for plain http */
	char version[16]; /* negotiated "1.41"; "" until then */
	long connect_ms;
	long total_ms;
	/* One easy handle per client, run on the client's own multi handle so
	 * that a blocking call can be cancelled (cancel_fd): curl keeps the
	 * connection alive between calls, so a pass costs no reconnects. */
	CURL *easy;
	CURLM *multi;
	int cancel_fd; /* readable = give up every call now; -1 = none */
	struct strbuf resp;
	char curl_err[CURL_ERROR_SIZE];
};

/* Every request made to any Docker daemon by this process: the one
 * process-wide number, for the orch_docker_requests_total metric and the
 * "Docker calls per minute" benchmark. Only ever incremented. */
static atomic_uint_fast64_t requests_total;

uint64_t docker_requests_total(void)
{
	return atomic_load(&requests_total);
}

int docker_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void docker_global_cleanup(void)
{
	curl_global_cleanup();
}

static void set_err(struct docker_err *err, long status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_err(struct docker_err *err, long status, const char *fmt, ...)
{
	if (!err)
		return;
	va_list ap;
	err->http_status = status;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

struct docker *docker_new(const char *host, struct docker_err *err)
{
	return docker_new_tls(host, NULL, err);
}

struct docker *docker_new_tls(const char *host, const struct docker_tls_files *tls,
			      struct docker_err *err)
{
	struct docker *d = xcalloc(1, sizeof(*d));
	const char *scheme = tls ? "https" : "http";
	d->connect_ms = 2000;
	d->total_ms = 10000;
	d->cancel_fd = -1;
	if (!host || !*host)
		host = "unix:///var/run/docker.sock";
	d->host = xstrdup(host);
	if (str_startswith(host, "unix://")) {
		if (tls) {
			set_err(err, 0, "docker host %s: TLS needs a tcp:// host", host);
			goto fail;
		}
		if (!host[7]) {
			set_err(err, 0, "docker host %s: empty socket path", host);
			goto fail;
		}
		d->sock_path = xstrdup(host + 7);
		d->base = xstrdup("http://localhost");
	} else if (str_startswith(host, "tcp://") || str_startswith(host, "http://")) {
		/* libcurl's URL parser, not ours: IPv6 literals, ports, junk. */
		char *hp = xasprintf("http://%s", strstr(host, "://") + 3);
		CURLU *u = curl_url();
		char *h = NULL, *port = NULL;
		CURLUcode uc = curl_url_set(u, CURLUPART_URL, hp, 0);
		if (uc == CURLUE_OK)
			uc = curl_url_get(u, CURLUPART_HOST, &h, 0);
		if (uc == CURLUE_OK && curl_url_get(u, CURLUPART_PORT, &port, 0) != CURLUE_OK)
			port = NULL;
		/* Docker's own defaults when no port is written (docker CLI). */
		if (uc == CURLUE_OK && h && *h)
			d->base = xasprintf("%s://%s:%s", scheme, h, port ? port : tls ? "2376" : "2375");
		else
			set_err(err, 0, "docker host %s: %s", host,
				uc == CURLUE_OK ? "no address" : curl_url_strerror(uc));
		curl_free(h);
		curl_free(port);
		curl_url_cleanup(u);
		free(hp);
		if (!d->base)
			goto fail;
	} else {
		set_err(err, 0, "docker host %s: want unix:///path or tcp://host:port", host);
		goto fail;
	}
	if (tls) {
		d->ca = tls->ca ? xstrdup(tls->ca) : NULL;
		d->cert = tls->cert ? xstrdup(tls->cert) : NULL;
		d->key = tls->key ? xstrdup(tls->key) : NULL;
	}
	d->easy = curl_easy_init();
	d->multi = curl_multi_init();
	if (!d->easy || !d->multi) {
		set_err(err, 0, "curl init failed");
		goto fail;
	}
	return d;
fail:
	docker_free(d);
	return NULL;
}

void docker_free(struct docker *d)
{
	if (!d)
		return;
	if (d->easy)
		curl_easy_cleanup(d->easy);
	if (d->multi)
		curl_multi_cleanup(d->multi);
	strbuf_free(&d->resp);
	free(d->host);
	free(d->sock_path);
	free(d->base);
	free(d->ca);
	free(d->cert);
	free(d->key);
	free(d);
}

void docker_set_timeouts(struct docker *d, long connect_ms, long total_ms)
{
	d->connect_ms = connect_ms;
	d->total_ms = total_ms;
}

void docker_set_cancel_fd(struct docker *d, int fd)
{
	d->cancel_fd = fd;
}

const char *docker_host(const struct docker *d)
{
	return d->host;
}

const char *docker_api_version(const struct docker *d)
{
	return d->version;
}

bool docker_err_not_found(const struct docker_err *err)
{
	return err && err->http_status == 404;
}

/* Options every request shares, easy or multi. */
static void setup_handle(struct docker *d, CURL *e, const char *url, char *errbuf)
{
	curl_easy_setopt(e, CURLOPT_URL, url);
	if (d->sock_path)
		curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, d->sock_path);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, d->connect_ms);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L); /* no SIGALRM in a daemon */
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, d->ca || d->cert ? "https" : "http");
	if (d->ca || d->cert) {
		/* As `docker --tlsverify`: the given CA alone is trusted (not the
		 * system store), and the daemon's certificate must name the host. */
		curl_easy_setopt(e, CURLOPT_CAINFO, d->ca);
		curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
		curl_easy_setopt(e, CURLOPT_SSLCERT, d->cert);
		curl_easy_setopt(e, CURLOPT_SSLKEY, d->key);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	}
	errbuf[0] = '\0';
}

/* Docker's error bodies are {"message":"..."}; fall back to the raw text. */
static void http_error(struct docker_err *err, long status, const char *what,
		       const char *body, size_t len)
{
	char msg[200] = "";
	cJSON *root = len ? cJSON_ParseWithLength(body, len) : NULL;
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, "message");
	if (cJSON_IsString(m) && m->valuestring)
		sbuf_printf(msg, sizeof(msg), "%s", m->valuestring);
	else
		http_snippet(msg, sizeof(msg), body ? body : "", len);
	cJSON_Delete(root);
	set_err(err, status, "%s: HTTP %ld: %s", what, status, msg);
}

static bool cancelled(const struct docker *d)
{
	if (d->cancel_fd < 0)
		return false;
	struct pollfd p = { .fd = d->cancel_fd, .events = POLLIN };
	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* curl_easy_perform, but on the client's multi handle, waking up when
 * cancel_fd becomes readable: a daemon told to stop must not sit out a
 * 10 s `docker stop`. */
static CURLcode perform(struct docker *d, CURL *e)
{
	if (cancelled(d))
		return CURLE_ABORTED_BY_CALLBACK;
	atomic_fetch_add(&requests_total, 1);
	if (curl_multi_add_handle(d->multi, e) != CURLM_OK)
		return CURLE_FAILED_INIT;
	CURLcode cc = CURLE_OK;
	for (;;) {
		int still = 0, n = 0;
		if (curl_multi_perform(d->multi, &still) != CURLM_OK) {
			cc = CURLE_FAILED_INIT;
			break;
		}
		if (!still) {
			int left;
			CURLMsg *m;
			while ((m = curl_multi_info_read(d->multi, &left)))
				if (m->msg == CURLMSG_DONE && m->easy_handle == e)
					cc = m->data.result;
			break;
		}
		struct curl_waitfd w = { .fd = d->cancel_fd, .events = CURL_WAIT_POLLIN };
		curl_multi_poll(d->multi, d->cancel_fd >= 0 ? &w : NULL, d->cancel_fd >= 0 ? 1 : 0,
				1000, &n);
		if (d->cancel_fd >= 0 && (w.revents & CURL_WAIT_POLLIN)) {
			cc = CURLE_ABORTED_BY_CALLBACK;
			break;
		}
	}
	curl_multi_remove_handle(d->multi, e);
	return cc;
}

/* One blocking request; on success the body is in d->resp and the status is
 * returned through *status (2xx/3xx). what names the call in messages. */
static int request(struct docker *d, const char *method, const char *path,
		   bool versioned, const char *body, long timeout_ms,
		   const char *what, long *status, struct docker_err *err);

static int negotiate(struct docker *d, struct docker_err *err)
{
	if (d->version[0])
		return 0;
	long st;
	if (request(d, "GET", "/version", false, NULL, d->total_ms, "version", &st, err) < 0)
		return -1;
	char msg[128];
	if (docker_parse_version(d->resp.data, d->resp.len, d->version,
				 sizeof(d->version), msg, sizeof(msg)) < 0) {
		d->version[0] = '\0';
		set_err(err, 0, "docker %s: %s", d->host, msg);
		return -1;
	}
	return 0;
}

int docker_negotiate(struct docker *d, struct docker_err *err)
{
	return negotiate(d, err);
}

void docker_forget_version(struct docker *d)
{
	d->version[0] = '\0';
}

static int request(struct docker *d, const char *method, const char *path,
		   bool versioned, const char *body, long timeout_ms,
		   const char *what, long *status, struct docker_err *err)
{
	if (versioned && negotiate(d, err) < 0)
		return -1;
	char *url = versioned ? xasprintf("%s/v%s%s", d->base, d->version, path)
			      : xasprintf("%s%s", d->base, path);
	struct curl_slist *hdrs = NULL;
	int rc = -1;
	CURL *e = d->easy;
	curl_easy_reset(e);
	setup_handle(d, e, url, d->curl_err);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
	strbuf_reset(&d->resp);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_buf_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &d->resp);
	if (strcmp(method, "GET") != 0)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	if (body) {
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	} else if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
	}
	CURLcode cc = perform(d, e);
	if (cc != CURLE_OK) {
		if (cc == CURLE_ABORTED_BY_CALLBACK)
			set_err(err, 0, "%s: docker %s: cancelled (the daemon is stopping)", what, d->host);
		else
			set_err(err, 0, "%s: docker %s: %s", what, d->host,
				d->curl_err[0] ? d->curl_err : curl_easy_strerror(cc));
		/* A daemon restarted in between may speak another version. */
		d->version[0] = '\0';
		goto out;
	}
	long st = 0;
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &st);
	if (st >= 400 || st < 200) {
		http_error(err, st, what, d->resp.data, d->resp.len);
		goto out;
	}
	if (!d->resp.data)
		strbuf_add(&d->resp, "", 0);
	*status = st;
	rc = 0;
out:
	curl_slist_free_all(hdrs);
	free(url);
	return rc;
}

/* Container IDs and names go into the path: escape whatever they hold. */
static char *escape(struct docker *d, const char *s)
{
	char *e = curl_easy_escape(d->easy, s, 0);
	char *r = xstrdup(e ? e : "");
	curl_free(e);
	return r;
}

int docker_list(struct docker *d, const char *label, struct docker_list *out,
		struct docker_err *err)
{
	memset(out, 0, sizeof(*out));
	char *path;
	if (label) {
		cJSON *f = cJSON_CreateObject();
		cJSON *arr = cJSON_AddArrayToObject(f, "label");
		cJSON_AddItemToArray(arr, cJSON_CreateString(label));
		char *json = cJSON_PrintUnformatted(f);
		cJSON_Delete(f);
		if (!json)
			fatal("out of memory (cJSON)");
		char *q = escape(d, json);
		cJSON_free(json);
		path = xasprintf("/containers/json?all=1&filters=%s", q);
		free(q);
	} else {
		path = xstrdup("/containers/json?all=1");
	}
	long st;
	int rc = request(d, "GET", path, true, NULL, d->total_ms, "list containers", &st, err);
	free(path);
	if (rc < 0)
		return -1;
	char msg[128];
	if (docker_parse_list(d->resp.data, d->resp.len, out, msg, sizeof(msg)) < 0) {
		set_err(err, 0, "list containers: %s", msg);
		return -1;
	}
	return 0;
}

int docker_inspect(struct docker *d, const char *id_or_name,
		   struct docker_inspect *out, struct docker_err *err)
{
	memset(out, 0, sizeof(*out));
	char *q = escape(d, id_or_name);
	char *path = xasprintf("/containers/%s/json", q);
	char *what = xasprintf("inspect %s", id_or_name);
	long st;
	int rc = request(d, "GET", path, true, NULL, d->total_ms, what, &st, err);
	if (rc == 0) {
		char msg[128];
		if (docker_parse_inspect(d->resp.data, d->resp.len, out, msg, sizeof(msg)) < 0) {
			set_err(err, 0, "%s: %s", what, msg);
			rc = -1;
		}
	}
	free(q);
	free(path);
	free(what);
	return rc;
}

static cJSON *str_array(const char *const *v, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v[i] ? v[i] : ""));
	return a;
}

static char *create_body(const struct docker_create_spec *s)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "Image", s->image);
	cJSON_AddItemToObject(root, "Env", str_array(s->env, s->n_env));
	if (s->n_cmd)
		cJSON_AddItemToObject(root, "Cmd", str_array(s->cmd, s->n_cmd));
	cJSON *labels = cJSON_AddObjectToObject(root, "Labels");
	for (size_t i = 0; i < s->n_labels; i++)
		cJSON_AddStringToObject(labels, s->labels[2 * i],
					s->labels[2 * i + 1] ? s->labels[2 * i + 1] : "");
	if (s->stop_timeout_s > 0)
		cJSON_AddNumberToObject(root, "StopTimeout", s->stop_timeout_s);
	cJSON *hc = cJSON_AddObjectToObject(root, "HostConfig");
	if (s->network_mode)
		cJSON_AddStringToObject(hc, "NetworkMode", s->network_mode);
	if (s->memory_bytes > 0)
		cJSON_AddNumberToObject(hc, "Memory", (double)s->memory_bytes);
	/* The daemon supervises its engines: Docker must not start one on its
	 * own (at boot an engine restarted before its VPN fails with "cannot
	 * join network of a non running container" and Docker keeps trying).
	 * After a reboot the daemon starts or re-creates them once their VPN
	 * runs (SPEC §2). */
	cJSON *rp = cJSON_AddObjectToObject(hc, "RestartPolicy");
	cJSON_AddStringToObject(rp, "Name", "no");
	const char *secopt = "no-new-privileges";
	cJSON_AddItemToObject(hc, "SecurityOpt", str_array(&secopt, 1));
	if (s->container_port > 0) {
		/* Docker rejects published ports with NetworkMode container:, so
		 * this is the no-VPN mode only; the caller knows which it is in. */
		char key[32], hp[16];
		sbuf_printf(key, sizeof(key), "%d/tcp", s->container_port);
		sbuf_printf(hp, sizeof(hp), "%d", s->host_port > 0 ? s->host_port : s->container_port);
		cJSON_AddObjectToObject(cJSON_AddObjectToObject(root, "ExposedPorts"), key);
		cJSON *pb = cJSON_AddObjectToObject(hc, "PortBindings");
		cJSON *arr = cJSON_AddArrayToObject(pb, key);
		cJSON *b = cJSON_CreateObject();
		cJSON_AddStringToObject(b, "HostIp", s->host_ip ? s->host_ip : "");
		cJSON_AddStringToObject(b, "HostPort", hp);
		cJSON_AddItemToArray(arr, b);
	}
	char *json = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (!json)
		fatal("out of memory (cJSON)");
	char *r = xstrdup(json);
	cJSON_free(json);
	return r;
}

int docker_create(struct docker *d, const struct docker_create_spec *s,
		  char *id, size_t idlen, struct docker_err *err)
{
	if (!s->name || !s->image) {
		set_err(err, 0, "create: name and image are required");
		return -1;
	}
	char *body = create_body(s);
	char *q = escape(d, s->name);
	char *path = xasprintf("/containers/create?name=%s", q);
	char *what = xasprintf("create %s", s->name);
	long st;
	int rc = request(d, "POST", path, true, body, d->total_ms, what, &st, err);
	if (rc == 0) {
		cJSON *root = cJSON_ParseWithLength(d->resp.data, d->resp.len);
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "Id");
		if (cJSON_IsString(v) && v->valuestring && *v->valuestring) {
			sbuf_printf(id, idlen, "%s", v->valuestring);
		} else {
			set_err(err, 0, "%s: answer has no Id", what);
			rc = -1;
		}
		cJSON_Delete(root);
	}
	free(body);
	free(q);
	free(path);
	free(what);
	return rc;
}

/* POST/DELETE on /containers/{id}{suffix}: start, stop, restart, remove. */
static int container_op(struct docker *d, const char *method, const char *id,
			const char *suffix, const char *verb, long timeout_ms,
			struct docker_err *err)
{
	char *q = escape(d, id);
	char *path = xasprintf("/containers/%s%s", q, suffix);
	char *what = xasprintf("%s %s", verb, id);
	long st;
	int rc = request(d, method, path, true, NULL, timeout_ms, what, &st, err);
	free(q);
	free(path);
	free(what);
	return rc;
}

int docker_start(struct docker *d, const char *id, struct docker_err *err)
{
	return container_op(d, "POST", id, "/start", "start", d->total_ms, err);
}

/* Docker waits up to t seconds before SIGKILL; the request must outlive it. */
static long op_timeout(const struct docker *d, int timeout_s)
{
	return (long)(timeout_s > 0 ? timeout_s : 10) * 1000 + d->total_ms;
}

int docker_stop(struct docker *d, const char *id, int timeout_s, struct docker_err *err)
{
	char sfx[32];
	sbuf_printf(sfx, sizeof(sfx), "/stop?t=%d", timeout_s < 0 ? 0 : timeout_s);
	return container_op(d, "POST", id, sfx, "stop", op_timeout(d, timeout_s), err);
}

int docker_restart(struct docker *d, const char *id, int timeout_s, struct docker_err *err)
{
	char sfx[32];
	sbuf_printf(sfx, sizeof(sfx), "/restart?t=%d", timeout_s < 0 ? 0 : timeout_s);
	return container_op(d, "POST", id, sfx, "restart", op_timeout(d, timeout_s), err);
}

int docker_remove(struct docker *d, const char *id, struct docker_err *err)
{
	return container_op(d, "DELETE", id, "?force=1&v=1", "remove", op_timeout(d, 10), err);
}

int docker_remove_unstarted(struct docker *d, const char *id, struct docker_err *err)
{
	return container_op(d, "DELETE", id, "?force=1&v=1", "remove", d->total_ms, err);
}

int docker_rename(struct docker *d, const char *id, const char *name, struct docker_err *err)
{
	char *q = escape(d, name);
	char *sfx = xasprintf("/rename?name=%s", q);
	int rc = container_op(d, "POST", id, sfx, "rename", d->total_ms, err);
	free(q);
	free(sfx);
	return rc;
}

/* ---- events stream ---------------------------------------------------- */

struct docker_events {
	struct docker *d;
	struct cmulti *cm;
	CURL *easy;
	struct docker_events_cbs cbs;
	struct strbuf line;   /* bytes after the last newline delivered */
	size_t scanned;       /* of line: bytes already searched for '\n' */
	bool skipping;        /* dropping an over-long line until its '\n' */
	int64_t last_ns;      /* timeNano of the last event delivered */
	bool running;
	long status;          /* HTTP status once known */
	struct docker_err end; /* why it ended */
	char curl_err[CURL_ERROR_SIZE];
};

static void deliver_line(struct docker_events *ev, const char *p, size_t n)
{
	while (n && (p[n - 1] == '\r' || p[n - 1] == ' '))
		n--;
	if (!n)
		return;
	struct docker_event e;
	char msg[64];
	if (docker_parse_event(p, n, &e, msg, sizeof(msg)) < 0)
		return; /* one garbled line must not stop the stream */
	/* since= replays the last second; skip what was already delivered. */
	if (e.time_ns && e.time_ns <= ev->last_ns) {
		docker_event_free(&e);
		return;
	}
	if (e.time_ns)
		ev->last_ns = e.time_ns;
	ev->cbs.event(&e, ev->cbs.ud);
	docker_event_free(&e);
}

/* Chunks do not align with events: keep the tail until its newline comes.
 * Each byte is searched once (scanned), so a line that never ends costs
 * linear time, and one longer than DOCKER_EVENT_LINE_MAX is dropped. */
static size_t events_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct docker_events *ev = ud;
	size_t n = size * nmemb;
	if (!ev->status)
		curl_easy_getinfo(ev->easy, CURLINFO_RESPONSE_CODE, &ev->status);
	if (ev->status != 200) {
		/* An error body: kept (bounded) for the message. */
		if (ev->line.len + n <= 64 * 1024)
			strbuf_add(&ev->line, ptr, n);
		return n;
	}
	while (ev->skipping && n) {
		char *nl = memchr(ptr, '\n', n);
		if (!nl)
			return size * nmemb;
		ev->skipping = false;
		n -= (size_t)(nl + 1 - ptr);
		ptr = nl + 1;
	}
	strbuf_add(&ev->line, ptr, n);
	size_t start = 0;
	for (;;) {
		char *nl = memchr(ev->line.data + ev->scanned, '\n', ev->line.len - ev->scanned);
		if (!nl)
			break;
		size_t i = (size_t)(nl - ev->line.data);
		deliver_line(ev, ev->line.data + start, i - start);
		start = i + 1;
		ev->scanned = start;
	}
	ev->scanned = ev->line.len;
	if (start) {
		memmove(ev->line.data, ev->line.data + start, ev->line.len - start + 1);
		ev->line.len -= start;
		ev->scanned -= start;
	}
	if (ev->line.len > DOCKER_EVENT_LINE_MAX) {
		strbuf_reset(&ev->line);
		ev->scanned = 0;
		ev->skipping = true;
	}
	return size * nmemb;
}

static int events_start(struct docker_events *ev, struct docker_err *err);

/* The transfer is over: the daemon closed it, the network failed, or the
 * answer was an error. */
static void events_done(CURL *easy, CURLcode cc, void *ud)
{
	struct docker_events *ev = ud;
	ev->running = false;
	if (!ev->status)
		curl_easy_getinfo(ev->easy, CURLINFO_RESPONSE_CODE, &ev->status);
	if (cc != CURLE_OK)
		set_err(&ev->end, 0, "events: docker %s: %s", ev->d->host,
			ev->curl_err[0] ? ev->curl_err : curl_easy_strerror(cc));
	else if (ev->status != 200)
		http_error(&ev->end, ev->status, "events", ev->line.data, ev->line.len);
	else
		set_err(&ev->end, 200, "events: stream closed by docker %s", ev->d->host);
	if (ev->cbs.ended)
		ev->cbs.ended(&ev->end, ev->cbs.ud);
}

static int events_start(struct docker_events *ev, struct docker_err *err)
{
	struct docker *d = ev->d;
	if (negotiate(d, err) < 0)
		return -1;
	const char *filters = "{\"type\":[\"container\"],\"event\":[\"start\",\"die\","
			      "\"destroy\",\"restart\",\"health_status\"]}";
	char *q = escape(d, filters);
	char since[48] = "";
	if (ev->last_ns > 0)
		sbuf_printf(since, sizeof(since), "&since=%" PRId64 ".%09" PRId64,
			    ev->last_ns / 1000000000, ev->last_ns % 1000000000);
	char *url = xasprintf("%s/v%s/events?filters=%s%s", d->base, d->version, q, since);
	free(q);
	curl_easy_reset(ev->easy);
	setup_handle(d, ev->easy, url, ev->curl_err);
	free(url);
	/* A stream has no total timeout; keepalive notices a dead tcp peer. */
	curl_easy_setopt(ev->easy, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(ev->easy, CURLOPT_WRITEFUNCTION, events_write);
	curl_easy_setopt(ev->easy, CURLOPT_WRITEDATA, ev);
	strbuf_reset(&ev->line);
	ev->scanned = 0;
	ev->skipping = false;
	ev->status = 0;
	memset(&ev->end, 0, sizeof(ev->end));
	atomic_fetch_add(&requests_total, 1);
	if (cmulti_add(ev->cm, ev->easy, events_done, ev) != 0) {
		set_err(err, 0, "events: curl_multi_add_handle failed");
		return -1;
	}
	ev->running = true;
	return 0;
}

struct docker_events *docker_events_open(struct docker *d, int64_t since_ns,
					 const struct docker_events_cbs *cbs, struct cmulti *cm,
					 struct docker_err *err)
{
	struct docker_events *ev = xcalloc(1, sizeof(*ev));
	ev->d = d;
	ev->cm = cm;
	ev->cbs = *cbs;
	ev->last_ns = since_ns > 0 ? since_ns : 0;
	ev->easy = curl_easy_init();
	if (!ev->easy) {
		set_err(err, 0, "events: curl init failed");
		goto fail;
	}
	if (events_start(ev, err) < 0)
		goto fail;
	return ev;
fail:
	docker_events_close(ev);
	return NULL;
}

bool docker_events_alive(const struct docker_events *ev, struct docker_err *err)
{
	if (!ev->running && err)
		*err = ev->end;
	return ev->running;
}

int docker_events_reconnect(struct docker_events *ev, struct docker_err *err)
{
	cmulti_remove(ev->cm, ev->easy);
	ev->running = false;
	/* A daemon upgraded while we were away is the caller's to ask about
	 * (docker_forget_version + docker_negotiate, off the loop): asking
	 * here would block the loop. */
	struct docker_err e = { 0, "" };
	if (events_start(ev, &e) < 0) {
		ev->end = e;
		if (err)
			*err = e;
		return -1;
	}
	return 0;
}

int64_t docker_events_last_ns(const struct docker_events *ev)
{
	return ev->last_ns;
}

void docker_events_close(struct docker_events *ev)
{
	if (!ev)
		return;
	if (ev->easy) {
		cmulti_remove(ev->cm, ev->easy);
		curl_easy_cleanup(ev->easy);
	}
	strbuf_free(&ev->line);
	free(ev);
}
