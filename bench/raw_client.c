/* raw_client.c - the lower bound of bench/run-core-bench.sh's cold
 * convergence: the daemon's creates and starts, sent straight to Docker.
 *
 *   raw_client PLAN_JSON [-c CONCURRENCY] [-H unix:///var/run/docker.sock]
 *
 * PLAN_JSON is `ace-orchestrator plan --json` of the same config against
 * the same Docker (VPNs up, no engine yet): every create action's spec
 * becomes the body src/docker.c's create_body() sends (same image, env,
 * command, labels, stop timeout, network mode, restart policy, security
 * options), then POST /containers/ID/start, as apply.c's do_create does.
 * CONCURRENCY threads (default 4) each take the next engine on their own
 * keep-alive connection. No observation, no plan, no retry: the fastest a
 * client can go through the same Docker calls. Prints
 * "created N started N failed F"; exit 1 when anything failed.
 */
#include "config-auto.h" /* _GNU_SOURCE: asprintf */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "http.h" /* http_buf_write into a struct strbuf */

struct job {
	char *name;
	char *body;
};

struct run {
	const char *sock;   /* unix socket path, or NULL for tcp */
	const char *base;   /* http://localhost or http://host:port */
	char version[16];
	struct job *jobs;
	size_t n, next;
	size_t created, started, failed;
	pthread_mutex_t mu;
};

/* One request on the reused handle h; returns the HTTP status (0: none). */
static long call(struct run *r, CURL *h, const char *method, const char *path,
		 const char *body, struct strbuf *out)
{
	char url[1024];
	long status = 0;
	struct curl_slist *hdrs = NULL;
	snprintf(url, sizeof url, "%s%s", r->base, path);
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	if (r->sock)
		curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, r->sock);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 60000L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_buf_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
	}
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdrs);
	return status;
}

static void *worker(void *arg)
{
	struct run *r = arg;
	CURL *h = curl_easy_init();
	for (;;) {
		pthread_mutex_lock(&r->mu);
		size_t k = r->next < r->n ? r->next++ : r->n;
		pthread_mutex_unlock(&r->mu);
		if (k == r->n)
			break;
		struct job *j = &r->jobs[k];
		char *q = curl_easy_escape(h, j->name, 0);
		char path[512];
		struct strbuf b = { 0 };
		snprintf(path, sizeof path, "/v%s/containers/create?name=%s", r->version, q);
		curl_free(q);
		long st = call(r, h, "POST", path, j->body, &b);
		cJSON *root = st == 201 ? cJSON_Parse(b.data ? b.data : "") : NULL;
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "Id");
		bool ok = cJSON_IsString(id);
		if (ok) {
			struct strbuf b2 = { 0 };
			snprintf(path, sizeof path, "/v%s/containers/%s/start", r->version, id->valuestring);
			long st2 = call(r, h, "POST", path, NULL, &b2);
			if (st2 != 204 && st2 != 304) {
				fprintf(stderr, "raw_client: start %s: HTTP %ld %s\n", j->name, st2, b2.data ? b2.data : "");
				ok = false;
			}
			strbuf_free(&b2);
		} else {
			fprintf(stderr, "raw_client: create %s: HTTP %ld %s\n", j->name, st, b.data ? b.data : "");
		}
		pthread_mutex_lock(&r->mu);
		r->created += cJSON_IsString(id);
		r->started += ok;
		r->failed += !ok;
		pthread_mutex_unlock(&r->mu);
		cJSON_Delete(root);
		strbuf_free(&b);
	}
	curl_easy_cleanup(h);
	return NULL;
}

