/*
 * YAML to a node tree via libyaml events. Limits guard against hostile
 * input: libyaml 0.2.5 has no nesting cap and nested flow collections cost
 * quadratic time, so depth and event count are capped here (doc/DESIGN-NOTES.md §3).
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
	free(n->tag);
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
static int check_duplicate(const struct ed_ynode *map, const struct ed_ynode *key,
			   const char *name, struct ed_err *err)
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

/*
 * Anchors seen so far, for ED_YAML_ALIASES. Each keeps its own copy of the
 * finished node, because merge keys later move or free nodes of the tree.
 */
struct anchor {
	char *name;
	struct ed_ynode *node;
	size_t count, depth; /* nodes in, and levels of, node */
};

struct loader {
	const char *name;
	unsigned flags;
	size_t nodes; /* produced so far, aliases expanded */
	struct anchor *anchors;
	size_t nr_anchors, alloc_anchors;
};

static void subtree_stats(const struct ed_ynode *n, size_t *count,
			  size_t *depth, size_t level)
{
	size_t i;

	(*count)++;
	if (level > *depth)
		*depth = level;
	for (i = 0; i < n->nr; i++)
		subtree_stats(n->kids[i], count, depth, level + 1);
}

struct ed_ynode *ed_ynode_copy(const struct ed_ynode *n)
{
	struct ed_ynode *c = ed_xcalloc(1, sizeof(*c));
	size_t i;

	c->type = n->type;
	c->line = n->line;
	c->col = n->col;
	c->len = n->len;
	c->plain = n->plain;
	if (n->str)
		c->str = ed_xmemdup(n->str, n->len);
	if (n->tag)
		c->tag = ed_xstrdup(n->tag);
	if (n->nr) {
		c->kids = ed_xcalloc(n->nr, sizeof(*c->kids));
		c->alloc = n->nr;
		for (i = 0; i < n->nr; i++)
			c->kids[i] = ed_ynode_copy(n->kids[i]);
		c->nr = n->nr;
	}
	return c;
}

/* The anchor stays registered under name until a later one replaces it. */
static void anchor_set(struct loader *ld, const char *name,
		       const struct ed_ynode *n)
{
	struct anchor *a = NULL;
	size_t i;

	for (i = 0; i < ld->nr_anchors; i++)
		if (!strcmp(ld->anchors[i].name, name))
			a = &ld->anchors[i];
	if (!a) {
		ED_ALLOC_GROW(ld->anchors, ld->nr_anchors + 1, ld->alloc_anchors);
		a = &ld->anchors[ld->nr_anchors++];
		a->name = ed_xstrdup(name);
	} else {
		ed_ynode_free(a->node);
	}
	a->node = ed_ynode_copy(n);
	a->count = 0;
	a->depth = 0;
	subtree_stats(a->node, &a->count, &a->depth, 0);
}

static int expand_alias(struct ed_ynode **out, struct loader *ld,
			const yaml_event_t *ev, size_t depth, struct ed_err *err)
{
	const char *alias = (const char *)ev->data.alias.anchor;
	const struct anchor *a = NULL;
	size_t i;

	for (i = 0; i < ld->nr_anchors; i++)
		if (!strcmp(ld->anchors[i].name, alias))
			a = &ld->anchors[i];
	if (!a)
		return ed_err_set(err, ED_EPARSE,
				  "%s:%zu:%zu: alias '%s' names no finished anchor",
				  ld->name, ev->start_mark.line + 1,
				  ev->start_mark.column + 1, alias);
	if (a->count > ED_YAML_MAX_NODES - ld->nodes)
		return ed_err_set(err, ED_EPARSE,
				  "%s:%zu:%zu: alias expansion exceeds %d nodes",
				  ld->name, ev->start_mark.line + 1,
				  ev->start_mark.column + 1, ED_YAML_MAX_NODES);
	if (depth + a->depth > MAX_DEPTH)
		return ed_err_set(err, ED_EPARSE,
				  "%s:%zu:%zu: alias expansion nests deeper than %d levels",
				  ld->name, ev->start_mark.line + 1,
				  ev->start_mark.column + 1, MAX_DEPTH);
	ld->nodes += a->count;
	*out = ed_ynode_copy(a->node);
	return 0;
}

static int is_merge_key(const struct ed_ynode *k)
{
	return k->type == ED_YSCALAR && k->plain && !strcmp(k->str, "<<");
}

