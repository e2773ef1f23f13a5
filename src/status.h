/* status.h - `ace-orchestrator status [--api URL]`: a human summary of a
 * running daemon, read over its HTTP API (never from Docker directly). */
#ifndef ACE_STATUS_H
#define ACE_STATUS_H

#include <stdio.h>

#define STATUS_DEFAULT_API "http://127.0.0.1:8000"

/* GETs /vpn/status, /engines?all=1 and /config from api_url (NULL or "" =
 * STATUS_DEFAULT_API) and prints the summary to out. Returns the exit
 * code: 0, or 1 after a clear message on stderr when the daemon cannot be
 * reached or answers with an error. */
int status_run(const char *api_url, FILE *out);

#endif
