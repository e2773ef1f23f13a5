/* plan_out.c - the data the planner hands out: engine container specs (ports,
 * templates, SPEC §4 labels), struct plan lifetime, and its text/JSON forms. */
#include "config-auto.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "util.h"

const char *action_kind_str(enum action_kind k)
{
	switch (k) {
	case ACT_CREATE: return "create";
	case ACT_START: return "start";
	case ACT_RESTART: return "restart";
	case ACT_REMOVE: return "remove";
	case ACT_RECREATE: return "recreate";
	case ACT_RESTART_VPN: return "restart_vpn";
	}
	return "unknown";
}

static void kv_push(struct kv **v, size_t *n, size_t *cap, const char *key, char *val)
{
	grow(v, cap, *n + 1, sizeof **v);
	struct kv *p = &(*v)[(*n)++];
	memset(p, 0, sizeof *p);
	p->key = xstrdup(key);
	p->val = val;
}

static int kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kv *)a)->key, ((const struct kv *)b)->key);
}

/* A validated config has only known placeholders; should one slip through,
 * the raw text is better than dropping the variable. */
static char *expand(const char *tmpl, const struct tmpl_vars *tv)
{
	char *s = tmpl_expand(tmpl ? tmpl : "", tv);
	return s ? s : xstrdup(tmpl ? tmpl : "");
}

struct engine_spec *plan_engine_spec(const struct config *cfg, const char *vpn,
				     const char *vpn_id, struct port_range range,
				     int http_port, bool forwarded, int p2p_port,
				     const char *hash)
{
	const struct engine_decl *ed = &cfg->engine;
	struct engine_spec *s = xcalloc(1, sizeof *s);
	bool behind = vpn && *vpn;
	s->slot = http_port - range.lo;
	s->http_port = http_port;
	s->host_port = http_port;
	s->https_port = ed->https_port_base + s->slot;
	s->p2p_port = p2p_port > 0 ? p2p_port : ed->p2p_port_base + s->slot;
	s->forwarded = forwarded;
	s->behind_vpn = behind;
	s->name = xasprintf("%s-%d", ed->name_prefix ? ed->name_prefix : "acestream", http_port);
	s->image = xstrdup(ed->image ? ed->image : "");
	s->vpn = xstrdup(behind ? vpn : "");
	/* Engines join their VPN's namespace, so they live on its host. */
	const struct docker_host_decl *dh = behind ? config_vpn_docker(cfg, config_find_vpn(cfg, vpn)) : NULL;
	s->docker_host = xstrdup(dh ? dh->name : DOCKER_HOST_DEFAULT);
	s->vpn_id = xstrdup(behind && vpn_id ? vpn_id : "");
	if (behind)
		s->network_mode = xasprintf("container:%s", vpn_id && *vpn_id ? vpn_id : vpn);
	else
		s->network_mode = xstrdup(cfg->network ? cfg->network : "bridge");
	s->memory_limit = ed->memory_limit;
	s->stop_timeout_ms = ed->stop_timeout_ms;

	struct tmpl_vars tv = {
		.http_port = s->http_port, .https_port = s->https_port,
		.p2p_port = s->p2p_port, .name = s->name, .vpn = s->vpn,
		.forwarded = forwarded,
	};
	size_t cap = 0;
	for (size_t i = 0; i < ed->n_env; i++)
		kv_push(&s->env, &s->n_env, &cap, ed->env[i].key, expand(ed->env[i].val, &tv));
	if (ed->n_command) {
		s->cmd = xcalloc(ed->n_command, sizeof *s->cmd);
		for (size_t i = 0; i < ed->n_command; i++)
			s->cmd[i] = expand(ed->command[i].s, &tv);
		s->n_cmd = ed->n_command;
	}

	cap = 0;
	for (size_t i = 0; i < ed->n_labels; i++) {
		/* The acestream.* namespace is ours (validation rejects it too):
		 * a user label must never forge ownership or ports. */
		if (str_startswith(ed->labels[i].key, "acestream.") ||
		    str_eq(ed->labels[i].key, "host.http_port"))
			continue;
		kv_push(&s->labels, &s->n_labels, &cap, ed->labels[i].key,
			xstrdup(ed->labels[i].val ? ed->labels[i].val : ""));
	}
	kv_push(&s->labels, &s->n_labels, &cap, "acestream.orchestrator",
		xstrdup(cfg->instance ? cfg->instance : "default"));
	kv_push(&s->labels, &s->n_labels, &cap, "acestream.vpn_container", xstrdup(s->vpn));
	kv_push(&s->labels, &s->n_labels, &cap, "acestream.vpn_id", xstrdup(s->vpn_id));
	kv_push(&s->labels, &s->n_labels, &cap, "acestream.forwarded",
		xstrdup(forwarded ? "true" : "false"));
	kv_push(&s->labels, &s->n_labels, &cap, "acestream.http_port", xasprintf("%d", s->http_port));
	kv_push(&s->labels, &s->n_labels, &cap, "acestream.https_port", xasprintf("%d", s->https_port));
	kv_push(&s->labels, &s->n_labels, &cap, "acestream.p2p_port", xasprintf("%d", s->p2p_port));
	kv_push(&s->labels, &s->n_labels, &cap, "host.http_port", xasprintf("%d", s->host_port));
	kv_push(&s->labels, &s->n_labels, &cap, "acestream.config_hash", xstrdup(hash ? hash : ""));
	qsort(s->labels, s->n_labels, sizeof *s->labels, kv_cmp);
	return s;
}