/* The body src/docker.c create_body() builds for this spec. */
static char *create_body(const cJSON *spec)
{
	cJSON *root = cJSON_CreateObject();
	const cJSON *v;
	cJSON_AddStringToObject(root, "Image", cJSON_GetObjectItem(spec, "image")->valuestring);
	cJSON *env = cJSON_AddArrayToObject(root, "Env");
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(spec, "env")) {
		char *kv;
		if (asprintf(&kv, "%s=%s", v->string, v->valuestring) < 0)
			abort();
		cJSON_AddItemToArray(env, cJSON_CreateString(kv));
		free(kv);
	}
	const cJSON *cmd = cJSON_GetObjectItem(spec, "cmd");
	if (cJSON_GetArraySize(cmd) > 0)
		cJSON_AddItemToObject(root, "Cmd", cJSON_Duplicate(cmd, 1));
	cJSON *labels = cJSON_AddObjectToObject(root, "Labels");
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(spec, "labels"))
		cJSON_AddStringToObject(labels, v->string, v->valuestring);
	double stop_ms = cJSON_GetNumberValue(cJSON_GetObjectItem(spec, "stop_timeout_ms"));
	if (stop_ms > 0)
		cJSON_AddNumberToObject(root, "StopTimeout", (double)(((long long)stop_ms + 999) / 1000));
	cJSON *hc = cJSON_AddObjectToObject(root, "HostConfig");
	const char *nm = cJSON_GetStringValue(cJSON_GetObjectItem(spec, "network_mode"));
	if (nm && *nm)
		cJSON_AddStringToObject(hc, "NetworkMode", nm);
	double mem = cJSON_GetNumberValue(cJSON_GetObjectItem(spec, "memory_limit"));
	if (mem > 0)
		cJSON_AddNumberToObject(hc, "Memory", mem);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(hc, "RestartPolicy"), "Name", "no");
	cJSON_AddItemToArray(cJSON_AddArrayToObject(hc, "SecurityOpt"),
			     cJSON_CreateString("no-new-privileges"));
	const char *vpn = cJSON_GetStringValue(cJSON_GetObjectItem(spec, "vpn_container"));
	if (!vpn || !*vpn) {
		/* No VPN: the engine publishes its own HTTP port. */
		int cport = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(spec, "http_port"));
		int hport = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(spec, "host_port"));
		char key[32], hp[16];
		snprintf(key, sizeof key, "%d/tcp", cport);
		snprintf(hp, sizeof hp, "%d", hport > 0 ? hport : cport);
		cJSON_AddObjectToObject(cJSON_AddObjectToObject(root, "ExposedPorts"), key);
		cJSON *b = cJSON_CreateObject();
		cJSON_AddStringToObject(b, "HostIp", "");
		cJSON_AddStringToObject(b, "HostPort", hp);
		cJSON_AddItemToArray(cJSON_AddArrayToObject(cJSON_AddObjectToObject(hc, "PortBindings"), key), b);
	}
	char *s = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return s;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *p = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (p && fread(p, 1, (size_t)n, f) == (size_t)n)
		p[n] = '\0';
	else {
		free(p);
		p = NULL;
	}
	fclose(f);
	return p;
}

int main(int argc, char **argv)
{
	const char *plan_path = NULL, *host = getenv("DOCKER_HOST");
	int conc = 4;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			conc = atoi(argv[++i]);
		else if (strcmp(argv[i], "-H") == 0 && i + 1 < argc)
			host = argv[++i];
		else if (!plan_path && argv[i][0] != '-')
			plan_path = argv[i];
		else
			plan_path = NULL, i = argc;
	}
	if (!plan_path || conc < 1 || conc > 256) {
		fprintf(stderr, "usage: raw_client PLAN_JSON [-c CONCURRENCY] [-H DOCKER_HOST]\n");
		return 64;
	}
	if (!host || !*host)
		host = "unix:///var/run/docker.sock";
	struct run r = { .mu = PTHREAD_MUTEX_INITIALIZER };
	char base[256];
	if (strncmp(host, "unix://", 7) == 0) {
		r.sock = host + 7;
		r.base = "http://localhost";
	} else {
		snprintf(base, sizeof base, "http://%s", strstr(host, "://") ? strstr(host, "://") + 3 : host);
		r.base = base;
	}
	char *text = slurp(plan_path);
	cJSON *plan = text ? cJSON_Parse(text) : NULL;
	free(text);
	if (!plan) {
		fprintf(stderr, "raw_client: %s: not a plan JSON\n", plan_path);
		return 1;
	}
	const cJSON *a;
	size_t cap = 0;
	cJSON_ArrayForEach(a, cJSON_GetObjectItem(plan, "actions")) {
		const cJSON *spec = cJSON_GetObjectItem(a, "spec");
		if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(a, "action")), "create") != 0 || !spec)
			continue;
		if (r.n == cap) {
			cap = cap ? cap * 2 : 64;
			r.jobs = realloc(r.jobs, cap * sizeof *r.jobs);
			if (!r.jobs)
				abort();
		}
		r.jobs[r.n].name = strdup(cJSON_GetStringValue(cJSON_GetObjectItem(spec, "name")));
		r.jobs[r.n].body = create_body(spec);
		r.n++;
	}
	cJSON_Delete(plan);

	curl_global_init(CURL_GLOBAL_DEFAULT);
	/* Like the daemon: learn the API version first (one call). */
	CURL *h = curl_easy_init();
	struct strbuf b = { 0 };
	long st = call(&r, h, "GET", "/version", NULL, &b);
	cJSON *ver = st == 200 ? cJSON_Parse(b.data) : NULL;
	const char *av = cJSON_GetStringValue(cJSON_GetObjectItem(ver, "ApiVersion"));
	snprintf(r.version, sizeof r.version, "%s", av ? av : "1.41");
	cJSON_Delete(ver);
	strbuf_free(&b);
	curl_easy_cleanup(h);

	pthread_t th[256];
	int nth = 0;
	for (; nth < conc && (size_t)nth < r.n; nth++)
		if (pthread_create(&th[nth], NULL, worker, &r) != 0)
			break;
	for (int i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	printf("created %zu started %zu failed %zu\n", r.created, r.started, r.failed);
	for (size_t i = 0; i < r.n; i++) {
		free(r.jobs[i].name);
		cJSON_free(r.jobs[i].body);
	}
	free(r.jobs);
	curl_global_cleanup();
	return r.failed ? 1 : 0;
}
