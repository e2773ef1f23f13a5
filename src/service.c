/* service.c - sd_notify(3) for a systemd Type=notify unit: READY, RELOADING,
 * STOPPING, STATUS and WATCHDOG; no-ops when built without libsystemd. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "log.h"
#include "service.h"
#include "snapshot.h"
#include "util.h"

bool service_available(void)
{
#ifdef HAVE_LIBSYSTEMD
	return true;
#else
	return false;
#endif
}

/* sd_notify returns 0 when NOTIFY_SOCKET is unset (not under systemd):
 * only a real failure to send is worth a debug line. */
static void notify(const char *msg)
{
#ifdef HAVE_LIBSYSTEMD
	int rc = sd_notify(0, msg);
	if (rc < 0)
		log_debug("sd_notify failed", "message", msg, "error", strerror(-rc));
#else
	(void)msg;
#endif
}

void service_init(struct service *s)
{
	memset(s, 0, sizeof *s);
#ifdef HAVE_LIBSYSTEMD
	uint64_t usec = 0;
	/* > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID (if any) is us. */
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		s->watchdog_ms = (int64_t)(usec / 1000);
		if (s->watchdog_ms < 2)
			s->watchdog_ms = 2;
	}
#endif
}

void service_destroy(struct service *s)
{
	free(s->last_status);
	s->last_status = NULL;
}

void service_ready(struct service *s)
{
	(void)s;
	notify("READY=1");
}

void service_reloading(struct service *s)
{
	(void)s;
	/* systemd >= 253 wants the monotonic time with RELOADING=1 (it tells
	 * this reload apart from an earlier one); older ones ignore it. */
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	char msg[64];
	sbuf_printf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%llu",
		    (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000ULL);
	notify(msg);
}

void service_stopping(struct service *s)
{
	(void)s;
	notify("STOPPING=1");
}

int64_t service_watchdog_interval_ms(const struct service *s)
{
	return s->watchdog_ms / 2;
}

void service_watchdog(struct service *s)
{
	if (s->watchdog_ms > 0)
		notify("WATCHDOG=1");
}

char *service_status_text(const struct snapshot *snap)
{
	if (!snap)
		return xstrdup("starting");
	size_t serving = 0, up = 0;
	for (size_t i = 0; i < snap->n_engines; i++)
		serving += snap->engines[i].visible;
	for (size_t i = 0; i < snap->n_vpns; i++)
		up += snap->vpns[i].connected;
	char vpns[64];
	if (snap->n_vpns)
		sbuf_printf(vpns, sizeof vpns, "%zu of %zu VPN%s up", up, snap->n_vpns,
			    snap->n_vpns == 1 ? "" : "s");
	else
		sbuf_printf(vpns, sizeof vpns, "no VPN");
	/* The most urgent fact first: `systemctl status` may cut the line. */
	const char *docker = snap->docker_ok ? ""
			     : snap->stale ? "Docker failing, last good view; "
			     : "Docker unreachable; ";
	const char *reload = snap->last_reload_error ? "; last config reload failed" : "";
	return xasprintf("%s%zu of %zu engine%s serving, %s%s", docker, serving, snap->n_engines,
			 snap->n_engines == 1 ? "" : "s", vpns, reload);
}

void service_status(struct service *s, const struct snapshot *snap)
{
	if (!service_available())
		return;
	char *text = service_status_text(snap);
	if (str_eq(text, s->last_status)) {
		free(text);
		return;
	}
	char *msg = xasprintf("STATUS=%s", text);
	notify(msg);
	free(msg);
	free(s->last_status);
	s->last_status = text;
}
