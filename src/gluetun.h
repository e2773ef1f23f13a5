/* gluetun.h - client of a Gluetun control server as released (v3.39.0 to
 * :latest): forwarded ports and public IP, apikey or basic auth; pure decoders. */
#ifndef ACE_GLUETUN_H
#define ACE_GLUETUN_H

#include <stddef.h>

enum gluetun_result {
	GLUETUN_OK = 0,
	GLUETUN_NO_PORT,      /* answered, but no port is forwarded (yet): port 0,
			       * "ports": null or []; normal during a VPN reconnect */
	GLUETUN_UNAUTHORIZED, /* 401 (or 403): credentials missing, wrong, or no
			       * config.toml role allows the route */
	GLUETUN_HTTP_ERROR,   /* any other non-2xx answer, or a refused redirect */
	GLUETUN_UNREACHABLE,  /* connect error, timeout */
	GLUETUN_BAD_RESPONSE, /* 2xx but not the JSON we expect */
};
const char *gluetun_result_str(enum gluetun_result r);

/* The routes a role of Gluetun's config.toml must allow (method + path, the
 * exact strings Gluetun validates). The new one exists from v3.41.0; before
 * it only the old one does; from v3.41.0 the old one answers 301 to the new. */
#define GLUETUN_ROUTE_PORTS "GET /v1/portforward"
#define GLUETUN_ROUTE_PORTS_OLD "GET /v1/openvpn/portforwarded"
#define GLUETUN_ROUTE_PUBLIC_IP "GET /v1/publicip/ip"

struct gluetun;

/* base_url: "http://gluetun:8000" (a trailing '/' is fine). api_key: NULL or
 * "" for none, sent as X-API-Key (Gluetun role auth "apikey"); copied, never
 * logged. timeout_ms <= 0: 2000 (per request, connect included). */
struct gluetun *gluetun_new(const char *base_url, const char *api_key, long timeout_ms);
/* Gluetun role auth "basic": HTTP basic credentials sent with every request
 * (NULL/"" username: none). May be combined with an API key; each role of
 * Gluetun checks only its own method. Copied, never logged. */
void gluetun_set_basic_auth(struct gluetun *g, const char *username, const char *password);
void gluetun_free(struct gluetun *g);

/* Forwarded ports: GET /v1/portforward; when that answers 400 (unknown route,
 * up to v3.39.0), 401 (a route in no role, v3.39.1 to v3.40.x) or 404, the
 * older GET /v1/openvpn/portforwarded. Redirects (the old route answers 301
 * from v3.41.0) are followed, at most 3 and only to the same origin, with the
 * same credentials. Blocking, no retries: the caller decides when to ask again.
 * GLUETUN_OK: *ports malloc'd, *n >= 1. GLUETUN_NO_PORT: Gluetun answered
 * "none" (*ports NULL, *n 0) - not an error. Anything else: *ports NULL,
 * *n 0, err gets a one-line reason; for GLUETUN_UNAUTHORIZED it names the
 * config.toml routes to allow and the key of orchestrator.yaml to set. */
enum gluetun_result gluetun_forwarded_ports(struct gluetun *g, int **ports, size_t *n,
					    char *err, size_t errlen);
/* GET /v1/publicip/ip -> *ip malloc'd ("" when Gluetun does not know yet). */
enum gluetun_result gluetun_public_ip(struct gluetun *g, char **ip, char *err, size_t errlen);

/* {"port":N,"ports":[N,...]} (:latest), {"port":N} / {"ports":[N,M]}
 * (v3.41.x and the old route); 0, null and [] mean none. The "port" value
 * comes first, duplicates and zeros are dropped. 0, or -1 + err. */
int gluetun_parse_ports(const char *body, size_t len, int **ports, size_t *n,
			char *err, size_t errlen);
/* {"public_ip":"1.2.3.4",...} -> malloc'd string. 0, or -1 + err. */
int gluetun_parse_public_ip(const char *body, size_t len, char **ip, char *err, size_t errlen);

#endif
