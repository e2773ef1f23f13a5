/* plan_int.h - the planner's working state during one pass, shared by
 * plan_setup.c (setup), plan.c (rules 1-3, 7, 9, ordering) and plan_place.c
 * (rules 4-6, 8). */
#ifndef ACE_PLAN_INT_H
#define ACE_PLAN_INT_H

#include "plan.h"

/* One observed engine as the planner sees it during a pass. */
struct pl_eng {
	const struct engine_obs *o;
	const struct memory_engine *m; /* NULL when memory knows nothing of it */
	int g;          /* placement group, -1 when its VPN is not declared */
	int streams;
	bool dead;      /* removed in phase 0 (rule 7) */
	bool acted;     /* restarted, started or re-created this pass, or
			   left waiting: no other rule touches it */
	bool drift;     /* config hash differs (rule 6) */
	bool fw_keep;   /* the VPN's one forwarded engine (rule 5) */
	bool fw_stale;  /* that engine, but its P2P port is no longer forwarded */
	bool fw_extra;  /* a second forwarded engine, or forwarding is off */
	bool removing;  /* a phase-1 removal is planned */
	bool waiting;   /* exited, left as is this pass (VPN down, crash back-off);
			   only a surplus removal may take it */
	bool away;      /* on a Docker host that did not answer: its last view,
			   which no rule touches (acted) and an available VPN
			   does not count (it serves nothing there) */
};

/* A VPN's place in rule 4 (flap damping, health.failover_after and
 * health.recover_after). Hiding its engines follows rule 1 at once; moving
 * its share waits. */
enum pl_mode {
	MODE_ACTIVE = 0, /* available: placed on, counted in the spread */
	MODE_HELD,       /* unavailable for less than failover_after: keeps its
			    share (nothing placed on it, nothing moved away) */
	MODE_FAILED,     /* unavailable longer: its share moved to the others */
	MODE_RECOVERING, /* available again after failing over, for less than
			    recover_after: its engines serve, its share stays
			    with the others, nothing placed on it yet */
};

/* Where engines may be placed: one declared VPN, or the plain network in
 * no-VPN mode. Keeps rules 4-6 free of "is there a VPN" special cases. */
struct pl_group {
	const char *name; /* "" in no-VPN mode */
	const char *host; /* its Docker host's name ("default" in no-VPN mode) */
	bool host_down;   /* that host did not answer: unavailable, untouched */
	const char *id;   /* VPN container ID, "" in no-VPN mode */
	const struct vpn_obs *vo;
	struct port_range range;
	int max;
	bool available;   /* rule 1 */
	enum pl_mode mode;
	enum pf_mode pf;
	int fwd;          /* forwarded port P, 0 = none */
	int alive, busy, share;
	int replacing;    /* replacements planned here this pass (rule 6 limit) */
	bool disrupted;   /* stale/reconnect restarts or re-creates this pass */
	/* Placement steps (plan_place.c) hand these on to the next step. */
	int keeper;       /* rule 5: index of the forwarded engine kept, -1 */
	int present;      /* engines left after this pass's removals */
	int fill;         /* creates rule 4 still owes */
	bool fw_done;     /* rule 5's forwarded engine was seen to */
	unsigned char *used; /* per port of range: held by a container or a create */
	int *slot;        /* per port of range: engine index + 1 (engines_order) */
	int n_free;
	int next_port;    /* no free port below this one (take_port) */
	int n_creates;    /* creates planned here this pass */
	/* Its engines are c->ord[first .. first + n_eng), by port. */
	size_t first, n_eng;
};

/* Iterates the engine indices i of group g in port order (k is the
 * position in c->ord): one group's engines without scanning the fleet. */
#define PL_FOR_GROUP(c, g, k, i) \
	for (size_t k = (g)->first, i; k < (g)->first + (g)->n_eng && ((i) = (c)->ord[k], 1); k++)
#define PL_FOR_GROUP_REV(c, g, k, i) \
	for (size_t k = (g)->first + (g)->n_eng, i; k-- > (g)->first && ((i) = (c)->ord[k], 1);)

/* An action before ordering. */
struct pl_item {
	enum action_kind kind;
	int e;   /* engine index, -1 for creates and VPN restarts */
	int g;
	char *reason;
	struct engine_spec *spec;
	int dep; /* removes: index in the creates list that must succeed, or -1 */
};

struct pl_list {
	struct pl_item *v;
	size_t n, cap;
};

/* A declared VPN name and its group, sorted by name for bsearch. */
struct pl_name {
	const char *name;
	int g;
};

struct pl {
	const struct config *cfg;
	const struct observed *obs;
	const struct memory *mem;
	int64_t now;
	char hash[17];
	struct pl_group *g;
	size_t ng;
	unsigned short *port_group; /* group index + 1 of each port in the span */
	int span_lo, span_n;     /* the ports VPN ranges cover: [lo, lo + n) */
	struct pl_name *names;   /* ng entries */
	unsigned char *used;     /* every group's used[] */
	int *slots;              /* every group's slot[] */
	struct pl_eng *e;
	size_t ne;
	size_t *ord; /* engine indices by (group, http_port, name) */
	struct pl_list vpn_restarts, dead, starts, restarts, recreates, creates, removes;
	struct plan *out;
};

/* plan_setup.c: groups, engines and their order for one pass. */
void pl_setup(struct pl *c);
void pl_setup_free(struct pl *c);

/* Internal helpers (pl_ prefix: not part of the plan_ API). */
void pl_note(struct plan *out, const char *vpn, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
size_t pl_push(struct pl_list *l, enum action_kind k, int e, int g,
	       struct engine_spec *spec, int dep, char *reason);
bool pl_eng_idle(const struct pl_eng *e);
struct engine_spec *pl_spec_for(struct pl *c, const struct pl_group *g, int port,
			     bool forwarded, int p2p);

/* Rule 4 target and shares, then rules 4-6 and 8 for one available group. */
void pl_rule_target(struct pl *c);
void pl_rule_group(struct pl *c, int gi);

#endif