static int map_has_key(struct ed_ynode *const *keys, size_t nr,
		       const struct ed_ynode *k)
{
	size_t i;

	for (i = 0; i < nr; i += 2)
		if (keys[i]->len == k->len &&
		    !memcmp(keys[i]->str, k->str, k->len))
			return 1;
	return 0;
}

/*
 * Apply a "<<" key of a finished mapping (errors point at the key: its
 * value, an alias copy, carries the anchor's position): explicit pairs keep their order,
 * then each source's pairs not already present follow (YAML merge spec:
 * explicit keys win, earlier sources win over later ones).
 */
static int apply_merge(struct ed_ynode *map, const char *name, struct ed_err *err)
{
	struct ed_ynode *src = NULL, *mkey = NULL, **kids = NULL;
	struct ed_ynode **sources = NULL;
	size_t i, j, nr = 0, nr_sources = 0, alloc;

	for (i = 0; i + 1 < map->nr; i += 2)
		if (is_merge_key(map->kids[i])) {
			mkey = map->kids[i];
			src = map->kids[i + 1];
		}
	if (!src)
		return 0;
	if (src->type == ED_YMAP) {
		sources = &src;
		nr_sources = 1;
	} else if (src->type == ED_YSEQ) {
		for (i = 0; i < src->nr; i++)
			if (src->kids[i]->type != ED_YMAP)
				return ed_err_set(err, ED_EPARSE,
						  "%s:%zu:%zu: merge key: want a mapping or a sequence of mappings",
						  name, mkey->line, mkey->col);
		sources = src->kids;
		nr_sources = src->nr;
	} else {
		return ed_err_set(err, ED_EPARSE,
				  "%s:%zu:%zu: merge key: want a mapping or a sequence of mappings",
				  name, mkey->line, mkey->col);
	}
	alloc = map->nr;
	kids = ed_xcalloc(alloc, sizeof(*kids));
	for (i = 0; i + 1 < map->nr; i += 2) {
		if (map->kids[i] == mkey)
			continue;
		kids[nr++] = map->kids[i];
		kids[nr++] = map->kids[i + 1];
	}
	for (j = 0; j < nr_sources; j++) {
		struct ed_ynode *s = sources[j];

		for (i = 0; i + 1 < s->nr; i += 2) {
			if (map_has_key(kids, nr, s->kids[i]))
				continue;
			/* moved: the source no longer owns this pair */
			ED_ALLOC_GROW(kids, nr + 2, alloc);
			kids[nr++] = s->kids[i];
			kids[nr++] = s->kids[i + 1];
			s->kids[i] = NULL;
			s->kids[i + 1] = NULL;
		}
	}
	free(map->kids);
	map->kids = kids;
	map->alloc = alloc;
	map->nr = nr;
	ed_ynode_free(mkey);
	ed_ynode_free(src);
	return 0;
}

static const char *event_anchor(const yaml_event_t *ev)
{
	const yaml_char_t *a = NULL;

	if (ev->type == YAML_SCALAR_EVENT)
		a = ev->data.scalar.anchor;
	else if (ev->type == YAML_SEQUENCE_START_EVENT)
		a = ev->data.sequence_start.anchor;
	else if (ev->type == YAML_MAPPING_START_EVENT)
		a = ev->data.mapping_start.anchor;
	return (const char *)a;
}

static const char *event_tag(const yaml_event_t *ev)
{
	const yaml_char_t *t = NULL;

	if (ev->type == YAML_SCALAR_EVENT)
		t = ev->data.scalar.tag;
	else if (ev->type == YAML_SEQUENCE_START_EVENT)
		t = ev->data.sequence_start.tag;
	else if (ev->type == YAML_MAPPING_START_EVENT)
		t = ev->data.mapping_start.tag;
	return (const char *)t;
}

