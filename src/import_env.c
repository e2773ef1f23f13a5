/* import_env.c - upstream acestream-orchestrator v1 settings (its .env:
 * app/core/config.py, .env.example, docs) mapped onto orchestrator.yaml. */
#include "config-auto.h"

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "config_priv.h"
#include "import_env.h"
#include "util.h"

/* Upstream v1's images per ENGINE_VARIANT (app/services/provisioner.py). */
#define IMG_KRINKUTO11 "ghcr.io/krinkuto11/acestream-http-proxy:latest"
#define IMG_JOPSIS_X64 "jopsis/acestream:x64"

/* The ACESTREAM_ARGS upstream v1 gave jopsis-amd64 engines: its base_args,
 * then the ports. */
#define JOPSIS_UPSTREAM_ARGS \
	"--client-console --bind-all --service-remote-access --access-token acestream " \
	"--service-access-token root --stats-report-peers --live-cache-type memory " \
	"--live-cache-size 209715200 --vod-cache-type memory --cache-dir /acestream/.ACEStream " \
	"--vod-drop-max-age 120 --max-file-size 2147483648 --live-buffer 25 --vod-buffer 10 " \
	"--max-connections 500 --max-peers 50 --max-upload-slots 50 --auto-slots 0 " \
	"--download-limit 0 --upload-limit 0 --stats-report-interval 2 --stats-report-peers " \
	"--slots-manager-use-cpu-limit 1 --core-skip-have-before-playback-pos 1 " \
	"--core-dlr-periodic-check-interval 5 --check-live-pos-interval 5 " \
	"--refill-buffer-interval 1 --webrtc-allow-outgoing-connections 1 --allow-user-config " \
	"--log-debug 0 --log-max-size 15000000 --log-backup-count 1 " \
	"--http-port {http_port} --https-port {https_port} --port {p2p_port}"

/* Variables of upstream v1 with no equivalent here, and why. */
static const struct { const char *key, *why; } unmapped[] = {
	{ "STARTUP_TIMEOUT_S", "no start timeout: an engine that does not run is replaced by the "
			       "next pass" },
	{ "IDLE_TTL_S", "idle engines are removed only to meet replicas (min_free)" },
	{ "AUTO_DELETE", "engines are kept to the replicas target, not deleted per stream" },
	{ "COLLECT_INTERVAL_S", "there is no stream statistics collector" },
	{ "STATS_HISTORY_MAX", "there is no stream statistics collector" },
	{ "ENGINE_GRACE_PERIOD_S", "the reconciler acts on every change; there is no autoscaler "
				   "tick or grace period" },
	{ "AUTOSCALE_INTERVAL_S", "the reconciler acts on every change; there is no autoscaler "
				  "tick" },
	{ "HEALTH_UNHEALTHY_GRACE_PERIOD_S", "engine.health.failures consecutive failed probes "
					     "decide a replacement" },
	{ "HEALTH_REPLACEMENT_COOLDOWN_S", "replacements back off per engine by themselves" },
	{ "CIRCUIT_BREAKER_FAILURE_THRESHOLD", "every Docker error backs off per object" },
	{ "CIRCUIT_BREAKER_RECOVERY_TIMEOUT_S", "every Docker error backs off per object" },
	{ "CIRCUIT_BREAKER_REPLACEMENT_THRESHOLD", "every Docker error backs off per object" },
	{ "CIRCUIT_BREAKER_REPLACEMENT_TIMEOUT_S", "every Docker error backs off per object" },
	{ "MAX_CONCURRENT_PROVISIONS", "a pass runs up to four independent actions at a time" },
	{ "MIN_PROVISION_INTERVAL_S", "a pass runs up to four independent actions at a time" },
	{ "DB_URL", "there is no database: what the daemon must remember lives in Docker labels" },
	{ "DEBUG_MODE", "use --log-level debug (logs go to stderr)" },
	{ "DEBUG_LOG_DIR", "use --log-level debug (logs go to stderr)" },
	{ "LOG_LEVEL", "use --log-level (logs go to stderr)" },
	{ "TZ", "log timestamps are UTC (RFC 3339)" },
	{ "ACE_MAP_HTTPS", "HTTPS ports are never published" },
	{ "ACE_HTTP_RANGE", "an engine's HTTP port is its published port, inside and out" },
	{ "STREAM_LOOP_DETECTION_ENABLED", "there is no stream loop detection" },
	{ "STREAM_LOOP_DETECTION_THRESHOLD_S", "there is no stream loop detection" },
	{ "STREAM_LOOP_CHECK_INTERVAL_S", "there is no stream loop detection" },
	{ "STREAM_LOOP_RETENTION_MINUTES", "there is no stream loop detection" },
};

