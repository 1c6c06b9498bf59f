#ifndef ENVDRIFT_CORE_YAML_H
#define ENVDRIFT_CORE_YAML_H
/*
 * A small YAML tree loaded with libyaml's event API (ten times faster than
 * its document API, doc/DESIGN-NOTES.md §3), with the limits libyaml 0.2.5 lacks: a
 * nesting cap, an event cap, duplicate-key detection. Anchors and aliases
 * are refused by default: configuration and baselines have no use for them.
 * Inventories, which real teams write with anchors, opt in with
 * ED_YAML_ALIASES (expanded under a node cap). Every node keeps its 1-based
 * line and column for "file:line:col: what" messages.
 */
#include <stddef.h>

#include "core/err.h"

enum ed_ynode_type { ED_YSCALAR, ED_YSEQ, ED_YMAP };

struct ed_ynode {
	enum ed_ynode_type type;
	size_t line, col; /* 1-based position of the node */
	char *str;        /* scalar value (NUL-terminated), else NULL */
	size_t len;
	int plain; /* scalar written without quotes */
	char *tag; /* explicit tag as written ("!vault"), or NULL */
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

enum ed_yaml_flags {
	/*
	 * Accept anchors and aliases: an alias becomes a deep copy of the
	 * anchored node, and a "<<" key whose value is a mapping or a sequence
	 * of mappings merges them into its mapping (explicit keys win, then
	 * earlier sources). The "<<" key itself is removed.
	 */
	ED_YAML_ALIASES = 1 << 0,
};

/* Cap on the nodes one document may produce, aliases expanded. */
#define ED_YAML_MAX_NODES 1000000

/*
 * ed_yaml_load with flags. With ED_YAML_ALIASES a document whose expansion
 * passes ED_YAML_MAX_NODES fails with "name:line:col: alias expansion
 * exceeds N nodes" before allocating them. Returns ED_EPARSE.
 */
int ed_yaml_load_ext(struct ed_ynode **out, const char *buf, size_t len,
		     const char *name, unsigned flags, struct ed_err *err);
/* Deep copy of n; the caller frees it with ed_ynode_free. */
struct ed_ynode *ed_ynode_copy(const struct ed_ynode *n);

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
