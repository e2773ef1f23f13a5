/* hosts.c - Docker clients for the fleet's hosts: made from each host's
 * address and TLS files, kept while those stay the same. */
#include "config-auto.h"

#include <stdlib.h>
#include <string.h>

#include "hosts.h"
#include "util.h"

struct docker *hosts_client(const struct docker_host_decl *h, struct docker_err *err)
{
	if (!h->tls_on)
		return docker_new(h->host, err);
	/* Resolved paths when validation made them, as written otherwise
	 * (a config built in a test). */
	struct docker_tls_files f = {
		.ca = h->tls.ca_path ? h->tls.ca_path : h->tls.ca,
		.cert = h->tls.cert_path ? h->tls.cert_path : h->tls.cert,
		.key = h->tls.key_path ? h->tls.key_path : h->tls.key,
	};
	return docker_new_tls(h->host, &f, err);
}

struct docker_host_decl hosts_decl(const struct config *cfg, size_t i)
{
	struct docker_host_decl h = cfg->docker_hosts[i];
	if (i == 0 && !h.host)
		h.host = cfg->docker_host;
	return h;
}

char *hosts_client_key(const struct docker_host_decl *h)
{
	if (!h->tls_on)
		return xstrdup(h->host ? h->host : "");
	return xasprintf("%s|%s|%s|%s", h->host ? h->host : "", h->tls.ca_path ? h->tls.ca_path : "",
			 h->tls.cert_path ? h->tls.cert_path : "", h->tls.key_path ? h->tls.key_path : "");
}

void hosts_clients_sync(struct hosts_clients *hc, const struct config *cfg, int cancel_fd)
{
	size_t n = cfg->n_docker_hosts;
	struct docker **d = xcalloc(n ? n : 1, sizeof *d);
	struct docker_err *err = xcalloc(n ? n : 1, sizeof *err);
	char **key = xcalloc(n ? n : 1, sizeof *key);
	char **name = xcalloc(n ? n : 1, sizeof *name);
	for (size_t i = 0; i < n; i++) {
		struct docker_host_decl h0 = hosts_decl(cfg, i);
		const struct docker_host_decl *h = &h0;
		key[i] = hosts_client_key(h);
		name[i] = xstrdup(h->name);
		/* Hosts keep their client when only their position moved. */
		for (size_t j = 0; j < hc->n; j++) {
			if (hc->d[j] && str_eq(hc->key[j], key[i]) && str_eq(hc->name[j], name[i])) {
				d[i] = hc->d[j];
				hc->d[j] = NULL;
				break;
			}
		}
		if (!d[i]) {
			d[i] = hosts_client(h, &err[i]);
			if (d[i])
				docker_set_cancel_fd(d[i], cancel_fd);
		}
	}
	hosts_clients_free(hc);
	*hc = (struct hosts_clients){ n, d, err, key, name };
}

void hosts_clients_free(struct hosts_clients *hc)
{
	for (size_t i = 0; i < hc->n; i++) {
		docker_free(hc->d[i]);
		free(hc->key[i]);
		free(hc->name[i]);
	}
	free(hc->d);
	free(hc->err);
	free(hc->key);
	free(hc->name);
	memset(hc, 0, sizeof *hc);
}

const char *hosts_tls_hint(const char *err)
{
	if (!err)
		return NULL;
	/* Curl (OpenSSL) words for the three ways Docker's TLS set-up goes
	 * wrong, and what to check for each. */
	if (strstr(err, "SSL certificate problem"))
		return "tls.ca is not the CA that signed the daemon's certificate (its --tlscert)";
	if (strstr(err, "alert bad certificate") || strstr(err, "alert unknown ca") ||
	    strstr(err, "certificate required"))
		return "the daemon does not accept tls.cert: it must be signed by the CA of the "
		       "daemon's --tlscacert, for client authentication";
	if (strstr(err, "subject name") || strstr(err, "does not match target host"))
		return "the daemon's certificate does not name this address: use a name or IP in "
		       "its subjectAltName";
	if (strstr(err, "SSL") || strstr(err, "TLS"))
		return "TLS handshake failed: check the host's tls files against dockerd's "
		       "--tlscacert, --tlscert and --tlskey";
	return NULL;
}
