/* itest.h - shared set-up of the integration tests: find the Docker daemon
 * (or SKIP), build the stand-in images, run fixture containers, clean up. */
#ifndef ACE_ITEST_H
#define ACE_ITEST_H

#include <stdbool.h>
#include <stddef.h>

struct docker;

#define ITEST_SKIP 77

/* Exits 77 with a loud message when no daemon answers; builds the images
 * (tests/fixtures/build-images.sh via $top_srcdir) or exits 99. name makes
 * the run tag "itest-NAME-PID" used in container names and labels. */
void itest_init(const char *name);
const char *itest_tag(void);
/* DOCKER_HOST, or unix:///var/run/docker.sock. */
const char *itest_docker_host(void);
/* Labels every test container carries: "-l acestream.test=1 -l acestream.test.run=TAG". */
const char *itest_labels(void);

/* system() of a formatted command; returns its exit status (or -1). */
int itest_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* First line of a command's stdout, trimmed, malloc'd; NULL on failure. */
char *itest_sh_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Removes every container of this run (docker rm -f by label). */
void itest_cleanup(void);

/* One HTTP request; returns the status (0: not reached). *body malloc'd. */
long itest_http(const char *method, const char *url, const char *data,
		const char *api_key, char **body);
/* Polls GET url until it answers 200 or timeout_ms passes. */
bool itest_wait_http(const char *url, int timeout_ms);
/* Polls inspect (through our client) until State.Health.Status == want. */
bool itest_wait_health(struct docker *d, const char *name, const char *want, int timeout_ms);
/* Host port Docker published for container port cport (127.0.0.1::cport). */
int itest_published_port(const char *container, int cport);
void itest_sleep_ms(int ms);

#endif
