/* config.h - the declared state: orchestrator.yaml parsed into an immutable
 * struct config, with the source position of every value for diagnostics. */
#ifndef ACE_CONFIG_H
#define ACE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "range.h"

/* 1-based line and column of a YAML node; 0/0 when the value is a default. */
struct src_pos {
	int line;
	int col;
};

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

struct vpn_decl {
	char *name;
	struct src_pos name_pos;
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
	/* Gluetun "basic" auth: api_username with api_password_file (the config
	 * helper owns their parsing; added here so the client can use them). */
	char *api_username; /* NULL when absent */
	struct src_pos api_username_pos;
	char *api_password_file;
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
	struct kv *env;
	size_t n_env;
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
	char *docker_host; /* default unix:///var/run/docker.sock (or DOCKER_HOST) */
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
	} health;
	struct {
		char *listen;       /* default 127.0.0.1:8000 */
		char *api_key_file; /* NULL when absent */
		struct src_pos api_key_file_pos;
		char *api_key;      /* never printed */
	} api;
};

/* One diagnostic: "FILE:LINE:COL: error: MESSAGE". */
enum diag_level { DIAG_ERROR, DIAG_WARNING };

struct diag {
	enum diag_level level;
	struct src_pos pos;
	char *msg;
};

struct diags {
	struct diag *v;
	size_t n, cap;
};

void diags_add(struct diags *d, enum diag_level lvl, struct src_pos pos,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
size_t diags_errors(const struct diags *d);
/* Prints every diagnostic, sorted by position, GCC style. */
void diags_print(const struct diags *d, const char *file, FILE *out);
void diags_free(struct diags *d);

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