struct imp {
	struct import_env_vars vars;
	bool *used;
	bool *blocked;    /* never mapped: its value has $NAME/${NAME} in it */
	const char **why; /* reason a variable was not mapped; NULL: unknown */
	struct diags *d;
	FILE *o;
	bool redundant; /* two VPNs */
	bool vpn;       /* at least one */
};

static size_t imp_index(const struct imp *m, const char *key)
{
	for (size_t i = 0; i < m->vars.n; i++)
		if (strcmp(m->vars.v[i].key, key) == 0)
			return i;
	return m->vars.n;
}

/* The variable, marked as mapped; NULL when the file does not set it. */
static const struct import_env_var *imp_get(struct imp *m, const char *key)
{
	size_t i = imp_index(m, key);
	if (i == m->vars.n || m->blocked[i])
		return NULL;
	/* Once found unmappable, it stays listed as such. */
	if (!m->why[i])
		m->used[i] = true;
	return &m->vars.v[i];
}

/* Leaves key out of the output, saying why in the "not mapped" list. */
static void imp_unmapped(struct imp *m, const char *key, const char *why)
{
	size_t i = imp_index(m, key);
	if (i < m->vars.n) {
		m->used[i] = false;
		m->why[i] = why;
	}
}

static void imp_bad(struct imp *m, const struct import_env_var *v, const char *what)
{
	diags_add(m->d, DIAG_WARNING, v->pos, "%s: '%s' is not %s; not mapped", v->key, v->val, what);
	imp_unmapped(m, v->key, "its value is invalid (see the warning)");
}

static bool imp_int(struct imp *m, const char *key, long long min, long long max, long long *out)
{
	const struct import_env_var *v = imp_get(m, key);
	char what[96];
	if (!v)
		return false;
	if (parse_int(v->val, min, max, out))
		return true;
	if (max == LLONG_MAX)
		sbuf_printf(what, sizeof what, "an integer of at least %lld", min);
	else
		sbuf_printf(what, sizeof what, "an integer from %lld to %lld", min, max);
	imp_bad(m, v, what);
	return false;
}

static const struct import_env_var *imp_range(struct imp *m, const char *key,
					      struct port_range *out)
{
	char err[128];
	const struct import_env_var *v = imp_get(m, key);
	if (v && range_parse(v->val, out, err, sizeof err) != 0) {
		imp_bad(m, v, "a port range LO-HI");
		return NULL;
	}
	return v;
}

