/*
 * YAML to a node tree via libyaml events. Limits guard against hostile
 * input: libyaml 0.2.5 has no nesting cap and nested flow collections cost
 * quadratic time, so depth and event count are capped here (TECH-NOTES §3).
 */
#include "core/yaml.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/alloc.h"

#define MAX_DEPTH 64
#define MAX_EVENTS 2000000

static struct ed_ynode *node_new(enum ed_ynode_type type, yaml_mark_t m)
{
	struct ed_ynode *n = ed_xcalloc(1, sizeof(*n));

	n->type = type;
	n->line = m.line + 1;
	n->col = m.column + 1;
	return n;
}

void ed_ynode_free(struct ed_ynode *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->nr; i++)
		ed_ynode_free(n->kids[i]);
	free(n->kids);
	free(n->str);
	free(n);
}

static void add_kid(struct ed_ynode *parent, struct ed_ynode *kid)
{
	ED_ALLOC_GROW(parent->kids, parent->nr + 1, parent->alloc);
	parent->kids[parent->nr++] = kid;
}

static int parser_error(const yaml_parser_t *p, const char *name,
			struct ed_err *err)
{
	const char *problem = p->problem ? p->problem : "malformed YAML";

	if (p->context)
		return ed_err_set(err, ED_EPARSE,
				  "%s:%zu:%zu: %s (%s at line %zu)", name,
				  p->problem_mark.line + 1,
				  p->problem_mark.column + 1, problem,
				  p->context, p->context_mark.line + 1);
	return ed_err_set(err, ED_EPARSE, "%s:%zu:%zu: %s", name,
			  p->problem_mark.line + 1, p->problem_mark.column + 1,
			  problem);
}

/* In a mapping whose key count is odd the next node is a value. */
static int check_duplicate(const struct ed_ynode *map,
			   const struct ed_ynode *key, const char *name,
			   struct ed_err *err)
{
	size_t i;

	if (key->type != ED_YSCALAR)
		return ed_err_set(err, ED_EPARSE,
				  "%s:%zu:%zu: mapping keys must be scalars",
				  name, key->line, key->col);
	for (i = 0; i + 1 < map->nr; i += 2)
		if (map->kids[i]->len == key->len &&
		    !memcmp(map->kids[i]->str, key->str, key->len))
			return ed_err_set(err, ED_EPARSE,
					  "%s:%zu:%zu: duplicate key '%s' (first at line %zu)",
					  name, key->line, key->col, key->str,
					  map->kids[i]->line);
	return 0;
}

