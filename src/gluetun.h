/* gluetun.h - client of a Gluetun control server: forwarded ports and public
 * IP, with optional X-API-Key; decoders are pure functions (fuzzed). */
#ifndef ACE_GLUETUN_H
#define ACE_GLUETUN_H

#include <stddef.h>

enum gluetun_result {
	GLUETUN_OK = 0,
	GLUETUN_UNAUTHORIZED, /* 401/403: no key or a wrong one */
	GLUETUN_HTTP_ERROR,   /* any other non-2xx answer */
	GLUETUN_UNREACHABLE,  /* connect error, timeout */
	GLUETUN_BAD_RESPONSE, /* 2xx but not the JSON we expect */
};
const char *gluetun_result_str(enum gluetun_result r);

struct gluetun;

/* base_url: "http://gluetun:8000" (a trailing '/' is fine). api_key: NULL or
 * "" for none; copied, never logged. timeout_ms <= 0: 2000. */
struct gluetun *gluetun_new(const char *base_url, const char *api_key, long timeout_ms);
void gluetun_free(struct gluetun *g);

/* Forwarded ports: GET /v1/portforward, or on 404 the older
 * GET /v1/openvpn/portforwarded. *ports is malloc'd (NULL when n == 0: no
 * port forwarded). No retries: the caller decides when to ask again. err gets
 * a one-line reason on failure ("unauthorized: set api_key_file", ...). */
enum gluetun_result gluetun_forwarded_ports(struct gluetun *g, int **ports, size_t *n,
					    char *err, size_t errlen);
/* GET /v1/publicip/ip -> *ip malloc'd ("" when Gluetun does not know yet). */
enum gluetun_result gluetun_public_ip(struct gluetun *g, char **ip, char *err, size_t errlen);

/* {"port":N,"ports":[N,...]} or {"port":N}; 0 / [] mean none. The "port"
 * value comes first, duplicates and zeros are dropped. 0, or -1 + err. */
int gluetun_parse_ports(const char *body, size_t len, int **ports, size_t *n,
			char *err, size_t errlen);
/* {"public_ip":"1.2.3.4",...} -> malloc'd string. 0, or -1 + err. */
int gluetun_parse_public_ip(const char *body, size_t len, char **ip, char *err, size_t errlen);

#endif