static void w(struct imp *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void w(struct imp *m, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(m->o, fmt, ap);
	va_end(ap);
}

/* INDENTkey: VALUE, the value quoted as YAML needs. */
static void w_kv(struct imp *m, const char *indent, const char *key, const char *val)
{
	w(m, "%s%s: ", indent, key);
	config_dump_str(m->o, val);
	w(m, "\n");
}

static bool str_true(const char *s)
{
	return strcasecmp(s, "true") == 0;
}

/* ---- sections ---- */

static void imp_docker(struct imp *m)
{
	const struct import_env_var *host = imp_get(m, "DOCKER_HOST");
	long long mon;
	bool has_mon = imp_int(m, "MONITOR_INTERVAL_S", 1, 31622400, &mon);
	if (host && !str_startswith(host->val, "unix://") && !str_startswith(host->val, "tcp://")) {
		imp_bad(m, host, "a unix:// or tcp:// address");
		host = NULL;
	}
	if (!host && !has_mon)
		return;
	w(m, "docker:\n");
	if (host) {
		w(m, "  host: ");
		config_dump_str(m->o, host->val);
		w(m, "  # DOCKER_HOST\n");
	}
	if (has_mon) {
		w(m, "  # MONITOR_INTERVAL_S: upstream polled Docker this often; here Docker's\n"
		     "  # events do that work and this full re-inspection catches what they miss.\n");
		w(m, "  resync_interval: %llds\n", mon);
	}
}

static void imp_engine(struct imp *m)
{
	const struct import_env_var *variant = imp_get(m, "ENGINE_VARIANT");
	const struct import_env_var *target = imp_get(m, "TARGET_IMAGE");
	const struct import_env_var *arm32 = imp_get(m, "ENGINE_ARM32_VERSION");
	const struct import_env_var *arm64 = imp_get(m, "ENGINE_ARM64_VERSION");
	const char *name = variant ? variant->val : "krinkuto11-amd64";
	char image[300];

	if (variant && strcmp(name, "krinkuto11-amd64") != 0 && strcmp(name, "jopsis-amd64") != 0 &&
	    strcmp(name, "jopsis-arm32") != 0 && strcmp(name, "jopsis-arm64") != 0) {
		imp_bad(m, variant, "one of krinkuto11-amd64, jopsis-amd64, jopsis-arm32, "
				    "jopsis-arm64 (upstream's variants)");
		variant = NULL;
		name = "krinkuto11-amd64";
	}
	w(m, "engine:\n");
	if (!variant && target) {
		/* Before engine variants, upstream ran TARGET_IMAGE with CONF. */
		w(m, "  # TARGET_IMAGE, from before upstream had ENGINE_VARIANT\n");
		w_kv(m, "  ", "image", target->val);
		w(m, "  preset: krinkuto11\n");
	} else {
		if (target)
			imp_unmapped(m, "TARGET_IMAGE", "upstream ignored it for engines once "
					"ENGINE_VARIANT chose the image");
		w(m, "  # ENGINE_VARIANT=%s%s\n", name, variant ? "" : " (upstream's default)");
		if (strcmp(name, "jopsis-arm32") == 0 || strcmp(name, "jopsis-arm64") == 0) {
			bool is32 = name[10] == '3';
			const struct import_env_var *ver = is32 ? arm32 : arm64;
			sbuf_printf(image, sizeof image, "jopsis/acestream:%s",
				    ver ? ver->val : is32 ? "arm32-v3.2.13" : "arm64-v3.2.13");
			w_kv(m, "  ", "image", image);
			w(m, "  preset: %s\n", name);
		} else if (strcmp(name, "jopsis-amd64") == 0) {
			w_kv(m, "  ", "image", IMG_JOPSIS_X64);
			w(m, "  preset: jopsis-amd64\n");
			w(m, "  env:\n"
			     "    # Upstream v1's arguments for this variant, which the preset leaves\n"
			     "    # out: tuning, plus --service-remote-access with the well-known\n"
			     "    # service token \"root\". Delete this line to get the preset's\n"
			     "    # \"--client-console --bind-all\" and the ports only.\n");
			w_kv(m, "    ", "ACESTREAM_ARGS", JOPSIS_UPSTREAM_ARGS);
		} else {
			w_kv(m, "  ", "image", IMG_KRINKUTO11);
			w(m, "  preset: krinkuto11\n");
			w(m, "  env:\n"
			     "    # Upstream v1 also set these for krinkuto11-amd64 (tuning, not ports).\n"
			     "    INTERNAL_BUFFERING: \"60\"\n"
			     "    CACHE_LIMIT: \"1\"\n");
		}
	}
	if (arm32 && !strstr(name, "arm32"))
		imp_unmapped(m, "ENGINE_ARM32_VERSION", "used only with ENGINE_VARIANT=jopsis-arm32");
	if (arm64 && !strstr(name, "arm64"))
		imp_unmapped(m, "ENGINE_ARM64_VERSION", "used only with ENGINE_VARIANT=jopsis-arm64");

	const struct import_env_var *mem = imp_get(m, "ENGINE_MEMORY_LIMIT");
	int64_t bytes;
	char err[128];
	if (mem && *mem->val && size_parse(mem->val, &bytes, err, sizeof err) == 0) {
		w(m, "  memory_limit: ");
		config_dump_str(m->o, mem->val);
		w(m, "  # ENGINE_MEMORY_LIMIT\n");
	} else if (mem && *mem->val) {
		imp_bad(m, mem, "a size like 512m or 2g");
	}

	struct port_range https;
	const struct import_env_var *hr = imp_range(m, "ACE_HTTPS_RANGE", &https);
	if (hr && https.lo != 45000) {
		w(m, "  # ACE_HTTPS_RANGE: HTTPS ports are https_port_base + slot here\n");
		w(m, "  https_port_base: %d\n", https.lo);
	}

	const struct import_env_var *label = imp_get(m, "CONTAINER_LABEL");
	if (label) {
		const char *eq = strchr(label->val, '=');
		if (!eq || eq == label->val)
			imp_bad(m, label, "KEY=VALUE");
		else if (str_startswith(label->val, "acestream."))
			imp_unmapped(m, "CONTAINER_LABEL", "acestream.* labels are the daemon's own");
		else {
			char *key = xstrndup(label->val, (size_t)(eq - label->val));
			w(m, "  # CONTAINER_LABEL: kept on engines for your own tooling; ownership is\n"
			     "  # the acestream.orchestrator label (the instance name) here.\n"
			     "  labels:\n");
			w(m, "    ");
			config_dump_str(m->o, key);
			w(m, ": ");
			config_dump_str(m->o, eq + 1);
			w(m, "\n");
			free(key);
		}
	}

	long long interval, failures;
	bool has_i = imp_int(m, "HEALTH_CHECK_INTERVAL_S", 1, 31622400, &interval);
	bool has_f = imp_int(m, "HEALTH_FAILURE_THRESHOLD", 1, INT_MAX, &failures);
	if (has_i || has_f)
		w(m, "  health:\n");
	if (has_i)
		w(m, "    interval: %llds  # HEALTH_CHECK_INTERVAL_S\n", interval);
	if (has_f)
		w(m, "    failures: %lld  # HEALTH_FAILURE_THRESHOLD\n", failures);
}

static void imp_replicas(struct imp *m)
{
	/* Upstream's defaults (app/core/config.py) are written out where they
	 * differ from ours or could: the fleet keeps its size. */
	long long min = 1, max = 20, free_ = 1, active;
	bool has_min = imp_int(m, "MIN_REPLICAS", 0, INT_MAX, &min);
	bool has_max = imp_int(m, "MAX_REPLICAS", 1, INT_MAX, &max);
	bool has_free = imp_int(m, "MIN_FREE_REPLICAS", 0, INT_MAX, &free_);
	bool has_active = imp_int(m, "MAX_ACTIVE_REPLICAS", 1, INT_MAX, &active);
	w(m, "replicas:\n");
	w(m, "  min: %lld%s\n", min, has_min ? "  # MIN_REPLICAS" : "  # upstream's default MIN_REPLICAS");
	if (has_active && m->vpn) {
		/* Upstream capped engines behind Gluetun at MAX_ACTIVE_REPLICAS
		 * and everything at MAX_REPLICAS: the lower one holds. */
		w(m, "  max: %lld  # the lower of MAX_ACTIVE_REPLICAS (engines behind Gluetun) "
		     "and %sMAX_REPLICAS\n", active < max ? active : max,
		  has_max ? "" : "upstream's default ");
	} else {
		w(m, "  max: %lld%s\n", max, has_max ? "  # MAX_REPLICAS" : "  # upstream's default MAX_REPLICAS");
		if (has_active)
			imp_unmapped(m, "MAX_ACTIVE_REPLICAS", "applies behind Gluetun only");
	}
	w(m, "  min_free: %lld%s\n", free_, has_free ? "  # MIN_FREE_REPLICAS"
						     : "  # upstream's default MIN_FREE_REPLICAS");
}

/* vpns[] and the global `ports` (PORT_RANGE_HOST). */
static void imp_vpns(struct imp *m)
{
	const struct import_env_var *n1 = imp_get(m, "GLUETUN_CONTAINER_NAME");
	const struct import_env_var *n2 = imp_get(m, "GLUETUN_CONTAINER_NAME_2");
	struct port_range host = { 19000, 19999 }, r1, r2;
	const struct import_env_var *hv = imp_range(m, "PORT_RANGE_HOST", &host);
	const struct import_env_var *v1 = imp_range(m, "GLUETUN_PORT_RANGE_1", &r1);
	const struct import_env_var *v2 = imp_range(m, "GLUETUN_PORT_RANGE_2", &r2);
	const struct import_env_var *net = imp_get(m, "DOCKER_NETWORK");
	long long api_port = 8000;
	bool has_api = imp_int(m, "GLUETUN_API_PORT", 1, 65535, &api_port);
	char a[16], b[16];

	if (!m->vpn) {
		if (n2)
			imp_unmapped(m, "GLUETUN_CONTAINER_NAME_2", "needs GLUETUN_CONTAINER_NAME");
		if (v1)
			imp_unmapped(m, "GLUETUN_PORT_RANGE_1", "no VPN (GLUETUN_CONTAINER_NAME unset)");
		if (v2)
			imp_unmapped(m, "GLUETUN_PORT_RANGE_2", "no VPN (GLUETUN_CONTAINER_NAME unset)");
		if (has_api)
			imp_unmapped(m, "GLUETUN_API_PORT", "no VPN (GLUETUN_CONTAINER_NAME unset)");
		w(m, "vpns: []\n");
		w(m, "# Engines publish their HTTP port from this range.\n");
		w(m, "ports: %s  # %s\n", range_fmt(host, a, sizeof a),
		  hv ? "PORT_RANGE_HOST" : "upstream's default PORT_RANGE_HOST");
		if (net) {
			w(m, "network: ");
			config_dump_str(m->o, net->val);
			w(m, "  # DOCKER_NETWORK\n");
		}
		return;
	}
	if (net)
		imp_unmapped(m, "DOCKER_NETWORK", "engines behind a VPN share its network namespace");
	if (!m->redundant && n2)
		imp_unmapped(m, "GLUETUN_CONTAINER_NAME_2", "used only with VPN_MODE=redundant");
	if (!m->redundant && v2)
		imp_unmapped(m, "GLUETUN_PORT_RANGE_2", "used only with VPN_MODE=redundant");

	const char *why1, *why2 = NULL;
	if (!m->redundant) {
		/* Single mode allocated from PORT_RANGE_HOST unless range 1 is set. */
		why1 = v1 ? "GLUETUN_PORT_RANGE_1" : hv ? "PORT_RANGE_HOST" : "upstream's default PORT_RANGE_HOST";
		if (!v1)
			r1 = host;
	} else if (v1 && v2) {
		why1 = "GLUETUN_PORT_RANGE_1";
		why2 = "GLUETUN_PORT_RANGE_2";
	} else {
		/* Upstream then took every VPN's ports from one pool, which broke
		 * the second VPN's mapping; its compose examples split the range. */
		if (v1)
			imp_unmapped(m, "GLUETUN_PORT_RANGE_1", "redundant mode needs both ranges; "
					"PORT_RANGE_HOST was split instead");
		if (v2)
			imp_unmapped(m, "GLUETUN_PORT_RANGE_2", "redundant mode needs both ranges; "
					"PORT_RANGE_HOST was split instead");
		int mid = host.lo + (range_size(host) - 1) / 2;
		r1 = (struct port_range){ host.lo, mid };
		r2 = (struct port_range){ mid + 1 < host.hi ? mid + 1 : host.hi, host.hi };
		why1 = why2 = "half of PORT_RANGE_HOST: CHECK your compose `ports:`";
		diags_add(m->d, DIAG_WARNING, hv ? hv->pos : n2->pos, "redundant mode without "
			  "GLUETUN_PORT_RANGE_1 and _2: split %s into %s and %s; check them against "
			  "the VPNs' compose port mappings", range_fmt(host, a, sizeof a),
			  range_fmt(r1, b, sizeof b), range_fmt(r2, (char[16]){ 0 }, 16));
	}
	w(m, "# Upstream reached its VPNs by container name from their Docker network;\n"
	     "# a daemon on the host needs each VPN's published control port in `api`\n"
	     "# (http://127.0.0.1:PORT) and the Docker host's address in `host`.\n"
	     "vpns:\n");
	const struct import_env_var *names[2] = { n1, n2 };
	struct port_range ranges[2] = { r1, r2 };
	const char *whys[2] = { why1, why2 };
	for (int i = 0; i < (m->redundant ? 2 : 1); i++) {
		char url[300];
		w(m, "  - name: ");
		config_dump_str(m->o, names[i]->val);
		w(m, "  # GLUETUN_CONTAINER_NAME%s\n", i ? "_2" : "");
		w(m, "    ports: %s  # %s\n", range_fmt(ranges[i], a, sizeof a), whys[i]);
		if (has_api && api_port != 8000) {
			sbuf_printf(url, sizeof url, "http://%s:%lld", names[i]->val, api_port);
			w(m, "    # GLUETUN_API_PORT: the control server's port inside the VPN container\n");
			w_kv(m, "    ", "api", url);
		}
	}
	bool inside = host.lo <= r1.lo && r1.hi <= host.hi &&
		      (!m->redundant || (host.lo <= r2.lo && r2.hi <= host.hi));
	if (hv && inside) {
		w(m, "ports: %s  # PORT_RANGE_HOST\n", range_fmt(host, a, sizeof a));
	} else if (hv) {
		imp_unmapped(m, "PORT_RANGE_HOST", "the VPN ranges are not inside it");
	}
}

static void imp_health(struct imp *m)
{
	long long check, ttl, restart;
	bool has_check = imp_int(m, "GLUETUN_HEALTH_CHECK_INTERVAL_S", 1, 31622400, &check);
	bool has_ttl = imp_int(m, "GLUETUN_PORT_CACHE_TTL_S", 1, 31622400, &ttl);
	bool has_restart = imp_int(m, "VPN_UNHEALTHY_RESTART_TIMEOUT_S", 0, 31622400, &restart);
	const struct import_env_var *reconnect = imp_get(m, "VPN_RESTART_ENGINES_ON_RECONNECT");
	if (!m->vpn) {
		const char *keys[] = { "GLUETUN_HEALTH_CHECK_INTERVAL_S", "GLUETUN_PORT_CACHE_TTL_S",
				       "VPN_UNHEALTHY_RESTART_TIMEOUT_S",
				       "VPN_RESTART_ENGINES_ON_RECONNECT" };
		for (size_t i = 0; i < ARRAY_LEN(keys); i++)
			imp_unmapped(m, keys[i], "no VPN (GLUETUN_CONTAINER_NAME unset)");
		return;
	}
	if (!has_check && !has_ttl && !has_restart && !reconnect)
		return;
	w(m, "health:\n");
	if (has_check)
		w(m, "  vpn_check_interval: %llds  # GLUETUN_HEALTH_CHECK_INTERVAL_S\n", check);
	if (has_ttl)
		w(m, "  port_check_interval: %llds  # GLUETUN_PORT_CACHE_TTL_S\n", ttl);
	if (has_restart && restart == 0)
		w(m, "  # VPN_UNHEALTHY_RESTART_TIMEOUT_S=0 restarted at once upstream; 0 means\n"
		     "  # never here, so the nearest is 1s.\n"
		     "  vpn_restart_after: 1s\n");
	else if (has_restart)
		w(m, "  vpn_restart_after: %llds  # VPN_UNHEALTHY_RESTART_TIMEOUT_S\n", restart);
	/* Upstream: os.getenv(...).lower() == "true"; anything else is false. */
	if (reconnect)
		w(m, "  restart_engines_on_reconnect: %s  # VPN_RESTART_ENGINES_ON_RECONNECT\n",
		  str_true(reconnect->val) ? "true" : "false");
}

static void imp_api(struct imp *m)
{
	long long port = 8000;
	bool has_port = imp_int(m, "APP_PORT", 1, 65535, &port);
	const struct import_env_var *key = imp_get(m, "API_KEY");
	w(m, "api:\n");
	w(m, "  # Upstream served its API on all interfaces, port %s.\n",
	  has_port ? "APP_PORT" : "8000 (APP_PORT's default)");
	w(m, "  listen: \"0.0.0.0:%lld\"\n", port);
	if (key && *key->val) {
		w(m, "  # API_KEY is set; its value is not copied into this file. Put it in a\n"
		     "  # file only the daemon can read, then uncomment api_key_file:\n"
		     "  #   (umask 077; printf '%%s' \"$API_KEY\" > /etc/ace-orchestrator/api_key)\n"
		     "  # api_key_file: /etc/ace-orchestrator/api_key\n");
	} else {
		w(m, "  # No API_KEY: POST endpoints are open to whoever reaches the API. Set\n"
		     "  # api_key_file (a file holding the key) to require one.\n");
	}
	long long per;
	if (imp_int(m, "ACEXY_MAX_STREAMS_PER_ENGINE", 1, INT_MAX, &per)) {
		w(m, "streams:\n");
		w(m, "  # ACEXY_MAX_STREAMS_PER_ENGINE: stream_started beyond it answers 429\n");
		w(m, "  max_per_engine: %lld\n", per);
	}
}

/* VPN_MODE and the container names decide how many VPNs there are. */
static void imp_mode(struct imp *m)
{
	const struct import_env_var *mode = imp_get(m, "VPN_MODE");
	const struct import_env_var *n1 = imp_get(m, "GLUETUN_CONTAINER_NAME");
	const struct import_env_var *n2 = imp_get(m, "GLUETUN_CONTAINER_NAME_2");
	if (mode && strcmp(mode->val, "single") != 0 && strcmp(mode->val, "redundant") != 0) {
		imp_bad(m, mode, "single or redundant");
		mode = NULL;
	}
	if (n1 && !*n1->val) {
		imp_unmapped(m, "GLUETUN_CONTAINER_NAME", "empty: no VPN");
		n1 = NULL;
	}
	m->vpn = n1 != NULL;
	m->redundant = m->vpn && mode && strcmp(mode->val, "redundant") == 0;
	if (m->redundant && (!n2 || !*n2->val || strcmp(n2->val, n1->val) == 0)) {
		/* Upstream refused to start; the nearest working setup is one VPN. */
		diags_add(m->d, DIAG_WARNING, mode->pos, "VPN_MODE=redundant needs a "
			  "GLUETUN_CONTAINER_NAME_2 other than GLUETUN_CONTAINER_NAME; "
			  "writing one VPN");
		imp_unmapped(m, "VPN_MODE", "redundant without a distinct second VPN");
		m->redundant = false;
	}
	if (mode && !m->vpn)
		imp_unmapped(m, "VPN_MODE", "no VPN (GLUETUN_CONTAINER_NAME unset)");
}

static int imp_line_cmp(const void *a, const void *b)
{
	const struct import_env_var *x = *(const struct import_env_var *const *)a;
	const struct import_env_var *y = *(const struct import_env_var *const *)b;
	return (x->pos.line > y->pos.line) - (x->pos.line < y->pos.line);
}

/* In the order of the file (a variable set twice counts at its last line). */
static void imp_not_mapped(struct imp *m, const char *name)
{
	bool any = false;
	const struct import_env_var **order = xcalloc(m->vars.n + 1, sizeof *order);
	for (size_t i = 0; i < m->vars.n; i++)
		order[i] = &m->vars.v[i];
	qsort(order, m->vars.n, sizeof *order, imp_line_cmp);
	for (size_t k = 0; k < m->vars.n; k++) {
		const struct import_env_var *v = order[k];
		size_t i = (size_t)(v - m->vars.v);
		if (m->used[i])
			continue;
		if (!any)
			w(m, "\n# Not mapped from %s (values are not repeated here):\n", name);
		any = true;
		const char *why = m->why[i];
		for (size_t u = 0; !why && u < ARRAY_LEN(unmapped); u++)
			if (strcmp(v->key, unmapped[u].key) == 0)
				why = unmapped[u].why;
		w(m, "#   %s (line %d): %s\n", v->key, v->pos.line,
		  why ? why : "not a setting of upstream v1; ignored");
	}
	free(order);
}

/* The generated file must load; what it says otherwise is the user's to fix
 * (an API port inside a VPN's range, ...), reported without failing. */
static void imp_self_check(struct imp *m, const char *yaml)
{
	struct diags d = { 0 };
	struct config *c = config_load_buffer(yaml, strlen(yaml), "orchestrator.yaml", &d);
	for (size_t i = 0; i < d.n; i++)
		if (d.v[i].level == DIAG_ERROR)
			diags_add(m->d, DIAG_WARNING, (struct src_pos){ 0, 0 },
				  "the orchestrator.yaml written does not validate: %d:%d: %s",
				  d.v[i].pos.line, d.v[i].pos.col, d.v[i].msg);
	config_free(c);
	diags_free(&d);
}

char *import_env(const char *text, size_t len, const char *name, struct diags *d)
{
	struct imp m = { .d = d };
	char *out = NULL;
	size_t outlen = 0;
	import_env_parse(text, len, &m.vars, d);
	m.used = xcalloc(m.vars.n + 1, sizeof *m.used);
	m.why = xcalloc(m.vars.n + 1, sizeof *m.why);
	m.blocked = xcalloc(m.vars.n + 1, sizeof *m.blocked);
	/* A value written in terms of another variable is not what the daemon
	 * would get; mapping it as written would only move the error. */
	for (size_t i = 0; i < m.vars.n; i++) {
		if (m.vars.v[i].unexpanded) {
			m.blocked[i] = true;
			m.why[i] = "its value refers to another variable ($NAME), which import-env "
				   "does not expand: expand it and run again";
		}
	}
	m.o = open_memstream(&out, &outlen);
	if (!m.o)
		fatal("open_memstream: out of memory");
	name = name ? name : ".env";

	w(&m, "# orchestrator.yaml for the upstream acestream-orchestrator v1 settings in\n"
	      "# %s, written by `ace-orchestrator import-env`. Check it with\n"
	      "#   ace-orchestrator validate -c orchestrator.yaml\n"
	      "# Settings the file does not set get ace-orchestrator's defaults\n"
	      "# (`validate --dump` shows them); what could not be mapped is listed at\n"
	      "# the end.\n"
	      "version: 1\n", name);
	imp_mode(&m);
	imp_docker(&m);
	imp_engine(&m);
	imp_replicas(&m);
	imp_vpns(&m);
	imp_health(&m);
	imp_api(&m);
	imp_not_mapped(&m, name);
	fclose(m.o);
	imp_self_check(&m, out);
	free(m.used);
	free(m.why);
	free(m.blocked);
	import_env_vars_free(&m.vars);
	return out;
}
