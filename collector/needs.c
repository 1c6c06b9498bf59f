/*
 * struct collect_needs: the union of the collectors' need tables
 * (collector/internal.h), copied so entries a configuration adds (the
 * files walk's trees, toggles files and commands) live as long as the
 * union. collect_needs itself, which walks the collectors, is collect.c's.
 */
#include "collector/internal.h"

#include <stdlib.h>

#include "core/alloc.h"

/* "/": what COLLECT_ARG_ROOT reads as on a remote host. */
const char collect_arg_root[] = "/";

static void push_list(struct ed_strvec *out, const char *const *list)
{
	size_t i;

	for (i = 0; list && list[i]; i++)
		ed_strvec_push(out, list[i]);
}

void collect_needs_add_cmd(struct collect_needs *out, const struct collect_cmd *cmd)
{
	struct collect_needs_cmd *c;

	ED_ALLOC_GROW(out->cmds, out->cmds_nr + 1, out->cmds_alloc);
	c = &out->cmds[out->cmds_nr++];
	ed_strvec_init(&c->paths);
	ed_strvec_init(&c->args);
	ed_strvec_init(&c->env);
	ed_strvec_init(&c->when);
	ed_strvec_init(&c->keyed_by);
	push_list(&c->paths, cmd->paths);
	push_list(&c->args, cmd->args);
	push_list(&c->env, cmd->env);
	push_list(&c->when, cmd->when);
	push_list(&c->keyed_by, cmd->keyed_by);
	c->host_timeout_s = cmd->host_timeout_s;
	c->if_exists = cmd->if_exists;
}

void collect_needs_add(struct collect_needs *out, const struct collect_need *need)
{
	struct collect_filter *f;

	switch (need->kind) {
	case NEED_INPUT:
		ed_strvec_push(&out->inputs, need->path);
		/* fall through */
	case NEED_PATH:
		ed_strvec_push(&out->paths, need->path);
		if (!need->filter)
			break;
		ED_ALLOC_GROW(out->filters, out->filters_nr + 1,
			      out->filters_alloc);
		f = &out->filters[out->filters_nr++];
		f->path = ed_xstrdup(need->path);
		f->ere = ed_xstrdup(need->filter);
		break;
	case NEED_TREE:
		ed_strvec_push(&out->trees, need->path);
		break;
	case NEED_VALUES:
		ed_strvec_push(&out->values, need->path);
		break;
	case NEED_CMD:
		collect_needs_add_cmd(out, need->cmd);
		break;
	case NEED_CONFIG:
		break; /* the caller's business: it has the configuration */
	}
}

void collect_needs_release(struct collect_needs *n)
{
	size_t i;

	ed_strvec_release(&n->paths);
	ed_strvec_release(&n->trees);
	ed_strvec_release(&n->values);
	ed_strvec_release(&n->walked);
	ed_strvec_release(&n->inputs);
	for (i = 0; i < n->filters_nr; i++) {
		free(n->filters[i].path);
		free(n->filters[i].ere);
	}
	free(n->filters);
	for (i = 0; i < n->cmds_nr; i++) {
		ed_strvec_release(&n->cmds[i].paths);
		ed_strvec_release(&n->cmds[i].args);
		ed_strvec_release(&n->cmds[i].env);
		ed_strvec_release(&n->cmds[i].when);
		ed_strvec_release(&n->cmds[i].keyed_by);
	}
	free(n->cmds);
	n->filters = NULL;
	n->filters_nr = n->filters_alloc = 0;
	n->cmds = NULL;
	n->cmds_nr = n->cmds_alloc = 0;
}
