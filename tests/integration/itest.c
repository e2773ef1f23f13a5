/* itest.c - integration-test plumbing: daemon detection (SKIP 77), image
 * build, shell-outs for fixtures, HTTP pokes, waits and clean-up by label. */
#include "config-auto.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "docker.h"
#include "http.h"
#include "itest.h"
#include "util.h"

/* Test-process state, set once by itest_init (tests only, not the daemon). */
static char tag[64];
static char labels[160];
static char host[256];

const char *itest_tag(void) { return tag; }
const char *itest_labels(void) { return labels; }
const char *itest_docker_host(void) { return host; }

void itest_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static char *vfmt(const char *fmt, va_list ap)
{
	return xvasprintf(fmt, ap);
}

int itest_sh(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd = vfmt(fmt, ap);
	va_end(ap);
	int rc = system(cmd);
	free(cmd);
	if (rc == -1 || !WIFEXITED(rc))
		return -1;
	return WEXITSTATUS(rc);
}

char *itest_sh_out(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd = vfmt(fmt, ap);
	va_end(ap);
	FILE *p = popen(cmd, "r");
	free(cmd);
	if (!p)
		return NULL;
	char line[1024];
	char *r = fgets(line, sizeof(line), p) ? xstrdup(line) : NULL;
	if (pclose(p) != 0) {
		free(r);
		return NULL;
	}
	if (r)
		r[strcspn(r, "\r\n")] = '\0';
	return r;
}

static bool daemon_answers(void)
{
	struct docker_err err = { 0, "" };
	struct docker *d = docker_new(host, &err);
	bool ok = d && docker_negotiate(d, &err) == 0;
	if (!ok)
		fprintf(stderr, "itest: docker %s: %s\n", host, err.msg);
	docker_free(d);
	return ok;
}

void itest_init(const char *name)
{
	const char *dh = getenv("DOCKER_HOST");
	snprintf(host, sizeof(host), "%s", dh && *dh ? dh : "unix:///var/run/docker.sock");
	snprintf(tag, sizeof(tag), "itest-%s-%d", name, (int)getpid());
	snprintf(labels, sizeof(labels), "-l acestream.test=1 -l acestream.test.run=%s", tag);
	setvbuf(stdout, NULL, _IOLBF, 0);
	docker_global_init();
	struct stat st;
	bool sock = str_startswith(host, "unix://") ? stat(host + 7, &st) == 0 : true;
	if (!sock || !daemon_answers()) {
		fprintf(stderr,
			"\n*** SKIP %s: no Docker daemon answers at %s ***\n"
			"*** start dockerd or set DOCKER_HOST to run the integration tests ***\n\n",
			name, host);
		exit(ITEST_SKIP);
	}
	const char *src = getenv("top_srcdir");
	/* Several test programs may build at once: serialise on a lock file. */
	int rc = itest_sh("flock /tmp/ace-itest-images.lock sh '%s/tests/fixtures/build-images.sh' >&2",
			  src && *src ? src : ".");
	if (rc != 0) {
		fprintf(stderr, "itest: building the fixture images failed (exit %d)\n", rc);
		exit(99);
	}
}

void itest_cleanup(void)
{
	if (!tag[0])
		return;
	itest_sh("ids=$(docker ps -aq --filter label=acestream.test.run=%s); "
		 "[ -z \"$ids\" ] || docker rm -f $ids >/dev/null 2>&1", tag);
}

long itest_http(const char *method, const char *url, const char *data,
		const char *api_key, char **body)
{
	CURL *e = curl_easy_init();
	struct strbuf b = { 0 };
	struct curl_slist *h = NULL;
	long st = 0;
	char *key = api_key ? xasprintf("X-API-Key: %s", api_key) : NULL;
	if (key)
		h = curl_slist_append(h, key);
	if (data)
		h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 3000L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	if (data)
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, data);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_buf_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
	if (curl_easy_perform(e) == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &st);
	curl_slist_free_all(h);
	curl_easy_cleanup(e);
	free(key);
	if (body)
		*body = b.data ? b.data : xstrdup("");
	else
		strbuf_free(&b);
	return st;
}

bool itest_wait_http(const char *url, int timeout_ms)
{
	for (int waited = 0; waited <= timeout_ms; waited += 100) {
		if (itest_http("GET", url, NULL, NULL, NULL) == 200)
			return true;
		itest_sleep_ms(100);
	}
	return false;
}

bool itest_wait_health(struct docker *d, const char *name, const char *want, int timeout_ms)
{
	for (int waited = 0; waited <= timeout_ms; waited += 100) {
		struct docker_inspect in;
		struct docker_err err = { 0, "" };
		bool ok = docker_inspect(d, name, &in, &err) == 0 && str_eq(in.health, want);
		docker_inspect_free(&in);
		if (ok)
			return true;
		itest_sleep_ms(100);
	}
	return false;
}

int itest_published_port(const char *container, int cport)
{
	char *s = itest_sh_out("docker port %s %d/tcp 2>/dev/null | head -n1", container, cport);
	int port = 0;
	const char *c = s ? strrchr(s, ':') : NULL;
	if (c)
		port = atoi(c + 1);
	free(s);
	return port;
}