void engine_spec_free(struct engine_spec *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_env; i++) {
		free(s->env[i].key);
		free(s->env[i].val);
	}
	for (size_t i = 0; i < s->n_labels; i++) {
		free(s->labels[i].key);
		free(s->labels[i].val);
	}
	for (size_t i = 0; i < s->n_cmd; i++)
		free(s->cmd[i]);
	free(s->env);
	free(s->labels);
	free(s->cmd);
	free(s->name);
	free(s->image);
	free(s->network_mode);
	free(s->vpn);
	free(s->vpn_id);
	free(s->docker_host);
	free(s);
}

static const char *kv_find(const struct kv *v, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (str_eq(v[i].key, key))
			return v[i].val;
	return NULL;
}

const char *engine_spec_label(const struct engine_spec *s, const char *key)
{
	return s ? kv_find(s->labels, s->n_labels, key) : NULL;
}

const char *engine_spec_env(const struct engine_spec *s, const char *key)
{
	return s ? kv_find(s->env, s->n_env, key) : NULL;
}

void plan_init(struct plan *p)
{
	memset(p, 0, sizeof *p);
}

void plan_free(struct plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		struct action *a = &p->v[i];
		free(a->name);
		free(a->id);
		free(a->vpn);
		free(a->host);
		free(a->reason);
		engine_spec_free(a->spec);
	}
	for (size_t i = 0; i < p->n_notes; i++) {
		free(p->notes[i].vpn);
		free(p->notes[i].text);
	}
	free(p->v);
	free(p->notes);
	free(p->reason);
	memset(p, 0, sizeof *p);
}

static void format_action(const struct plan *p, size_t i, FILE *out)
{
	const struct action *a = &p->v[i];
	fprintf(out, "  %2zu. [phase %d] %-11s %s", i + 1, a->phase,
		action_kind_str(a->kind), a->name ? a->name : "?");
	if (a->vpn && *a->vpn && a->kind != ACT_RESTART_VPN)
		fprintf(out, " vpn=%s", a->vpn);
	/* One host: naming it on every line would only be noise. */
	if (p->multi_host && a->host)
		fprintf(out, " host=%s", a->host);
	if (p->multi_host && a->spec && a->spec->docker_host && !str_eq(a->spec->docker_host, a->host))
		fprintf(out, " new_host=%s", a->spec->docker_host);
	if (a->spec)
		fprintf(out, " http=%d https=%d p2p=%d%s", a->spec->http_port,
			a->spec->https_port, a->spec->p2p_port,
			a->spec->forwarded ? " forwarded" : "");
	if (a->after >= 0)
		fprintf(out, " after=%d", a->after + 1);
	fprintf(out, "\n      %s\n", a->reason ? a->reason : "");
}

