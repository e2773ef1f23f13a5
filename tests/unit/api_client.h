/* api_client.h - what the API's server tests share: one-shot HTTP requests
 * with libcurl and an in-process server whose hooks drive a real registry. */
#ifndef ACE_API_CLIENT_H
#define ACE_API_CLIENT_H

#include <pthread.h>
#include <stddef.h>

#include "api.h"
#include "snapshot.h"
#include "streams.h"

struct http_resp {
	long code;
	char *body;
	char *headers;
};

/* One request to 127.0.0.1:port; hdr is a NULL-terminated list of extra
 * headers; body NULL = none. */
struct http_resp http_do(int port, const char *method, const char *path,
			 const char *const *hdr, const char *body, size_t body_len);
void http_free(struct http_resp *r);
/* Asserts the status and, when want_body is set, the exact body. */
void http_expect(int port, const char *method, const char *path, const char *const *hdr,
		 const char *body, long code, const char *want_body);

/* A server on 127.0.0.1:0 with a registry and the loop's hook semantics
 * (stream events to the registry, provision counted and refused when
 * provision_status is set). */
struct test_server {
	struct snapshot_store st;
	struct streams reg;
	struct api *api;
	int port;
	pthread_mutex_t mu;
	int provisions;       /* provision hook calls */
	int provision_status; /* 0: accept; else the hook's answer */
};

void test_server_start(struct test_server *sv, const struct api_opts *opts);
void test_server_stop(struct test_server *sv);
int test_server_provisions(struct test_server *sv);

#endif
