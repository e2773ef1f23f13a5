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

/* The summary from the three answers' bodies (cfg may be NULL), which need
 * not be NUL-terminated: 0, or -1 with err set when /vpn/status is not an
 * object or /engines not an array. Out-of-range numbers print as 0 or
 * "invalid", never as an integer conversion of 1e400. Fuzzed. */
int status_print(FILE *out, const char *vpn_body, size_t vpn_len, const char *engines_body,
		 size_t engines_len, const char *cfg_body, size_t cfg_len, char *err,
		 size_t errlen);

#endif
