/* ctrl.h - what a VPN's Gluetun control server says (forwarded ports, public
 * IP), read with the blocking client of gluetun.h off the event loop. */
#ifndef ACE_CTRL_H
#define ACE_CTRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct vpn_obs;

struct ctrl_state {
	bool read;       /* at least one read finished */
	bool api_ok;     /* the last read was answered */
	char *api_error; /* why not, NULL when ok */
	int fwd_port;    /* first forwarded port, 0 = none */
	int *fwd_ports;
	size_t n_fwd_ports;
	char *public_ip;
	int64_t read_ms; /* wall clock of the last read */
	int64_t took_ms; /* how long it took */
	/* The VPN container the read was made against: after a restart or a
	 * re-create the forwarded port is usually another one. */
	char *vpn_id;
	int64_t vpn_started_ms;
};

/* Whether s was read against v's current container (same ID and StartedAt). */
bool ctrl_matches(const struct ctrl_state *s, const struct vpn_obs *v);

void ctrl_state_clear(struct ctrl_state *s);
void ctrl_state_copy(struct ctrl_state *dst, const struct ctrl_state *src);

/* One read of decl's control server (blocking, bounded by timeout_ms; <= 0:
 * 2000), made against the container v (its ID and StartedAt are recorded).
 * On failure the ports and IP of prev stay when prev was read against the
 * same container (a timeout must not look like "port lost" and churn the
 * forwarded engine); api_ok says the answer is not fresh. now_ms stamps
 * read_ms. */
void ctrl_read(const struct vpn_decl *decl, const struct vpn_obs *v,
	       const struct ctrl_state *prev, long timeout_ms, int64_t now_ms,
	       struct ctrl_state *out);

/* Copies s into the control-server fields of v (api_ok, api_error, ports,
 * public_ip, ports_read_ms). */
void ctrl_to_vpn_obs(const struct ctrl_state *s, struct vpn_obs *v);

#endif
