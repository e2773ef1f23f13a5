/* fuzz_lease.c - libFuzzer target for what the lease reads from the default
 * Docker host (outside input): holder ids in labels, beat names, a list
 * answer turned into what the lease sees, and the decision on it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lease.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* No process is alive on the fuzzer's imaginary machine but PID 1. */
static unsigned long long fake_start(long pid)
{
	return pid == 1 ? 10 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The same bytes as a holder id and a container name, NUL-terminated
	 * at their exact size so a read past the end is an ASan crash. */
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	struct lease_self me, h;
	memset(&me, 0, sizeof me);
	strcpy(me.host, "fuzz");
	strcpy(me.boot, "b00t");
	me.pid = 1;
	me.start = 10;
	lease_self_format(&me);
	if (lease_self_parse(s, &h) == 0) {
		lease_self_format(&h);
		(void)lease_holder_gone(&me, s, fake_start);
	}
	int64_t ms;
	(void)lease_beat_parse("ace-orchestrator-lease.f", s, &ms);
	char name[300];
	lease_lock_name(s, name, sizeof name);

	/* A list answer (JSON) from the host, as the lease reads it. */
	char err[128];
	struct docker_list l;
	if (docker_parse_list((const char *)data, size, &l, err, sizeof err) == 0) {
		struct lease_seen seen;
		lease_seen_parse(&l, "ace-orchestrator-lease.f", &seen);
		struct lease_decision d;
		for (int holding = 0; holding < 2; holding++) {
			struct lease_input in = { &seen, me.id, holding, false, 1800000000000LL, 30000 };
			lease_decide(&in, &d);
		}
		lease_seen_free(&seen);
		docker_list_free(&l);
	}
	free(s);
	return 0;
}
