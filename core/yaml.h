#ifndef ENVDRIFT_CORE_YAML_H
#define ENVDRIFT_CORE_YAML_H
/*
 * A small YAML tree loaded with libyaml's event API (ten times faster than
 * its document API, TECH-NOTES §3), with the limits libyaml 0.2.5 lacks: a
 * nesting cap, an event cap, duplicate-key detection. Anchors and aliases
 * are refused: configuration and baselines have no use for them. Every node
 * keeps its 1-based line and column for "file:line:col: what" messages.
 */
#include <stddef.h>

#include "core/err.h"

enum ed_ynode_type { ED_YSCALAR, ED_YSEQ, ED_YMAP };

struct ed_ynode {
	enum ed_ynode_type type;
	size_t line, col;       /* 1-based position of the node */
	char *str;              /* scalar value (NUL-terminated), else NULL */
	size_t len;
	int plain;              /* scalar written without quotes */
	struct ed_ynode **kids; /* seq: items; map: key, value, key, value... */
	size_t nr, alloc;
};

/*
 * Parse one document from buf. name appears in messages. An empty document
 * gives an empty mapping. The caller frees *out with ed_ynode_free.
 * Returns ED_EPARSE with "name:line:col: what".
 */
int ed_yaml_load(struct ed_ynode **out, const char *buf, size_t len,
		 const char *name, struct ed_err *err);
void ed_ynode_free(struct ed_ynode *n);

/* Value of key in a mapping, borrowed; NULL if absent or n not a map. */
const struct ed_ynode *ed_ymap_get(const struct ed_ynode *n, const char *key);
/* "scalar", "sequence" or "mapping", for messages */
const char *ed_ynode_kind(const struct ed_ynode *n);

/* Typed reads: ED_EPARSE with "name:line:col: KEY: want ..." on mismatch. */
int ed_ynode_bool(int *out, const struct ed_ynode *n, const char *name,
		  const char *key, struct ed_err *err);
int ed_ynode_size(size_t *out, const struct ed_ynode *n, const char *name,
		  const char *key, struct ed_err *err);

#endif
