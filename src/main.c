/* main.c - command line: subcommands of SPEC §6, their options and exit
 * codes. Every real piece of work lives in another subsystem. */
#include "config-auto.h"

#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <time.h>

#include "config.h"
#include "diag.h"
#include "docker.h"
#include "hosts.h"
#include "import_env.h"
#include "lease.h"
#include "log.h"
#include "loop.h"
#include "plan.h"
#include "reconcile.h"
#include "status.h"
#include "util.h"

/* Exit codes shared by the subcommands. */
enum {
	EXIT_OK = 0,
	EXIT_INVALID = 1,   /* invalid config / error */
	EXIT_CHANGES = 2,   /* plan --detailed-exitcode: actions pending */
	EXIT_USAGE = 64,    /* EX_USAGE */
};

struct cli {
	const char *cmd;
	const char *config;
	const char *file;   /* import-env: the .env to read */
	const char *api_url;
	const char *timeout;
	bool json;
	bool detailed_exitcode;
	bool dump;
	enum log_level log_level;
	bool log_json;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: ace-orchestrator COMMAND [OPTIONS]\n"
		"\n"
		"Keeps a fleet of AceStream engine containers running behind Gluetun VPN\n"
		"containers, exactly as declared in orchestrator.yaml.\n"
		"\n"
		"Commands:\n"
		"  validate [-c FILE] [--dump]   check the config; exit 0 valid, 1 invalid\n"
		"  plan     [-c FILE] [--json] [--detailed-exitcode]\n"
		"                                print the actions a pass would take now\n"
		"                                (--detailed-exitcode: 0 none, 2 some, 1 error)\n"
		"  apply    [-c FILE] [--timeout 5m]\n"
		"                                reconcile until converged, then exit\n"
		"  run      [-c FILE]            run the daemon\n"
		"  status   [--api URL]          summary from a running daemon\n"
		"  import-env [FILE]             print orchestrator.yaml for an upstream v1 .env\n"
		"                                (default ./.env; '-' reads stdin)\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE     config file (default %s; '-' reads stdin)\n"
		"      --dump            validate: print the effective config as YAML\n"
		"      --json            plan: machine-readable output\n"
		"      --detailed-exitcode  plan: exit 2 when there are actions\n"
		"      --timeout DUR     apply: give up after DUR (default 5m)\n"
		"      --api URL         status: daemon API (default http://127.0.0.1:8000)\n"
		"      --log-level LVL   debug, info, warn or error (default info)\n"
		"      --log-json        log JSON lines instead of logfmt\n"
		"  -h, --help            show this help\n"
		"  -V, --version         show the version\n"
		"\n"
		"Docs: README.md, orchestrator.yaml.example and schemas/orchestrator.schema.json.\n",
		config_default_path());
}

