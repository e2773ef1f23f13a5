/* history.h - the daemon's recent history (GET /events, the dashboard, the
 * webhooks): a bounded ring the loop writes and API threads read under its lock. */
#ifndef ACE_HISTORY_H
#define ACE_HISTORY_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cJSON;

enum hist_kind {
	HIST_VPN_AVAILABLE = 0, /* a VPN became available (SPEC §5 rule 1) */
	HIST_VPN_UNAVAILABLE,   /* ... stopped being available */
	HIST_VPN_RESTARTED,     /* same container, new StartedAt */
	HIST_VPN_RECREATED,     /* new container ID */
	HIST_PORT_CHANGED,      /* forwarded port from_port -> to_port (0: none) */
	HIST_CONTROL_ERROR,     /* the control server started failing */
	HIST_CONTROL_OK,        /* ... answers again */
	HIST_ACTION_OK,         /* a planned action and its result */
	HIST_ACTION_FAILED,
	HIST_ACTION_SKIPPED,    /* held back: a prerequisite failed */
	HIST_CONFIG_RELOADED,
	HIST_CONFIG_REJECTED,   /* error: FILE:LINE:COL: error: MESSAGE */
	HIST_DOCKER_DOWN,
	HIST_DOCKER_UP,
	HIST_KINDS,
};
/* "vpn_available", ...: what /events shows as "kind". */
const char *hist_kind_str(enum hist_kind k);

struct hist_entry {
	uint64_t seq;        /* 1, 2, ... since the daemon started */
	int64_t ts_ms;       /* wall clock */
	enum hist_kind kind;
	char *object;        /* VPN or container name, config file, Docker host */
	char *vpn;           /* the VPN concerned, NULL when none */
	char *message;       /* one line for people */
	char *error;         /* the error (failures, rejections), NULL when none */
	int from_port, to_port; /* HIST_PORT_CHANGED */
	/* The first observation of this object since the daemon started: a
	 * VPN "available" at start-up is not news worth a webhook. */
	bool initial;
};

/* What history_add records (strings are copied; NULL allowed but object). */
struct hist_new {
	enum hist_kind kind;
	const char *object;
	const char *vpn;
	const char *error;
	int from_port, to_port;
	bool initial;
};

typedef void (*hist_listener_fn)(const struct hist_entry *e, void *ud);

struct history {
	pthread_mutex_t mu;
	struct hist_entry *ring;
	size_t cap;
	size_t n;          /* entries held, <= cap */
	size_t head;       /* index of the oldest */
	uint64_t last_seq; /* 0 before the first entry */
	uint64_t overwritten; /* entries pushed out by newer ones */
	int64_t boot_ms;   /* when this history began: seqs restart with the daemon */
	/* Called on the writer's thread after each entry (outside the lock). */
	hist_listener_fn listener;
	void *listener_ud;
};

#define HISTORY_CAP 1000
#define HISTORY_DEFAULT_LIMIT 100

void history_init(struct history *h, size_t cap, int64_t now_ms);
void history_destroy(struct history *h);
void history_set_listener(struct history *h, hist_listener_fn fn, void *ud);

/* Appends one entry (the oldest goes when full); message is printf-style.
 * Returns its sequence number. */
uint64_t history_add(struct history *h, const struct hist_new *n, int64_t ts_ms,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* GET /events: with has_since, the (at most limit) oldest entries after
 * since, else the newest limit entries; always oldest first:
 * {"boot_ms","last_seq","oldest_seq","missed","more","events":[...]}.
 * "missed" counts entries after since that the ring no longer holds. */
struct cJSON *history_to_json(struct history *h, bool has_since, uint64_t since, size_t limit);
/* One entry as /events (and the json webhook format) show it. */
struct cJSON *hist_entry_json(const struct hist_entry *e);
/* RFC 3339 UTC with milliseconds, "2026-11-23T15:04:05.123Z". */
void hist_time_str(int64_t ms, char *buf, size_t len);

#endif
