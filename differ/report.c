/*
 * The drift report: what a comparison, a gate or drift age produce and the
 * report formats print. Building, releasing and reading one; nothing here
 * compares.
 */
#include "differ/differ.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

const char *drift_kind_name(enum drift_kind k)
{
	switch (k) {
	case DRIFT_CHANGED:
		return "changed";
	case DRIFT_MISSING:
		return "missing";
	case DRIFT_EXTRA:
		return "extra";
	case DRIFT_OUTLIER:
		return "outlier";
	case DRIFT_PIN:
		return "pin";
	default:
		return "stale";
	}
}

void drift_report_init(struct drift_report *r, const char *a, const char *b)
{
	memset(r, 0, sizeof(*r));
	r->operands[0] = ed_xstrdup(a);
	r->operands[1] = ed_xstrdup(b);
	ed_strvec_init(&r->notes);
	ed_strvec_init(&r->compared);
}

void drift_item_release(struct drift_item *it)
{
	free(it->collector);
	free(it->key);
	free(it->role);
	free(it->values[0]);
	free(it->values[1]);
	free(it->host);
	free(it->host_value);
	free(it->rule);
	free(it->detail);
	free(it->shard);
	free(it->waiver);
	free(it->patch);
	if (it->shared) {
		drift_hosts_put(it->shared);
		it->shared = NULL;
		ed_strvec_init(&it->hosts);
	} else {
		ed_strvec_release(&it->hosts);
	}
}

struct drift_hosts {
	struct ed_strvec list;
	size_t refs;
};

struct drift_hosts *drift_hosts_new(struct ed_strvec *list)
{
	struct drift_hosts *h = ed_xcalloc(1, sizeof(*h));

	h->list = *list;
	h->refs = 1;
	ed_strvec_init(list);
	return h;
}

void drift_item_share_hosts(struct drift_item *it, struct drift_hosts *h)
{
	ed_strvec_release(&it->hosts);
	it->hosts = h->list;
	it->shared = h;
	h->refs++;
}

void drift_hosts_put(struct drift_hosts *h)
{
	if (h && !--h->refs) {
		ed_strvec_release(&h->list);
		free(h);
	}
}

void drift_report_release(struct drift_report *r)
{
	size_t i;

	for (i = 0; i < r->nr; i++)
		drift_item_release(&r->items[i]);
	free(r->items);
	free(r->operands[0]);
	free(r->operands[1]);
	free(r->commits[0]);
	free(r->commits[1]);
	ed_strvec_release(&r->notes);
	ed_strvec_release(&r->compared);
	memset(r, 0, sizeof(*r));
}

struct drift_item *drift_report_add(struct drift_report *r,
				    const char *collector, const char *key,
				    const char *role, enum drift_kind kind)
{
	struct drift_item *it;

	ED_ALLOC_GROW(r->items, r->nr + 1, r->alloc);
	it = &r->items[r->nr++];
	memset(it, 0, sizeof(*it));
	it->collector = ed_xstrdup(collector);
	it->key = ed_xstrdup(key);
	it->role = role ? ed_xstrdup(role) : NULL;
	it->kind = kind;
	it->newer = -1;
	it->severity = SEV_WARNING;
	ed_strvec_init(&it->hosts);
	return it;
}

int drift_report_failing(const struct drift_report *r, enum drift_severity fail_on)
{
	size_t i;

	for (i = 0; i < r->nr; i++)
		if (!r->items[i].waived && r->items[i].severity >= fail_on)
			return 1;
	return 0;
}