static int parse_cli(int argc, char **argv, struct cli *cli)
{
	enum { OPT_DUMP = 256, OPT_JSON, OPT_DETAILED, OPT_TIMEOUT, OPT_API,
	       OPT_LOGLEVEL, OPT_LOGJSON };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "dump", no_argument, NULL, OPT_DUMP },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "detailed-exitcode", no_argument, NULL, OPT_DETAILED },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "api", required_argument, NULL, OPT_API },
		{ "log-level", required_argument, NULL, OPT_LOGLEVEL },
		{ "log-json", no_argument, NULL, OPT_LOGJSON },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	/* "+" stops at the first non-option so the subcommand comes first. */
	while ((c = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cli->config = optarg; break;
		case OPT_DUMP: cli->dump = true; break;
		case OPT_JSON: cli->json = true; break;
		case OPT_DETAILED: cli->detailed_exitcode = true; break;
		case OPT_TIMEOUT: cli->timeout = optarg; break;
		case OPT_API: cli->api_url = optarg; break;
		case OPT_LOGLEVEL:
			if (log_level_parse(optarg, &cli->log_level) != 0) {
				fprintf(stderr, "ace-orchestrator: unknown log level '%s' "
						"(debug, info, warn, error)\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_LOGJSON: cli->log_json = true; break;
		case 'h': usage(stdout); exit(EXIT_OK);
		case 'V': printf("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION); exit(EXIT_OK);
		default:
			fprintf(stderr, "Try 'ace-orchestrator --help'.\n");
			return EXIT_USAGE;
		}
	}
	return -1;
}

static int cmd_validate(const struct cli *cli)
{
	struct diags d = { 0 };
	struct config *c = config_load_file(cli->config, &d);
	const char *name = str_eq(cli->config, "-") ? "<stdin>" : cli->config;
	diags_print(&d, name, stderr);
	int rc = c ? EXIT_OK : EXIT_INVALID;
	if (c) {
		if (cli->dump)
			config_dump(c, stdout);
		else
			printf("%s: OK\n", name);
	}
	config_free(c);
	diags_free(&d);
	return rc;
}

/* Reads an upstream v1 .env and prints its orchestrator.yaml: exit 0 when
 * every line could be read (unmapped variables are comments, not errors). */
static int cmd_import_env(const struct cli *cli)
{
	const char *path = cli->file ? cli->file : ".env";
	const char *name = str_eq(path, "-") ? "<stdin>" : path;
	struct diags d = { 0 };
	size_t len = 0;
	char *text = read_file(path, 4u << 20, &len);
	if (!text) {
		fprintf(stderr, "ace-orchestrator: import-env: cannot read %s: %s\n",
			str_eq(path, "-") ? "standard input" : path, strerror(errno));
		return EXIT_INVALID;
	}
	char *yaml = import_env(text, len, name, &d);
	fputs(yaml, stdout);
	diags_print(&d, name, stderr);
	int rc = diags_errors(&d) ? EXIT_INVALID : EXIT_OK;
	free(yaml);
	free(text);
	diags_free(&d);
	return rc;
}

/* Loads the config for plan, apply and run: every diagnostic on stderr. */
static struct config *load_config(const char *path)
{
	struct diags d = { 0 };
	struct config *c = config_load_file(path, &d);
	diags_print(&d, path, stderr);
	diags_free(&d);
	return c;
}

static int cmd_plan(const struct cli *cli)
{
	struct config *cfg = load_config(cli->config);
	if (!cfg)
		return EXIT_INVALID;
	struct reconciler *r = reconciler_new();
	struct pass_input in = { .cfg = cfg };
	struct pass_result res;
	int n = reconciler_pass(r, &in, &res);
	const struct plan *p = &res.plan;
	if (cli->json) {
		cJSON *j = plan_to_json(p);
		char *s = cJSON_Print(j);
		printf("%s\n", s);
		free(s);
		cJSON_Delete(j);
	} else {
		plan_format_text(p, stdout);
	}
	pass_result_free(&res);
	reconciler_free(r);
	config_free(cfg);
	if (n < 0)
		return EXIT_INVALID;
	if (cli->detailed_exitcode)
		return n > 0 ? EXIT_CHANGES : EXIT_OK;
	return EXIT_OK;
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* `apply` acts, so it holds the fleet's lease like the daemon does: it
 * waits (up to its timeout) while another daemon holds it, renews it
 * between passes, and releases it when done. */
struct cmd_lease {
	struct lease lease;
	struct docker *d;
	char **images;
	size_t n_images;
	_Atomic int64_t act_until;
	int64_t next_ms;
};

static void cmd_lease_round(struct cmd_lease *cl, struct lease_report *r)
{
	lease_run(&cl->lease, cl->d, (const char *const *)cl->images, cl->n_images, now_wall_ms(), r);
	atomic_store(&cl->act_until, r->role == LEASE_HOLDER ? r->act_until_ms : 0);
	cl->next_ms = r->next_ms;
}

/* Until this process holds the lease or the deadline (monotonic) passes. */
static bool cmd_lease_acquire(struct cmd_lease *cl, const struct config *cfg, int64_t deadline)
{
	struct docker_err err = { 0, "" };
	struct docker_host_decl h = hosts_decl(cfg, 0);
	lease_init(&cl->lease, cfg->instance, cfg->docker_lease_ttl_ms);
	cl->d = hosts_client(&h, &err);
	cl->images = lease_images(cfg, &cl->n_images);
	if (!cl->d) {
		log_error("no client for the default docker host", "error", err.msg);
		return false;
	}
	char said[320] = "";
	for (;;) {
		struct lease_report r;
		cmd_lease_round(cl, &r);
		if (r.role == LEASE_HOLDER)
			return true;
		if (strcmp(said, r.why) != 0) {
			log_warn(r.role == LEASE_STANDBY ? "waiting: another daemon holds the lease"
							 : "waiting: the lease cannot be checked",
				 "why", r.why);
			sbuf_printf(said, sizeof said, "%s", r.why);
		}
		int64_t wait = r.next_ms - now_wall_ms();
		wait = wait < 200 ? 200 : wait > 1000 ? 1000 : wait;
		if (now_mono_ms() + wait >= deadline) {
			log_error("the lease was not obtained before the timeout: not acting", "why", r.why);
			return false;
		}
		sleep_ms(wait);
	}
}

static void cmd_lease_free(struct cmd_lease *cl)
{
	if (cl->d)
		lease_release(&cl->lease, cl->d);
	docker_free(cl->d);
	lease_images_free(cl->images, cl->n_images);
}

static int cmd_apply(const struct cli *cli)
{
	int64_t timeout_ms = 5 * 60 * 1000;
	char err[128];
	if (cli->timeout && duration_parse(cli->timeout, &timeout_ms, err, sizeof err) != 0) {
		fprintf(stderr, "ace-orchestrator: --timeout: %s\n", err);
		return EXIT_USAGE;
	}
	struct config *cfg = load_config(cli->config);
	if (!cfg)
		return EXIT_INVALID;
	int64_t deadline = now_mono_ms() + timeout_ms;
	struct cmd_lease cl = { 0 };
	if (!cmd_lease_acquire(&cl, cfg, deadline)) {
		cmd_lease_free(&cl);
		config_free(cfg);
		return EXIT_INVALID;
	}
	struct reconciler *r = reconciler_new();
	int rc = EXIT_INVALID;
	for (unsigned pass = 1;; pass++) {
		if (now_wall_ms() >= cl.next_ms) {
			struct lease_report lr;
			cmd_lease_round(&cl, &lr);
			if (lr.role == LEASE_STANDBY) {
				log_error("lease lost: stopping", "why", lr.why);
				break;
			}
		}
		struct pass_input in = { .cfg = cfg, .apply = true, .act_until = &cl.act_until,
					 .created_by = cl.lease.self.id };
		struct pass_result res;
		int n = reconciler_pass(r, &in, &res);
		const struct plan *p = &res.plan;
		bool converged = n == 0 && !p->reason;
		if (converged) {
			log_info("converged", "passes", LOG_INT(pass), "target", LOG_INT(p->target));
			pass_result_free(&res);
			rc = EXIT_OK;
			break;
		}
		if (now_mono_ms() >= deadline) {
			log_error("not converged before the timeout", "timeout", cli->timeout ? cli->timeout : "5m",
				  "pending_actions", LOG_INT(n), "reason", p->reason);
			plan_format_text(p, stderr);
			pass_result_free(&res);
			break;
		}
		pass_result_free(&res);
		/* Give created containers a moment to show up as running. */
		sleep_ms(n > 0 ? 500 : 1000);
	}
	reconciler_free(r);
	cmd_lease_free(&cl);
	config_free(cfg);
	return rc;
}

/* The daemon's threads (passes, per-host observation, Gluetun reads, the
 * API) each got a glibc malloc arena of their own, which kept what a pass
 * had freed: 11 MB of private memory at 1,000 engines
 * (bench/run-core-bench.sh, memory row). Two arenas are plenty for a
 * process that is idle most of the time. MALLOC_ARENA_MAX still wins. */
#define RUN_MALLOC_ARENAS 2

static int cmd_run(const struct cli *cli)
{
	if (!getenv("MALLOC_ARENA_MAX"))
		mallopt(M_ARENA_MAX, RUN_MALLOC_ARENAS);
	struct config *cfg = load_config(cli->config);
	if (!cfg)
		return EXIT_INVALID;
	return loop_run(cli->config, cfg);
}

int main(int argc, char **argv)
{
	struct cli cli = { .log_level = LOG_INFO };
	cli.config = config_default_path();

	/* Options may come before and after the subcommand. */
	int rc = parse_cli(argc, argv, &cli);
	if (rc >= 0)
		return rc;
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cli.cmd = argv[optind];
	int sub_argc = argc - optind;
	char **sub_argv = argv + optind;
	optind = 1;
	rc = parse_cli(sub_argc, sub_argv, &cli);
	if (rc >= 0)
		return rc;
	/* import-env takes one FILE operand (options may follow it too);
	 * nothing else takes any. */
	if (strcmp(cli.cmd, "import-env") == 0 && optind < sub_argc) {
		cli.file = sub_argv[optind];
		sub_argc -= optind;
		sub_argv += optind; /* the operand stands where argv[0] would */
		optind = 1;
		rc = parse_cli(sub_argc, sub_argv, &cli);
		if (rc >= 0)
			return rc;
	}
	if (optind < sub_argc) {
		fprintf(stderr, "ace-orchestrator: unexpected argument '%s'\n", sub_argv[optind]);
		return EXIT_USAGE;
	}
	log_setup(cli.log_level, cli.log_json, stderr);

	if (strcmp(cli.cmd, "validate") == 0)
		return cmd_validate(&cli);
	if (strcmp(cli.cmd, "import-env") == 0)
		return cmd_import_env(&cli);
	if (docker_global_init() != 0)
		fatal("libcurl initialisation failed");
	if (strcmp(cli.cmd, "plan") == 0)
		return cmd_plan(&cli);
	if (strcmp(cli.cmd, "apply") == 0)
		return cmd_apply(&cli);
	if (strcmp(cli.cmd, "run") == 0)
		return cmd_run(&cli);
	if (strcmp(cli.cmd, "status") == 0)
		return status_run(cli.api_url, stdout);
	if (strcmp(cli.cmd, "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	fprintf(stderr, "ace-orchestrator: unknown command '%s'\nTry 'ace-orchestrator --help'.\n",
		cli.cmd);
	return EXIT_USAGE;
}
