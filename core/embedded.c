/*
 * Lookup in the table of compiled-in data files.
 */
#include "core/embedded.h"

#include <string.h>

const struct ed_embedded *ed_embedded_find(const char *name)
{
	const struct ed_embedded *e;

	for (e = ed_embedded_files; e->name; e++)
		if (!strcmp(e->name, name))
			return e;
	return NULL;
}
