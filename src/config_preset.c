/* config_preset.c - engine.preset: the env and argv that each engine image
 * users run expects (upstream's "engine variants"), and how engine.env and
 * engine.command are laid over them. */
#include "config-auto.h"

#include <stdlib.h>
#include <string.h>

#include "config_priv.h"
#include "util.h"

/* What the image reads, from the image's own sources (see doc/configuration.md
 * "Engine presets" for the table users read):
 *
 * krinkuto11: ghcr.io/krinkuto11/acestream-http-proxy. Its entrypoint.sh
 *   (krinkuto11/acestream-http-proxy, since 2025-09-20) builds acestream.conf
 *   from HTTP_PORT, HTTPS_PORT, BIND_ALL (any non-empty value), P2P_PORT,
 *   INTERNAL_BUFFERING and CACHE_LIMIT and ignores CONF; earlier builds
 *   required CONF and wrote it verbatim. SPEC §3's default env serves both:
 *   the four variables for current builds, CONF for older ones. Upstream's
 *   krinkuto11-amd64 variant (acestream-orchestrator app/services/
 *   provisioner.py, v1) set the same plus INTERNAL_BUFFERING=60 and
 *   CACHE_LIMIT=1, which are tuning, not contract: left to engine.env.
 * jopsis-amd64: jopsis/acestream:x64. Its Dockerfile runs
 *   `sh -c "/acestream/start-engine ${ACESTREAM_ARGS}"` with ACESTREAM_ARGS
 *   defaulting to "--client-console --bind-all"; upstream appended
 *   "--http-port H --https-port S" and "--port P". We keep the image's own
 *   defaults rather than upstream's tuning list, which also turns on
 *   --service-remote-access with the well-known token "root".
 * jopsis-arm32 / jopsis-arm64: jopsis/acestream:arm32-v3.2.13 / arm64-v3.2.13
 *   take the engine's command line as CMD; upstream passed exactly this
 *   base command (the images' documented defaults) plus the ports.
 * custom: nothing; engine.env and engine.command say it all. */

static const struct kv krinkuto11_env[] = {
	{ "HTTP_PORT", "{http_port}", { 0, 0 } },
	{ "HTTPS_PORT", "{https_port}", { 0, 0 } },
	{ "BIND_ALL", "true", { 0, 0 } },
	{ "P2P_PORT", "{p2p_port}", { 0, 0 } },
	{ "CONF", "--http-port={http_port}\n--https-port={https_port}\n--bind-all", { 0, 0 } },
};

static const struct kv jopsis_amd64_env[] = {
	{ "ACESTREAM_ARGS",
	  "--client-console --bind-all --http-port {http_port} --https-port {https_port} "
	  "--port {p2p_port}", { 0, 0 } },
};

static const char *const jopsis_arm_argv[] = {
	"python", "main.py", "--bind-all", "--client-console", "--live-cache-type", "memory",
	"--live-mem-cache-size", "104857600", "--disable-sentry", "--log-stdout",
	"--http-port", "{http_port}", "--https-port", "{https_port}", "--port", "{p2p_port}",
};

static const struct config_preset presets[] = {
	[PRESET_KRINKUTO11] = { "krinkuto11", "ghcr.io/krinkuto11/acestream-http-proxy:latest",
				krinkuto11_env, ARRAY_LEN(krinkuto11_env), NULL, 0 },
	[PRESET_JOPSIS_AMD64] = { "jopsis-amd64", "jopsis/acestream:x64",
				  jopsis_amd64_env, ARRAY_LEN(jopsis_amd64_env), NULL, 0 },
	[PRESET_JOPSIS_ARM32] = { "jopsis-arm32", "jopsis/acestream:arm32-v3.2.13", NULL, 0,
				  jopsis_arm_argv, ARRAY_LEN(jopsis_arm_argv) },
	[PRESET_JOPSIS_ARM64] = { "jopsis-arm64", "jopsis/acestream:arm64-v3.2.13", NULL, 0,
				  jopsis_arm_argv, ARRAY_LEN(jopsis_arm_argv) },
	[PRESET_CUSTOM] = { "custom", NULL, NULL, 0, NULL, 0 },
};

