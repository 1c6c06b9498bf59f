/*
 * envdrift inventory: the dry run before a first scan. It loads the plan
 * scan would load (inventory, --limit, ssh_config) and prints, for each
 * selected host, what scan would use to reach it (fleet_plan_conn, the
 * same call scan makes) and where each setting came from.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "collector/collector.h"
#include "collector/fleet/fleet.h"
#include "core/buf.h"

static const char usage_text[] =
	"usage: envdrift inventory -i|--inventory FILE [--limit PATTERN]\n"
	"                          [--format text|json] [--config FILE]\n"
	"                          [--ssh-config FILE]\n"
	"\n"
	"Show each host of an Ansible inventory (YAML or INI, with group_vars/ and\n"
	"host_vars/ beside it) as scan would reach it: environment, roles,\n"
	"connection, address, port, user, key file, become and transport, and\n"
	"where each setting came from (inventory FILE:LINE, ssh_config, default).\n"
	"\n"
	"  -i, --inventory FILE     the inventory (required)\n"
	"  --limit PATTERN          only these hosts, as scan --limit\n"
	"  --format text|json       json also lists every variable of each host\n"
	"  --config FILE            envdrift configuration (scan.environments)\n"
	"  --ssh-config FILE        default scan.ssh-config, then ~/.ssh/config\n"
	"\n"
	"Exit status: 0 success, 2 error.\n";

/* A setting's origin as one word and where, for both formats. */
static void origin_text(struct ed_buf *b, const struct fleet_origin *o)
{
	static const char *const words[] = { "default", "flag", "inventory",
					     "ssh_config" };

	ed_buf_adds(b, words[o->kind]);
	if (o->where)
		ed_buf_addf(b, " %s", o->where);
	if (o->where && o->line)
		ed_buf_addf(b, ":%u", o->line);
}

static void inv_origin(struct fleet_origin *o, const char *where)
{
	o->kind = where ? FLEET_FROM_INVENTORY : FLEET_FROM_DEFAULT;
	o->where = where;
	o->line = 0;
}

/* Everything shown for one host: its settings, origins in one array. */
enum { O_ENV, O_CONNECTION, O_BECOME, O_NR };

static void print_text_row(const char *label, const char *value,
			   const struct fleet_origin *o)
{
	struct ed_buf b = ED_BUF_INIT;

	origin_text(&b, o);
	printf("  %-11s ", label);
	cli_put_safe(stdout, value);
	printf("%*s", (int)(strlen(value) < 24 ? 24 - strlen(value) : 1), "");
	cli_put_safe(stdout, b.ptr);
	putchar('\n');
	ed_buf_release(&b);
}

static void print_text(const struct inventory_host *h,
		       const struct fleet_conn *fc, const struct fleet_origin *io)
{
	struct ed_buf b = ED_BUF_INIT;
	size_t i;

	cli_put_safe(stdout, h->name);
	fputs("  env ", stdout);
	cli_put_safe(stdout, h->env);
	fputs("  roles ", stdout);
	for (i = 0; i < h->nr_roles; i++) {
		if (i)
			putchar(',');
		cli_put_safe(stdout, h->roles[i]);
	}
	if (!h->nr_roles)
		fputs("(none)", stdout);
	putchar('\n');
	print_text_row("env", h->env, &io[O_ENV]);
	print_text_row("connection", h->connection, &io[O_CONNECTION]);
	if (!strcmp(h->connection, "ssh")) {
		print_text_row("address", fc->address, &fc->origin[FLEET_ADDRESS]);
		ed_buf_addf(&b, "%u", fc->port);
		print_text_row("port", b.ptr, &fc->origin[FLEET_PORT]);
		print_text_row("user", fc->user ? fc->user : "(local user)",
			       &fc->origin[FLEET_USER]);
		print_text_row("key file",
			       fc->key_file ? fc->key_file :
					      "(agent, then the run's keys)",
			       &fc->origin[FLEET_KEY_FILE]);
		print_text_row("jump", fc->jump ? fc->jump : "(none)",
			       &fc->origin[FLEET_JUMP]);
	} else {
		print_text_row("root", h->address, &fc->origin[FLEET_ADDRESS]);
	}
	print_text_row("become", h->become ? "yes (sudo)" : "no", &io[O_BECOME]);
	printf("  %-11s %s (%s)\n", "transport", fc->transport,
	       fc->transport_reason);
	ed_buf_release(&b);
}

static void json_field(const char *key, const char *value)
{
	printf("\"%s\": ", key);
	if (value)
		cli_put_json(stdout, value);
	else
		fputs("null", stdout);
	fputs(", ", stdout);
}

static void json_origin(const char *key, const struct fleet_origin *o)
{
	static const char *const words[] = { "default", "flag", "inventory",
					     "ssh_config" };
	struct ed_buf b = ED_BUF_INIT;

	printf("\"%s\": {\"source\": \"%s\", \"where\": ", key, words[o->kind]);
	if (o->where) {
		ed_buf_adds(&b, o->where);
		if (o->line)
			ed_buf_addf(&b, ":%u", o->line);
		cli_put_json(stdout, b.ptr);
	} else {
		fputs("null", stdout);
	}
	putchar('}');
	ed_buf_release(&b);
}

