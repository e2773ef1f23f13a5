/* config.h - the declared state: orchestrator.yaml parsed into an immutable
 * struct config, with the source position of every value for diagnostics. */
#ifndef ACE_CONFIG_H
#define ACE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"
#include "range.h"

/* A key/value pair from a YAML mapping (engine.env, engine.labels). */
struct kv {
	char *key;
	char *val;
	struct src_pos pos; /* of the value */
};

/* A scalar string with the position it came from (templated argv items). */
struct pstr {
	char *s;
	struct src_pos pos;
};

enum pf_mode { PF_AUTO = 0, PF_ON, PF_OFF };
const char *pf_mode_str(enum pf_mode m);

/* engine.preset: the env/argv contract of an engine image (upstream called
 * them "engine variants"); see config_preset.c for where each comes from. */
enum engine_preset {
	PRESET_KRINKUTO11 = 0, /* ghcr.io/krinkuto11/acestream-http-proxy (default) */
	PRESET_JOPSIS_AMD64,   /* jopsis/acestream:x64, ACESTREAM_ARGS */
	PRESET_JOPSIS_ARM32,   /* jopsis/acestream:arm32-*, argv */
	PRESET_JOPSIS_ARM64,   /* jopsis/acestream:arm64-*, argv */
	PRESET_CUSTOM,         /* no default env or argv */
};
const char *engine_preset_str(enum engine_preset p);

/* notify[].events: what a webhook is sent for (bits). */
enum notify_event {
	NOTIFY_VPN_DOWN = 1u << 0,
	NOTIFY_VPN_UP = 1u << 1,
	NOTIFY_PORT_CHANGED = 1u << 2,
	NOTIFY_ACTION_FAILED = 1u << 3,
	NOTIFY_CONFIG_ERROR = 1u << 4,
};
#define NOTIFY_ALL_EVENTS 0x1fu
/* Name of one event bit ("vpn_down", ...); NULL for anything else. */
const char *notify_event_str(unsigned ev);

enum notify_format { NOTIFY_JSON = 0, NOTIFY_TEXT, NOTIFY_GOTIFY, NOTIFY_SLACK, NOTIFY_DISCORD };
const char *notify_format_str(enum notify_format f);

/* One notify[] webhook (issue 10); the sender lives elsewhere. */
struct notify_decl {
	char *url;                 /* http(s)://...; may hold a token: never printed whole */
	struct src_pos url_pos;
	unsigned events;           /* NOTIFY_* bits; default NOTIFY_ALL_EVENTS */
	enum notify_format format; /* default NOTIFY_JSON */
	char *secret_file;         /* NULL when absent */
	struct src_pos secret_file_pos;
	char *secret;              /* contents of secret_file (HMAC key); never printed */
};

/* TLS client settings of one Docker host, as Docker documents them for
 * `dockerd --tlsverify`: the CA that signed the daemon's certificate, and
 * this client's certificate and key. Paths as written (relative to the
 * config file's directory) and resolved; the files are read by libcurl on
 * every new connection, so a renewed certificate needs no restart. */
struct docker_tls {
	char *ca, *cert, *key;                /* as written */
	char *ca_path, *cert_path, *key_path; /* resolved */
	struct src_pos pos, ca_pos, cert_pos, key_pos;
};

/* One Docker Engine the fleet runs on. docker_hosts[0] is the top-level
 * `docker:` (named "default"), the others come from `docker_hosts:`. */
#define DOCKER_HOST_DEFAULT "default"
struct docker_host_decl {
	char *name;
	struct src_pos name_pos;
	char *host;   /* unix:///path, tcp://HOST:PORT or http://HOST:PORT */
	struct src_pos host_pos;
	bool tls_on;
	struct docker_tls tls;
	/* Filled in from DOCKER_HOST (and DOCKER_TLS_VERIFY/DOCKER_CERT_PATH)
	 * because the file did not say: messages name the variable. */
	bool from_env;
};
/* "https://host:port/<redacted>": what dumps, messages and logs show of a
 * webhook URL, whose path, query or userinfo is usually its secret. */
const char *config_url_redacted(const char *url, char *buf, size_t len);

struct vpn_decl {
	char *name;
	struct src_pos name_pos;
	/* vpns[].docker: the Docker host its container (and so its engines)
	 * lives on; index into config.docker_hosts, 0 = the default host. */
	char *docker; /* name as written; NULL = default */
	struct src_pos docker_pos;
	size_t docker_idx;
	struct port_range ports;
	struct src_pos ports_pos;
	int max_engines; /* default: size of ports */
	struct src_pos max_engines_pos;
	char *host;         /* default: name */
	char *api;          /* default: http://{name}:8000 */
	struct src_pos api_pos;
	char *api_key_file; /* NULL when absent */
	struct src_pos api_key_file_pos;
	char *api_key;      /* contents of api_key_file, trimmed; never printed */
	/* Gluetun `basic` auth, exclusive with api_key_file (a role has one
	 * method); both or neither. */
	char *api_username; /* NULL when absent */
	struct src_pos api_username_pos;
	char *api_password_file; /* NULL when absent */
	struct src_pos api_password_file_pos;
	char *api_password; /* contents of api_password_file, trimmed; never printed */
	enum pf_mode port_forwarding;
};