const struct config_preset *config_preset_get(enum engine_preset p)
{
	return (unsigned)p < ARRAY_LEN(presets) ? &presets[p] : &presets[PRESET_KRINKUTO11];
}

const char *engine_preset_str(enum engine_preset p)
{
	return config_preset_get(p)->name;
}

bool config_preset_parse(const char *name, enum engine_preset *out)
{
	for (size_t i = 0; name && i < ARRAY_LEN(presets); i++) {
		if (strcmp(presets[i].name, name) == 0) {
			*out = (enum engine_preset)i;
			return true;
		}
	}
	return false;
}

const char *config_preset_names(void)
{
	return "krinkuto11, jopsis-amd64, jopsis-arm32, jopsis-arm64, custom";
}

static void kvs_clear(struct kv **v, size_t *n)
{
	for (size_t i = 0; i < *n; i++) {
		free((*v)[i].key);
		free((*v)[i].val);
	}
	free(*v);
	*v = NULL;
	*n = 0;
}

void config_preset_apply(struct engine_decl *e, enum engine_preset p)
{
	const struct config_preset *ps = config_preset_get(p);
	e->preset = p;
	kvs_clear(&e->env, &e->n_env);
	kvs_clear(&e->env_unset, &e->n_env_unset);
	if (ps->n_env) {
		e->env = xcalloc(ps->n_env, sizeof *e->env);
		for (size_t i = 0; i < ps->n_env; i++)
			e->env[i] = (struct kv){ xstrdup(ps->env[i].key), xstrdup(ps->env[i].val), { 0, 0 } };
		e->n_env = ps->n_env;
	}
	for (size_t i = 0; i < e->n_command; i++)
		free(e->command[i].s);
	free(e->command);
	e->command = NULL;
	e->n_command = 0;
	if (ps->n_argv) {
		e->command = xcalloc(ps->n_argv, sizeof *e->command);
		for (size_t i = 0; i < ps->n_argv; i++)
			e->command[i] = (struct pstr){ xstrdup(ps->argv[i]), { 0, 0 } };
		e->n_command = ps->n_argv;
	}
}

static size_t env_find(const struct kv *v, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].key, key) == 0)
			return i;
	return n;
}

bool config_env_set(struct engine_decl *e, const char *key, const char *val, struct src_pos pos)
{
	size_t i = env_find(e->env, e->n_env, key);
	/* A key set again after a `~` in the same file is set, not unset. */
	size_t u = env_find(e->env_unset, e->n_env_unset, key);
	if (u < e->n_env_unset) {
		free(e->env_unset[u].key);
		free(e->env_unset[u].val);
		memmove(&e->env_unset[u], &e->env_unset[u + 1],
			(e->n_env_unset - u - 1) * sizeof *e->env_unset);
		e->n_env_unset--;
	}
	if (i < e->n_env) {
		/* Keeps the preset's order, so the dump reads like the table. */
		free(e->env[i].val);
		e->env[i].val = xstrdup(val);
		e->env[i].pos = pos;
		return true;
	}
	e->env = xrealloc(e->env, (e->n_env + 1) * sizeof *e->env);
	e->env[e->n_env++] = (struct kv){ xstrdup(key), xstrdup(val), pos };
	return false;
}

bool config_env_unset(struct engine_decl *e, const char *key, struct src_pos pos)
{
	size_t i = env_find(e->env, e->n_env, key);
	if (i == e->n_env)
		return false;
	free(e->env[i].key);
	free(e->env[i].val);
	memmove(&e->env[i], &e->env[i + 1], (e->n_env - i - 1) * sizeof *e->env);
	e->n_env--;
	e->env_unset = xrealloc(e->env_unset, (e->n_env_unset + 1) * sizeof *e->env_unset);
	e->env_unset[e->n_env_unset++] = (struct kv){ xstrdup(key), NULL, pos };
	return true;
}
