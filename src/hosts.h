/* hosts.h - the fleet's Docker hosts as API clients: one docker client per
 * declared host (config.docker_hosts), made from its address and TLS files. */
#ifndef ACE_HOSTS_H
#define ACE_HOSTS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "docker.h"

/* A client for one declared host (NULL with err when its address is bad). */
struct docker *hosts_client(const struct docker_host_decl *h, struct docker_err *err);
/* Everything such a client is made from, as one string: equal keys make
 * equal clients. */
char *hosts_client_key(const struct docker_host_decl *h);
/* cfg->docker_hosts[i], with the default host's address taken from
 * cfg->docker_host when a config built by hand (tests) set only that. */
struct docker_host_decl hosts_decl(const struct config *cfg, size_t i);

/* What a TLS failure (curl's words in err) most likely means for a Docker
 * host set up as Docker documents it; NULL for any other error. */
const char *hosts_tls_hint(const char *err);

/* One client per host of the config in force, kept across passes (curl
 * keeps their connections alive) and remade only for a host whose address
 * or TLS files changed in a reload. Used by one thread at a time per host. */
struct hosts_clients {
	size_t n;
	struct docker **d;       /* NULL: could not be made, see err */
	struct docker_err *err;
	char **key;              /* what the client was made from */
	char **name;             /* the host's name */
};

/* Brings hc in line with cfg's hosts; cancel_fd as docker_set_cancel_fd. */
void hosts_clients_sync(struct hosts_clients *hc, const struct config *cfg, int cancel_fd);
void hosts_clients_free(struct hosts_clients *hc);

#endif