int ed_yaml_load(struct ed_ynode **out, const char *buf, size_t len,
		 const char *name, struct ed_err *err)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct ed_ynode *stack[MAX_DEPTH + 1];
	struct ed_ynode *root = NULL;
	size_t depth = 0, events = 0, docs = 0;
	int rc = 0, done = 0, have_event = 0;

	*out = NULL;
	if (!yaml_parser_initialize(&parser))
		return ed_err_set(err, ED_ERROR, "%s: cannot initialise libyaml",
				  name);
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	while (!done) {
		struct ed_ynode *n = NULL;

		if (!yaml_parser_parse(&parser, &ev)) {
			rc = parser_error(&parser, name, err);
			goto out;
		}
		have_event = 1;
		if (++events > MAX_EVENTS) {
			rc = ed_err_set(err, ED_EPARSE,
					"%s:%zu:%zu: document too large (over %d events)",
					name, ev.start_mark.line + 1,
					ev.start_mark.column + 1, MAX_EVENTS);
			goto out;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1) {
				rc = ed_err_set(err, ED_EPARSE,
						"%s:%zu:%zu: only one YAML document is allowed",
						name, ev.start_mark.line + 1,
						ev.start_mark.column + 1);
				goto out;
			}
			break;
		case YAML_ALIAS_EVENT:
			rc = ed_err_set(err, ED_EPARSE,
					"%s:%zu:%zu: aliases are not supported here",
					name, ev.start_mark.line + 1,
					ev.start_mark.column + 1);
			goto out;
		default:
			break;
		}
		if ((ev.type == YAML_SCALAR_EVENT && ev.data.scalar.anchor) ||
		    (ev.type == YAML_SEQUENCE_START_EVENT && ev.data.sequence_start.anchor) ||
		    (ev.type == YAML_MAPPING_START_EVENT && ev.data.mapping_start.anchor)) {
			rc = ed_err_set(err, ED_EPARSE,
					"%s:%zu:%zu: anchors are not supported here",
					name, ev.start_mark.line + 1,
					ev.start_mark.column + 1);
			goto out;
		}
		switch (ev.type) {
		case YAML_SCALAR_EVENT:
			n = node_new(ED_YSCALAR, ev.start_mark);
			n->str = ed_xmemdup(ev.data.scalar.value,
					    ev.data.scalar.length);
			n->len = ev.data.scalar.length;
			n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (depth >= MAX_DEPTH) {
				rc = ed_err_set(err, ED_EPARSE,
						"%s:%zu:%zu: nested deeper than %d levels",
						name, ev.start_mark.line + 1,
						ev.start_mark.column + 1, MAX_DEPTH);
				goto out;
			}
			n = node_new(ev.type == YAML_SEQUENCE_START_EVENT ?
					     ED_YSEQ : ED_YMAP,
				     ev.start_mark);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		default:
			break;
		}
		if (n) {
			if (depth == 0) {
				root = n;
			} else {
				struct ed_ynode *parent = stack[depth - 1];

				if (parent->type == ED_YMAP && parent->nr % 2 == 0) {
					rc = check_duplicate(parent, n, name, err);
					if (rc < 0) {
						ed_ynode_free(n);
						goto out;
					}
				}
				add_kid(parent, n);
			}
			if (n->type != ED_YSCALAR)
				stack[depth++] = n;
		}
		yaml_event_delete(&ev);
		have_event = 0;
	}
	/* libyaml reports an empty document ("---" alone) as an empty plain scalar */
	if (root && root->type == ED_YSCALAR && root->plain && !root->len) {
		ed_ynode_free(root);
		root = NULL;
	}
	if (!root) {
		yaml_mark_t m = { 0, 0, 0 };

		root = node_new(ED_YMAP, m);
	}
	*out = root;
	root = NULL;
out:
	if (have_event)
		yaml_event_delete(&ev);
	yaml_parser_delete(&parser);
	ed_ynode_free(root);
	return rc;
}

const struct ed_ynode *ed_ymap_get(const struct ed_ynode *n, const char *key)
{
	size_t i;

	if (!n || n->type != ED_YMAP)
		return NULL;
	for (i = 0; i + 1 < n->nr; i += 2)
		if (!strcmp(n->kids[i]->str, key))
			return n->kids[i + 1];
	return NULL;
}

const char *ed_ynode_kind(const struct ed_ynode *n)
{
	switch (n->type) {
	case ED_YSCALAR:
		return "scalar";
	case ED_YSEQ:
		return "sequence";
	default:
		return "mapping";
	}
}

int ed_ynode_bool(int *out, const struct ed_ynode *n, const char *name,
		  const char *key, struct ed_err *err)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes", "on" };
	static const char *const no[] = { "false", "False", "FALSE", "no", "No", "off" };
	size_t i;

	if (n->type == ED_YSCALAR && n->plain) {
		for (i = 0; i < ED_ARRAY_SIZE(yes); i++) {
			if (!strcmp(n->str, yes[i])) {
				*out = 1;
				return 0;
			}
			if (!strcmp(n->str, no[i])) {
				*out = 0;
				return 0;
			}
		}
	}
	return ed_err_set(err, ED_EPARSE, "%s:%zu:%zu: %s: want true or false",
			  name, n->line, n->col, key);
}

int ed_ynode_size(size_t *out, const struct ed_ynode *n, const char *name,
		  const char *key, struct ed_err *err)
{
	char *end = NULL;
	unsigned long long v;

	if (n->type == ED_YSCALAR && n->len && n->str[0] >= '0' &&
	    n->str[0] <= '9') {
		errno = 0;
		v = strtoull(n->str, &end, 10);
		if (!errno && end && !*end) {
			*out = (size_t)v;
			return 0;
		}
	}
	return ed_err_set(err, ED_EPARSE,
			  "%s:%zu:%zu: %s: want a non-negative integer", name,
			  n->line, n->col, key);
}