void plan_format_text(const struct plan *p, FILE *out)
{
	if (p->reason)
		fprintf(out, "%s\n", p->reason);
	if (p->n == 0 && !p->reason)
		fprintf(out, "No changes: the fleet matches the configuration.\n");
	if (p->n)
		fprintf(out, "Plan: %zu action%s (target %d serving engines, %d busy, capacity %d)\n",
			p->n, p->n == 1 ? "" : "s", p->target, p->busy, p->capacity);
	for (size_t i = 0; i < p->n; i++)
		format_action(p, i, out);
	for (size_t i = 0; i < p->n_notes; i++) {
		const char *v = p->notes[i].vpn;
		if (v && *v)
			fprintf(out, "note: vpn %s: %s\n", v, p->notes[i].text);
		else
			fprintf(out, "note: %s\n", p->notes[i].text);
	}
}

static cJSON *spec_json(const struct engine_spec *s)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", s->name);
	cJSON_AddStringToObject(o, "image", s->image);
	cJSON_AddStringToObject(o, "network_mode", s->network_mode);
	cJSON_AddStringToObject(o, "vpn_container", s->vpn);
	cJSON_AddStringToObject(o, "vpn_id", s->vpn_id);
	cJSON_AddStringToObject(o, "docker_host", s->docker_host ? s->docker_host : DOCKER_HOST_DEFAULT);
	cJSON_AddNumberToObject(o, "slot", s->slot);
	cJSON_AddNumberToObject(o, "http_port", s->http_port);
	cJSON_AddNumberToObject(o, "https_port", s->https_port);
	cJSON_AddNumberToObject(o, "p2p_port", s->p2p_port);
	cJSON_AddNumberToObject(o, "host_port", s->host_port);
	cJSON_AddBoolToObject(o, "forwarded", s->forwarded);
	cJSON_AddNumberToObject(o, "memory_limit", (double)s->memory_limit);
	cJSON_AddNumberToObject(o, "stop_timeout_ms", (double)s->stop_timeout_ms);
	cJSON *env = cJSON_AddObjectToObject(o, "env");
	for (size_t i = 0; i < s->n_env; i++)
		cJSON_AddStringToObject(env, s->env[i].key, s->env[i].val);
	cJSON *cmd = cJSON_AddArrayToObject(o, "cmd");
	for (size_t i = 0; i < s->n_cmd; i++)
		cJSON_AddItemToArray(cmd, cJSON_CreateString(s->cmd[i]));
	cJSON *labels = cJSON_AddObjectToObject(o, "labels");
	for (size_t i = 0; i < s->n_labels; i++)
		cJSON_AddStringToObject(labels, s->labels[i].key, s->labels[i].val);
	return o;
}

struct cJSON *plan_to_json(const struct plan *p)
{
	cJSON *o = cJSON_CreateObject();
	if (p->reason)
		cJSON_AddStringToObject(o, "reason", p->reason);
	else
		cJSON_AddNullToObject(o, "reason");
	cJSON_AddNumberToObject(o, "target", p->target);
	cJSON_AddNumberToObject(o, "busy", p->busy);
	cJSON_AddNumberToObject(o, "capacity", p->capacity);
	cJSON *acts = cJSON_AddArrayToObject(o, "actions");
	for (size_t i = 0; i < p->n; i++) {
		const struct action *a = &p->v[i];
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "action", action_kind_str(a->kind));
		cJSON_AddStringToObject(j, "name", a->name ? a->name : "");
		if (a->id)
			cJSON_AddStringToObject(j, "id", a->id);
		else
			cJSON_AddNullToObject(j, "id");
		cJSON_AddStringToObject(j, "vpn", a->vpn ? a->vpn : "");
		cJSON_AddStringToObject(j, "docker_host", a->host ? a->host : DOCKER_HOST_DEFAULT);
		cJSON_AddStringToObject(j, "reason", a->reason ? a->reason : "");
		cJSON_AddNumberToObject(j, "phase", a->phase);
		cJSON_AddNumberToObject(j, "after", a->after);
		if (a->spec)
			cJSON_AddItemToObject(j, "spec", spec_json(a->spec));
		cJSON_AddItemToArray(acts, j);
	}
	cJSON *notes = cJSON_AddArrayToObject(o, "notes");
	for (size_t i = 0; i < p->n_notes; i++) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "vpn", p->notes[i].vpn ? p->notes[i].vpn : "");
		cJSON_AddStringToObject(j, "text", p->notes[i].text);
		cJSON_AddItemToArray(notes, j);
	}
	return o;
}
