/* core_tool.c - the timing helpers of bench/run-core-bench.sh: polls
 * GET /engines every few ms until a VPN's engines are gone, and writes a
 * config file (rename or in place) printing the wall clock it finished at.
 *
 * Every time printed is CLOCK_REALTIME in nanoseconds, the clock Docker
 * stamps its events with (timeNano) on the same host, so the script can
 * subtract one from the other. Figures only: nothing here passes or fails
 * on a duration.
 *
 *   core_tool hidden URL VPN [--flip CTRL_URL] [--every-ms N] [--timeout S]
 *       Waits until GET URL (a JSON array of engines, /engines) lists an
 *       engine whose vpn_container is VPN; then, with --flip, asks the
 *       stand-in Gluetun at CTRL_URL to report unhealthy (PUT /test/health);
 *       then polls every N ms (default 2) and prints
 *       "hidden NS polls P" for the first answer without VPN's engines.
 *   core_tool count URL [VPN]    prints how many engines GET URL lists (of
 *                                VPN only, when given); -1 when it failed
 *   core_tool rename SRC DST     rename(2); prints "done NS" after it returned
 *   core_tool write SRC DST      DST rewritten in place (O_TRUNC, one write,
 *                                close); prints "done NS" after close(2)
 * Exit status: 0 done, 1 timeout or error, 64 usage.
 */
#include "config-auto.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "http.h" /* http_buf_write into a struct strbuf */

static int64_t wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* GET url on the reused handle h: the number of engines of vpn (NULL: of
 * any) in the answer, or -1 when the request or the JSON failed. */
static int count_engines(CURL *h, const char *url, const char *vpn)
{
	struct strbuf b = { 0 };
	long status = 0;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_buf_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 2000L);
	int n = -1;
	if (curl_easy_perform(h) == CURLE_OK &&
	    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK && status == 200) {
		cJSON *root = cJSON_ParseWithLength(b.data ? b.data : "", b.len);
		/* Both trees answer a JSON array of engines, each with
		 * "vpn_container". */
		if (cJSON_IsArray(root)) {
			const cJSON *e;
			n = 0;
			cJSON_ArrayForEach(e, root) {
				const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "vpn_container");
				if (!vpn || (cJSON_IsString(v) && strcmp(v->valuestring, vpn) == 0))
					n++;
			}
		}
		cJSON_Delete(root);
	}
	strbuf_free(&b);
	return n;
}

static int flip_unhealthy(const char *ctrl)
{
	CURL *h = curl_easy_init();
	char url[512];
	long status = 0;
	snprintf(url, sizeof url, "%s/test/health", ctrl);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, "{\"healthy\":false}");
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
	struct strbuf b = { 0 };
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_buf_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	int rc = curl_easy_perform(h) == CURLE_OK &&
		 curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK && status == 200
		 ? 0 : -1;
	strbuf_free(&b);
	curl_easy_cleanup(h);
	return rc;
}

static int cmd_hidden(int argc, char **argv)
{
	const char *url = argv[2], *vpn = argv[3], *ctrl = NULL;
	long every = 2, timeout_s = 60;
	for (int i = 4; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--flip") == 0)
			ctrl = argv[i + 1];
		else if (strcmp(argv[i], "--every-ms") == 0)
			every = strtol(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--timeout") == 0)
			timeout_s = strtol(argv[i + 1], NULL, 10);
		else
			return 64;
	}
	CURL *h = curl_easy_init();
	int64_t deadline = mono_ms() + timeout_s * 1000;
	/* The VPN's engines must be visible first, or "hidden" means nothing. */
	while (count_engines(h, url, vpn) <= 0) {
		if (mono_ms() > deadline) {
			fprintf(stderr, "core_tool: %s has no engine of %s listed\n", url, vpn);
			return 1;
		}
		sleep_ms(20);
	}
	if (ctrl && flip_unhealthy(ctrl) != 0) {
		fprintf(stderr, "core_tool: cannot flip %s unhealthy\n", ctrl);
		return 1;
	}
	long polls = 0;
	for (;;) {
		int n = count_engines(h, url, vpn);
		int64_t at = wall_ns();
		polls++;
		if (n == 0) {
			printf("hidden %" PRId64 " polls %ld\n", at, polls);
			break;
		}
		if (mono_ms() > deadline) {
			fprintf(stderr, "core_tool: %s still lists engines of %s\n", url, vpn);
			return 1;
		}
		sleep_ms(every);
	}
	curl_easy_cleanup(h);
	return 0;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *p = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (n + 4096 > cap) {
			cap = cap ? cap * 2 : 8192;
			char *q = realloc(p, cap);
			if (!q)
				break;
			p = q;
		}
		size_t got = fread(p + n, 1, cap - n, f);
		if (got == 0)
			break;
		n += got;
	}
	fclose(f);
	*len = n;
	return p;
}

static int cmd_write(const char *src, const char *dst)
{
	size_t len = 0;
	char *text = slurp(src, &len);
	if (!text) {
		perror(src);
		return 1;
	}
	/* What `cat new > file` does: truncate, write, close, all in place. */
	int fd = open(dst, O_WRONLY | O_TRUNC);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || close(fd) != 0) {
		perror(dst);
		free(text);
		return 1;
	}
	printf("done %" PRId64 "\n", wall_ns());
	free(text);
	return 0;
}

int main(int argc, char **argv)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 4 && strcmp(argv[1], "hidden") == 0)
		return cmd_hidden(argc, argv);
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "count") == 0) {
		CURL *h = curl_easy_init();
		printf("%d\n", count_engines(h, argv[2], argc == 4 ? argv[3] : NULL));
		curl_easy_cleanup(h);
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "rename") == 0) {
		if (rename(argv[2], argv[3]) != 0) {
			perror("rename");
			return 1;
		}
		printf("done %" PRId64 "\n", wall_ns());
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "write") == 0)
		return cmd_write(argv[2], argv[3]);
	fprintf(stderr, "usage: core_tool hidden URL VPN [--flip CTRL_URL] [--every-ms N] [--timeout S]\n"
			"       core_tool count URL [VPN]\n"
			"       core_tool rename SRC DST | core_tool write SRC DST\n");
	return 64;
}
