/* plan_fixtures.h - builders for planner tests: a struct config filled in C
 * (no YAML), an observed world, the loop's memory, and plan queries. */
#ifndef ACE_PLAN_FIXTURES_H
#define ACE_PLAN_FIXTURES_H

#include "plan.h"

#define FX_NOW 10000000LL /* a wall clock far from 0 */

struct fx {
	struct config cfg;
	struct observed obs;
	struct memory mem;
	struct plan plan;
	char hash[17];
};

/* config_set_defaults (SPEC §3), instance "test", no VPN declared. */
void fx_init(struct fx *f);
void fx_free(struct fx *f);

/* Declares a VPN and observes it running + healthy, id "<name>-id". */
struct vpn_obs *fx_vpn(struct fx *f, const char *name, int lo, int hi, int max_engines,
		       enum pf_mode pf);
struct vpn_obs *fx_vobs(struct fx *f, const char *name);
void fx_env(struct fx *f, const char *key, const char *val);
void fx_label(struct fx *f, const char *key, const char *val);
void fx_cmd(struct fx *f, const char *arg);
/* Refreshes fx->hash after the engine part of the config changed. */
void fx_rehash(struct fx *f);

/* An owned, running, correctly attached engine as the planner would have
 * created it: name acestream-<port>, id "e<port>", current hash. */
struct engine_obs *fx_engine(struct fx *f, const char *vpn, int http_port);
struct engine_obs *fx_fwd_engine(struct fx *f, const char *vpn, int http_port, int p2p);
struct engine_obs *fx_find_engine(struct fx *f, const char *name);
void fx_streams(struct fx *f, int http_port, int streams);

/* Docker hosts (issue 11). fx_host declares docker_hosts entry `name` and
 * observes every host answering; fx_vpn_host puts a declared VPN there
 * (engines added for it afterwards are listed on that host); fx_host_down
 * makes a host stop (or start again) answering, its VPNs host_down. */
void fx_host(struct fx *f, const char *name);
void fx_vpn_host(struct fx *f, const char *vpn, const char *host);
void fx_host_down(struct fx *f, const char *host, bool down);

/* memory_observe + plan_compute at now. */
size_t fx_plan(struct fx *f, int64_t now);

/* "create acestream-19000, remove acestream-19001" - one word per action:
 * kind and name, "*" after forwarded creates. Static buffer of f. */
const char *fx_summary(struct fx *f);
int fx_count(const struct plan *p, enum action_kind k);
/* Index of the first action of kind k on name, or -1. */
int fx_index(const struct plan *p, enum action_kind k, const char *name);
bool fx_has_note(const struct plan *p, const char *needle);

#endif