static void print_json(const struct inventory *inv,
		       const struct inventory_host *h,
		       const struct fleet_conn *fc, const struct fleet_origin *io)
{
	struct ed_buf vars = ED_BUF_INIT;
	size_t i;

	fputs("{", stdout);
	json_field("name", h->name);
	json_field("env", h->env);
	fputs("\"roles\": [", stdout);
	for (i = 0; i < h->nr_roles; i++) {
		if (i)
			fputs(", ", stdout);
		cli_put_json(stdout, h->roles[i]);
	}
	fputs("], \"groups\": [", stdout);
	for (i = 0; i < h->nr_groups; i++) {
		if (i)
			fputs(", ", stdout);
		cli_put_json(stdout, h->groups[i]);
	}
	fputs("], ", stdout);
	json_field("connection", h->connection);
	json_field("address", fc->address);
	printf("\"port\": %u, ", fc->port);
	json_field("user", fc->user);
	json_field("key_file", fc->key_file);
	json_field("jump", fc->jump);
	printf("\"become\": %s, ", h->become ? "true" : "false");
	json_field("become_method", h->become_method);
	json_field("transport", fc->transport);
	json_field("transport_reason", fc->transport_reason);
	fputs("\"origins\": {", stdout);
	json_origin("env", &io[O_ENV]);
	fputs(", ", stdout);
	json_origin("connection", &io[O_CONNECTION]);
	fputs(", ", stdout);
	json_origin("address", &fc->origin[FLEET_ADDRESS]);
	fputs(", ", stdout);
	json_origin("port", &fc->origin[FLEET_PORT]);
	fputs(", ", stdout);
	json_origin("user", &fc->origin[FLEET_USER]);
	fputs(", ", stdout);
	json_origin("key_file", &fc->origin[FLEET_KEY_FILE]);
	fputs(", ", stdout);
	json_origin("jump", &fc->origin[FLEET_JUMP]);
	fputs(", ", stdout);
	json_origin("become", &io[O_BECOME]);
	inventory_host_vars_json(&vars, inv, h);
	printf("}, \"vars\": %s}", vars.ptr);
	ed_buf_release(&vars);
}

int cmd_inventory(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "inventory", required_argument, NULL, 'i' },
		{ "limit", required_argument, NULL, 'L' },
		{ "format", required_argument, NULL, 'f' },
		{ "config", required_argument, NULL, 'c' },
		{ "ssh-config", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ed_err err = ED_ERR_INIT;
	struct collect_config *cfg = NULL;
	struct fleet_plan *plan = NULL;
	struct fleet_scan_opts so;
	const struct inventory *inv;
	const char *config = NULL, *format = "text", *sshcfg;
	int c, json, rc = EXIT_ERROR, from_flag = 0;
	size_t i, n;

	memset(&so, 0, sizeof(so));
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			so.inventory = optarg;
			break;
		case 'L':
			so.limit = optarg;
			break;
		case 'f':
			format = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 'S':
			so.ssh_config = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			fputs(usage_text, stderr);
			return EXIT_ERROR;
		}
	}
	if (optind < argc)
		return cli_usage_error("inventory", "unexpected argument '%s'",
				       argv[optind]);
	if (!so.inventory)
		return cli_usage_error("inventory",
				       "give the inventory with -i FILE");
	if (strcmp(format, "text") && strcmp(format, "json"))
		return cli_usage_error("inventory",
				       "--format takes text or json, not '%s'",
				       format);
	json = !strcmp(format, "json");
	if (collect_config_load(&cfg, config, &err) < 0)
		goto out;
	so.cfg = cfg;
	if (fleet_plan_load(&plan, &so, &err) < 0)
		goto out;
	inv = fleet_plan_inventory(plan);
	n = inventory_nr_hosts(inv);
	sshcfg = fleet_plan_ssh_config(plan, &from_flag);
	if (json) {
		fputs("{\"inventory\": ", stdout);
		cli_put_json(stdout, so.inventory);
		fputs(", ", stdout);
		json_field("ssh_config", sshcfg);
		fputs("\"hosts\": [\n", stdout);
	} else {
		printf("%zu host%s; ssh_config: ", n, n == 1 ? "" : "s");
		cli_put_safe(stdout, sshcfg ? sshcfg : "(none)");
		printf("%s\n", from_flag ? " (flag)" : "");
	}
	for (i = 0; i < n; i++) {
		const struct inventory_host *h = inventory_host(inv, i);
		struct fleet_origin io[O_NR];
		struct fleet_conn fc;

		fleet_plan_conn(&fc, plan, h);
		inv_origin(&io[O_ENV], h->origin[INVENTORY_ENV]);
		inv_origin(&io[O_CONNECTION], h->origin[INVENTORY_CONNECTION]);
		inv_origin(&io[O_BECOME], h->origin[INVENTORY_BECOME]);
		if (json) {
			print_json(inv, h, &fc, io);
			fputs(i + 1 < n ? ",\n" : "\n", stdout);
		} else {
			print_text(h, &fc, io);
		}
	}
	if (json)
		fputs("]}\n", stdout);
	rc = EXIT_OK;
out:
	if (rc == EXIT_ERROR)
		cli_fail(&err);
	fleet_plan_free(plan);
	collect_config_free(cfg);
	return rc;
}
