/* api_proxy.h - the pure half of what stream proxies (krinkuto11/acexy,
 * upstream v1 clients) call beyond SPEC §7: /streams, provisioning, status. */
#ifndef ACE_API_PROXY_H
#define ACE_API_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"
#include "streams.h"

struct cJSON;

/* One stream as upstream's StreamState (app/models/schemas.py): id,
 * key_type, key, container_id, playback_session_id, stat_url,
 * command_url, is_live (bool), started_at, ended_at, status, plus
 * container_name and vpn_container when the snapshot knows the engine.
 * ended: status "ended" and ended_at = ended_ms. */
struct cJSON *api_render_stream(const struct snapshot *s, const struct stream_rec *r, bool ended,
				int64_t ended_ms);
/* GET /streams[?container_id=ID][&status=started|ended]: the active streams
 * (ended ones are not kept, so status=ended is []); engine_id NULL = all. */
struct cJSON *api_render_streams(const struct snapshot *s, const struct streams_view *v,
				 const char *engine_id);

/* Why a provision request cannot be served now (upstream's
 * ProvisioningBlockedReason, with our codes added). */
struct api_block {
	const char *code;   /* vpn_disconnected, max_capacity, docker_unavailable,
			       not_ready, provisioning_in_progress, general_error */
	char message[256];
	int eta_s;          /* recovery_eta_seconds: a retry hint */
	bool can_retry;
	bool should_wait;
};
/* Claimed engines: handed out by POST /provision/acestream recently and not
 * to be handed out twice while they wait for their stream. */
struct api_claims {
	const char *const *ids;
	size_t n;
};
/* The engine POST /provision/acestream hands out: visible, probe healthy,
 * no active stream, not claimed; forwarded first, then lowest port (the
 * order acexy prefers). NULL when none. */
const struct snap_engine *api_provision_pick(const struct snapshot *s, const struct streams_view *v,
					     const struct api_claims *claims);
/* The engines api_provision_pick could hand out now, claims aside (at
 * most max; IDs point into s): what a provision request finds idle when
 * it arrives. It is answered with an engine beyond these, "one more": an
 * engine idle at that moment may be one the proxy has just chosen and not
 * yet reported (acexy counts such pending streams itself). */
size_t api_provision_idle(const struct snapshot *s, const struct streams_view *v,
			  const char **ids, size_t max);
/* true when no further engine can come: replicas.max engines running, or
 * the available VPNs' max_engines all taken (why says which). */
bool api_provision_at_capacity(const struct snapshot *s, char *why, size_t len);
/* true when provisioning is blocked (details in *b): no observation, Docker
 * unreachable, no VPN available, or replicas.max / the available VPNs'
 * max_engines reached with no idle engine to hand out. */
bool api_provision_blocked(const struct snapshot *s, const struct streams_view *v,
			   const struct api_claims *claims, struct api_block *b);
/* 200 body of POST /provision/acestream (upstream's AceProvisionResponse:
 * container_id, container_name, host_http_port, container_http_port,
 * container_https_port; plus host and port as /engines names them). */
struct cJSON *api_render_provision_ok(const struct snap_engine *e, const char *const *ignored,
				      size_t n_ignored);
/* Error body: {"error": message, "detail": {error, code, message,
 * recovery_eta_seconds, can_retry, should_wait}} - "error" for SPEC §7
 * clients, "detail" as FastAPI's HTTPException gives it to acexy's
 * parseProvisionError. */
struct cJSON *api_render_block(const struct api_block *b);
/* GET /orchestrator/status (upstream's shape; acexy reads status,
 * vpn.connected, provisioning.{can_provision, blocked_reason,
 * blocked_reason_details}, capacity.{total, used, available}). s may be
 * NULL (status "unavailable"). */
struct cJSON *api_render_orch_status(const struct snapshot *s, const struct streams_view *v);

#endif