struct engine_decl {
	char *image;
	struct src_pos image_pos;
	char *name_prefix; /* default "acestream" */
	int https_port_base; /* default 45000 */
	struct src_pos https_port_base_pos;
	int p2p_port_base;   /* default 50000 */
	struct src_pos p2p_port_base_pos;
	enum engine_preset preset; /* default PRESET_KRINKUTO11 */
	struct src_pos preset_pos;
	/* The effective env: the preset's, with engine.env merged over it key
	 * by key (file positions on the keys the file set). */
	struct kv *env;
	size_t n_env;
	/* Preset keys engine.env removed with `~` (val is NULL); kept so that
	 * dumps show the removal and read back the same. */
	struct kv *env_unset;
	size_t n_env_unset;
	/* The effective argv: engine.command when given, else the preset's. */
	struct pstr *command;
	size_t n_command;
	struct kv *labels;
	size_t n_labels;
	int64_t memory_limit; /* bytes, 0 = none */
	char *health_path;    /* default /server/api?api_version=3&method=get_status */
	int64_t health_interval_ms; /* default 10s */
	int health_failures;        /* default 3 */
	int64_t stop_timeout_ms;    /* default 10s */
};

struct config {
	char *source;  /* path the file was read from ("-" for stdin) */
	int version;
	char *instance; /* default "default" */
	char *docker_host; /* default unix:///var/run/docker.sock (or DOCKER_HOST);
			      the same as docker_hosts[0].host */
	/* Every Docker host of the fleet: [0] is the top-level `docker:`, then
	 * `docker_hosts:` in file order. Never empty once loaded. */
	struct docker_host_decl *docker_hosts;
	size_t n_docker_hosts;
	/* docker.lease_ttl: one daemon per fleet (lease.h); renewed every
	 * third of it. Default 30s. */
	int64_t docker_lease_ttl_ms;
	/* docker.resync_interval: full re-inspection of every owned container
	 * this often, whatever the events said; 0 = never. Default 60s. */
	int64_t docker_resync_interval_ms;
	struct engine_decl engine;
	struct {
		int min;      /* default 2 */
		int max;      /* default 20 */
		int min_free; /* default 1 */
		struct src_pos min_pos, max_pos, min_free_pos;
	} replicas;
	struct vpn_decl *vpns;
	size_t n_vpns;
	bool has_ports;
	struct port_range ports; /* global range; default 19000-19999 when no vpns */
	struct src_pos ports_pos;
	char *network; /* default "bridge" */
	struct {
		int64_t vpn_check_interval_ms;      /* 5s */
		int64_t port_check_interval_ms;     /* 10s */
		int64_t vpn_restart_after_ms;       /* 60s, 0 = never */
		int64_t vpn_restart_backoff_max_ms; /* 10m */
		bool restart_engines_on_reconnect;  /* true */
		/* A VPN unavailable this long has its share moved to the others;
		 * available again this long, it gets its share back and its
		 * reconnect restarts happen (once per recovery). 15s each. */
		int64_t failover_after_ms;
		int64_t recover_after_ms;
	} health;
	struct {
		char *listen;       /* default 127.0.0.1:8000 */
		struct src_pos listen_pos;
		char *api_key_file; /* NULL when absent */
		struct src_pos api_key_file_pos;
		char *api_key;      /* never printed */
		/* Docker failing or slow: serve the last good view this long;
		 * 0 = never. Default 2m. */
		int64_t stale_grace_ms;
		int per_ip_limit;   /* concurrent connections per client address; 32 */
	} api;
	struct {
		int max_per_engine; /* stream_started beyond -> 429; 64 */
		int max_total;      /* stream_started beyond -> 429; 10000 */
		/* A stream with no stream_ended is forgotten after this; 0 =
		 * never. Default 12h. */
		int64_t ttl_ms;
	} streams;
	struct notify_decl *notify; /* notify[]: optional webhooks */
	size_t n_notify;
};

/* Parses and validates. Returns a config only when there are no errors;
 * warnings and errors are appended to d. `name` is used in messages. */
struct config *config_load_file(const char *path, struct diags *d);
struct config *config_load_buffer(const char *buf, size_t len,
				  const char *name, struct diags *d);
void config_free(struct config *c);
/* Fills a zeroed config with SPEC §3's defaults (what a file that sets
 * nothing gets); the parser starts from it, and so do planner tests. */
void config_set_defaults(struct config *c);
/* The declared VPN of that name, NULL when none (or name is NULL). */
const struct vpn_decl *config_find_vpn(const struct config *c, const char *name);
/* The Docker host of that name ("default" is docker_hosts[0]), NULL when
 * none; and the host a VPN lives on (never NULL for a loaded config). */
const struct docker_host_decl *config_find_docker_host(const struct config *c, const char *name);
const struct docker_host_decl *config_vpn_docker(const struct config *c, const struct vpn_decl *v);
/* Frees what c owns and zeroes it, for a config that is not on the heap. */
void config_clear(struct config *c);

/* Prints the effective config as YAML (defaults filled in, secrets as
 * <redacted>); what golden tests compare. */
void config_dump(const struct config *c, FILE *out);

/* Stable hash (hex) of everything that shapes an engine container for the
 * given VPN (image, env, command, labels, memory, ...): acestream.config_hash. */
void config_engine_hash(const struct config *c, char out[17]);

/* Default path of the config file: $sysconfdir/ace-orchestrator/orchestrator.yaml */
const char *config_default_path(void);

#endif