int ed_yaml_load_ext(struct ed_ynode **out, const char *buf, size_t len,
		     const char *name, unsigned flags, struct ed_err *err)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct ed_ynode *stack[MAX_DEPTH + 1];
	char *stack_anchor[MAX_DEPTH + 1];
	struct ed_ynode *root = NULL;
	struct loader ld = { name, flags, 0, NULL, 0, 0 };
	size_t depth = 0, events = 0, docs = 0, i;
	int rc = 0, done = 0, have_event = 0;
	int aliases = (flags & ED_YAML_ALIASES) != 0;

	*out = NULL;
	if (!yaml_parser_initialize(&parser))
		return ed_err_set(err, ED_ERROR,
				  "%s: cannot initialise libyaml", name);
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	while (!done) {
		struct ed_ynode *n = NULL;
		const char *anchor = NULL;
		int open = 0;

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
			if (aliases)
				break;
			rc = ed_err_set(err, ED_EPARSE,
					"%s:%zu:%zu: aliases are not supported here",
					name, ev.start_mark.line + 1,
					ev.start_mark.column + 1);
			goto out;
		default:
			break;
		}
		anchor = event_anchor(&ev);
		if (anchor && !aliases) {
			rc = ed_err_set(err, ED_EPARSE,
					"%s:%zu:%zu: anchors are not supported here",
					name, ev.start_mark.line + 1,
					ev.start_mark.column + 1);
			goto out;
		}
		if (aliases && (ev.type == YAML_SCALAR_EVENT ||
				ev.type == YAML_SEQUENCE_START_EVENT ||
				ev.type == YAML_MAPPING_START_EVENT)) {
			if (ld.nodes >= ED_YAML_MAX_NODES) {
				rc = ed_err_set(err, ED_EPARSE,
						"%s:%zu:%zu: alias expansion exceeds %d nodes",
						name, ev.start_mark.line + 1,
						ev.start_mark.column + 1,
						ED_YAML_MAX_NODES);
				goto out;
			}
			ld.nodes++;
		}
		switch (ev.type) {
		case YAML_SCALAR_EVENT:
			n = node_new(ED_YSCALAR, ev.start_mark);
			n->str = ed_xmemdup(ev.data.scalar.value,
					    ev.data.scalar.length);
			n->len = ev.data.scalar.length;
			n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
			break;
		case YAML_ALIAS_EVENT:
			rc = expand_alias(&n, &ld, &ev, depth, err);
			if (rc < 0)
				goto out;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (depth >= MAX_DEPTH) {
				rc = ed_err_set(err, ED_EPARSE,
						"%s:%zu:%zu: nested deeper than %d levels",
						name, ev.start_mark.line + 1,
						ev.start_mark.column + 1,
						MAX_DEPTH);
				goto out;
			}
			n = node_new(ev.type == YAML_SEQUENCE_START_EVENT ?
					     ED_YSEQ :
					     ED_YMAP,
				     ev.start_mark);
			open = 1;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			if (aliases && ev.type == YAML_MAPPING_END_EVENT) {
				rc = apply_merge(stack[depth], name, err);
				if (rc < 0) {
					/* popped already: the cleanup below no longer sees it */
					free(stack_anchor[depth]);
					goto out;
				}
			}
			if (stack_anchor[depth]) {
				anchor_set(&ld, stack_anchor[depth], stack[depth]);
				free(stack_anchor[depth]);
				stack_anchor[depth] = NULL;
			}
			break;
		default:
			break;
		}
		if (n && event_tag(&ev))
			n->tag = ed_xstrdup(event_tag(&ev));
		if (n) {
			if (depth == 0) {
				ed_ynode_free(root);
				root = n;
			} else {
				struct ed_ynode *parent = stack[depth - 1];

				if (parent->type == ED_YMAP &&
				    parent->nr % 2 == 0) {
					rc = check_duplicate(parent, n, name, err);
					if (rc < 0) {
						ed_ynode_free(n);
						goto out;
					}
				}
				add_kid(parent, n);
			}
			if (open) {
				stack_anchor[depth] =
					anchor ? ed_xstrdup(anchor) : NULL;
				stack[depth++] = n;
			} else if (anchor) {
				anchor_set(&ld, anchor, n);
			}
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
	for (i = 0; i < depth; i++)
		free(stack_anchor[i]);
	for (i = 0; i < ld.nr_anchors; i++) {
		free(ld.anchors[i].name);
		ed_ynode_free(ld.anchors[i].node);
	}
	free(ld.anchors);
	return rc;
}

int ed_yaml_load(struct ed_ynode **out, const char *buf, size_t len,
		 const char *name, struct ed_err *err)
{
	return ed_yaml_load_ext(out, buf, len, name, 0, err);
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
	static const char *const yes[] = { "true", "True", "TRUE",
					   "yes",  "Yes",  "on" };
	static const char *const no[] = { "false", "False", "FALSE",
					  "no",    "No",    "off" };
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
