/*
 * Unit tests for core/yaml.h: the node tree and its 1-based positions, and
 * the limits libyaml lacks (duplicate keys, aliases, depth, one document).
 * Inputs are the fixtures under tests/fixtures/yaml and small inline
 * strings; every error test checks the code and "name:line:col:".
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/yaml.h"

#define YAML_DIR FIXTURE_DIR "/yaml/"

struct fixture {
	struct ed_err err;
	struct ed_ynode *doc;
	struct ed_buf text;
};

static int group_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	ed_buf_init(&f->text);
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *f = *state;

	ed_buf_release(&f->text);
	free(f);
	return 0;
}

static int setup(void **state)
{
	struct fixture *f = *state;

	ed_err_clear(&f->err);
	ed_buf_reset(&f->text);
	f->doc = NULL;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ed_ynode_free(f->doc);
	f->doc = NULL;
	return 0;
}

/* Load fixture tests/fixtures/yaml/<name>, named <name> in messages. */
static int load_fixture(struct fixture *f, const char *name)
{
	struct ed_buf path = ED_BUF_INIT;
	struct ed_err rerr = ED_ERR_INIT;

	ed_buf_addf(&path, "%s%s", YAML_DIR, name);
	ed_buf_reset(&f->text);
	assert_int_equal(ed_buf_read_file(&f->text, path.ptr, 1 << 20, &rerr), 0);
	ed_buf_release(&path);
	return ed_yaml_load(&f->doc, f->text.ptr, f->text.len, name, &f->err);
}

static int load_string(struct fixture *f, const char *s, const char *name)
{
	return ed_yaml_load(&f->doc, s, strlen(s), name, &f->err);
}

static void assert_node(const struct ed_ynode *n, enum ed_ynode_type type,
			size_t line, size_t col)
{
	assert_non_null(n);
	assert_int_equal(n->type, type);
	assert_int_equal(n->line, line);
	assert_int_equal(n->col, col);
}

static void assert_scalar(const struct ed_ynode *n, const char *s, int plain,
			  size_t line, size_t col)
{
	assert_node(n, ED_YSCALAR, line, col);
	assert_string_equal(n->str, s);
	assert_int_equal(n->len, strlen(s));
	assert_int_equal(n->plain, plain);
	assert_int_equal(n->nr, 0);
}

static void assert_error(const struct fixture *f, int rc, const char *prefix,
			 const char *what)
{
	assert_int_equal(rc, ED_EPARSE);
	assert_int_equal(f->err.code, ED_EPARSE);
	if (strncmp(f->err.msg, prefix, strlen(prefix)))
		fail_msg("message \"%s\" does not start with \"%s\"",
			 f->err.msg, prefix);
	if (!strstr(f->err.msg, what))
		fail_msg("message \"%s\" does not say \"%s\"", f->err.msg, what);
	assert_null(f->doc);
}

static void test_yaml_mapping_positions_are_one_based(void **state)
{
	struct fixture *f = *state;
	const struct ed_ynode *d, *list, *map, *nested;

	assert_int_equal(load_fixture(f, "good.yaml"), 0);
	d = f->doc;
	assert_node(d, ED_YMAP, 2, 1);
	assert_int_equal(d->nr, 8);
	assert_scalar(d->kids[0], "name", 1, 2, 1);
	assert_scalar(d->kids[1], "envdrift", 1, 2, 7);
	assert_scalar(ed_ymap_get(d, "name"), "envdrift", 1, 2, 7);
	assert_scalar(ed_ymap_get(d, "empty"), "", 0, 10, 8);
	assert_null(ed_ymap_get(d, "absent"));
	assert_string_equal(ed_ynode_kind(d), "mapping");

	map = ed_ymap_get(d, "map");
	assert_node(map, ED_YMAP, 8, 3);
	nested = ed_ymap_get(map, "nested");
	assert_node(nested, ED_YMAP, 8, 11);
	assert_int_equal(nested->nr, 4);
	assert_scalar(nested->kids[0], "k", 1, 8, 12);
	assert_scalar(nested->kids[1], "v", 1, 8, 15);
	assert_scalar(ed_ymap_get(nested, "n"), "3", 1, 8, 21);
	assert_scalar(ed_ymap_get(map, "flag"), "yes", 1, 9, 9);

	list = ed_ymap_get(d, "list");
	assert_null(ed_ymap_get(list, "one")); /* not a map */
	assert_node(list, ED_YSEQ, 4, 3);
	assert_string_equal(ed_ynode_kind(list), "sequence");
	assert_int_equal(list->nr, 3);
	assert_scalar(list->kids[0], "one", 1, 4, 5);
	assert_scalar(list->kids[1], "two", 0, 5, 5);
	assert_string_equal(ed_ynode_kind(list->kids[1]), "scalar");
	assert_node(list->kids[2], ED_YSEQ, 6, 5);
	assert_int_equal(list->kids[2]->nr, 2);
	assert_scalar(list->kids[2]->kids[0], "a", 1, 6, 6);
	assert_scalar(list->kids[2]->kids[1], "b", 1, 6, 9);
}

static void test_yaml_sequence_at_top_level(void **state)
{
	struct fixture *f = *state;
	const struct ed_ynode *d, *m;

	assert_int_equal(load_fixture(f, "seq.yaml"), 0);
	d = f->doc;
	assert_node(d, ED_YSEQ, 1, 1);
	assert_int_equal(d->nr, 2);
	assert_scalar(d->kids[0], "a", 1, 1, 3);
	m = d->kids[1];
	assert_node(m, ED_YMAP, 2, 3);
	assert_scalar(ed_ymap_get(m, "b"), "1", 1, 2, 6);
	assert_node(ed_ymap_get(m, "c"), ED_YSEQ, 3, 6);
	assert_scalar(ed_ymap_get(m, "c")->kids[0], "x", 1, 3, 7);
}

static void test_yaml_scalar_document(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_string(f, "\n  'quoted value'\n", "s.yaml"), 0);
	assert_scalar(f->doc, "quoted value", 0, 2, 3);
	assert_null(ed_ymap_get(f->doc, "quoted value"));
}

static void test_yaml_scalar_keeps_nul_and_multiline(void **state)
{
	struct fixture *f = *state;
	const struct ed_ynode *v;

	assert_int_equal(load_string(f, "k: \"a\\0b\"\nl: |\n  x\n  y\n", "n.yaml"),
			 0);
	v = ed_ymap_get(f->doc, "k");
	assert_non_null(v);
	assert_int_equal(v->len, 3);
	assert_memory_equal(v->str, "a\0b", 4);
	v = ed_ymap_get(f->doc, "l");
	assert_string_equal(v->str, "x\ny\n");
	assert_int_equal(v->plain, 0);
}

static void test_yaml_empty_stream_is_empty_map(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_string(f, "", "e.yaml"), 0);
	assert_node(f->doc, ED_YMAP, 1, 1);
	assert_int_equal(f->doc->nr, 0);
	ed_ynode_free(f->doc);
	f->doc = NULL;
	assert_int_equal(load_string(f, "# only a comment\n\n", "e.yaml"), 0);
	assert_node(f->doc, ED_YMAP, 1, 1);
	assert_int_equal(f->doc->nr, 0);
}

/*
 * Regression (fixed in core/yaml.c ed_yaml_load): "---" followed by nothing (or only
 * comments) is an empty document, which yaml.h promises gives an empty
 * mapping; libyaml reports it as an empty plain scalar and that scalar is
 * returned, so collect_config_load rejects such a file with "top level:
 * want a mapping, found a scalar".
 */
static void test_yaml_explicit_empty_document_is_empty_map(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_string(f, "---\n# nothing yet\n", "e.yaml"), 0);
	assert_non_null(f->doc);
	assert_int_equal(f->doc->type, ED_YMAP);
	assert_int_equal(f->doc->nr, 0);
}

static void test_yaml_duplicate_key_is_rejected_with_location(void **state)
{
	struct fixture *f = *state;

	assert_error(f, load_fixture(f, "dup.yaml"),
		     "dup.yaml:4:3: ", "duplicate key 'c' (first at line 3)");
}

static void test_yaml_duplicate_key_quoted_or_plain(void **state)
{
	struct fixture *f = *state;

	assert_error(f, load_string(f, "x: 1\n'x': 2\n", "q.yaml"),
		     "q.yaml:2:1: ", "duplicate key 'x'");
}

static void test_yaml_same_key_in_sibling_maps_is_fine(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_string(f, "a: {k: 1}\nb: {k: 2}\nk: 3\n", "s.yaml"),
			 0);
	assert_scalar(ed_ymap_get(ed_ymap_get(f->doc, "b"), "k"), "2", 1, 2, 8);
}

static void test_yaml_non_scalar_key_is_rejected(void **state)
{
	struct fixture *f = *state;

	assert_error(f, load_string(f, "a: 1\n? [x, y]\n: 2\n", "k.yaml"),
		     "k.yaml:2:3: ", "mapping keys must be scalars");
}

static void test_yaml_alias_is_rejected_with_location(void **state)
{
	struct fixture *f = *state;
	static const char text[] = "a: 1\nb: *x\n";
	struct ed_ynode *n = NULL;

	/* the anchor is refused first, where it is defined */
	assert_error(f, load_fixture(f, "alias.yaml"),
		     "alias.yaml:1:7: ", "anchors are not supported");
	/* an alias alone (undefined anchor) is refused too */
	assert_int_equal(ed_yaml_load(&n, text, sizeof(text) - 1, "t.yaml",
				      &f->err),
			 ED_EPARSE);
	assert_null(n);
	assert_true(!strncmp(f->err.msg, "t.yaml:2:4: ", 12));
}

static void test_yaml_multiple_documents_are_rejected(void **state)
{
	struct fixture *f = *state;

	assert_error(f, load_fixture(f, "multi.yaml"),
		     "multi.yaml:2:1: ", "only one YAML document");
}

static void test_yaml_tab_indentation_is_an_error_with_location(void **state)
{
	struct fixture *f = *state;

	assert_error(f, load_fixture(f, "tab.yaml"),
		     "tab.yaml:3:1: ", "tab character that violates indentation");
}

static void test_yaml_syntax_error_names_context(void **state)
{
	struct fixture *f = *state;
	int rc = load_fixture(f, "unterminated.yaml");

	assert_int_equal(rc, ED_EPARSE);
	assert_true(!strncmp(f->err.msg, "unterminated.yaml:", 18));
	assert_non_null(strstr(f->err.msg, "quoted scalar at line 1)"));
	assert_null(f->doc);
}

static void make_nested(struct ed_buf *b, size_t depth)
{
	size_t i;

	ed_buf_reset(b);
	for (i = 0; i < depth; i++)
		ed_buf_addch(b, '[');
	for (i = 0; i < depth; i++)
		ed_buf_addch(b, ']');
	ed_buf_addch(b, '\n');
}

static void test_yaml_depth_64_is_accepted(void **state)
{
	struct fixture *f = *state;
	const struct ed_ynode *n;
	size_t d = 1;

	make_nested(&f->text, 64);
	assert_int_equal(ed_yaml_load(&f->doc, f->text.ptr, f->text.len,
				      "deep.yaml", &f->err),
			 0);
	for (n = f->doc; n->nr; n = n->kids[0])
		d++;
	assert_int_equal(d, 64);
	assert_int_equal(n->col, 64);
}

static void test_yaml_depth_cap_fails_fast_with_location(void **state)
{
	struct fixture *f = *state;
	clock_t t0 = clock();

	make_nested(&f->text, 100);
	assert_error(f,
		     ed_yaml_load(&f->doc, f->text.ptr, f->text.len,
				  "deep.yaml", &f->err),
		     "deep.yaml:1:65: ", "nested deeper than 64 levels");
	/* a hostile document: half a million open brackets, no closers */
	ed_buf_reset(&f->text);
	while (f->text.len < 500000)
		ed_buf_adds(&f->text,
			    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[");
	ed_err_clear(&f->err);
	assert_error(f,
		     ed_yaml_load(&f->doc, f->text.ptr, f->text.len,
				  "deep.yaml", &f->err),
		     "deep.yaml:1:65: ", "nested deeper");
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0);
}

static void test_yaml_block_mapping_depth_cap(void **state)
{
	struct fixture *f = *state;
	size_t i, j;

	/* 70 levels of "k:" each indented one more space */
	for (i = 0; i < 70; i++) {
		for (j = 0; j < i; j++)
			ed_buf_addch(&f->text, ' ');
		ed_buf_adds(&f->text, "k:\n");
	}
	assert_error(f,
		     ed_yaml_load(&f->doc, f->text.ptr, f->text.len, "blk.yaml",
				  &f->err),
		     "blk.yaml:65:65: ", "nested deeper than 64 levels");
}

static void test_ynode_bool_reads_yaml_booleans(void **state)
{
	struct fixture *f = *state;
	const char *yes[] = { "true", "True", "TRUE", "yes", "Yes", "on" };
	const char *no[] = { "false", "False", "FALSE", "no", "No", "off" };
	struct ed_buf doc = ED_BUF_INIT;
	size_t i;
	int v;

	for (i = 0; i < 6; i++)
		ed_buf_addf(&doc, "y%zu: %s\nn%zu: %s\n", i, yes[i], i, no[i]);
	assert_int_equal(load_string(f, doc.ptr, "b.yaml"), 0);
	for (i = 0; i < 6; i++) {
		struct ed_buf k = ED_BUF_INIT;

		ed_buf_addf(&k, "y%zu", i);
		v = -1;
		assert_int_equal(ed_ynode_bool(&v, ed_ymap_get(f->doc, k.ptr),
					       "b.yaml", k.ptr, &f->err),
				 0);
		assert_int_equal(v, 1);
		ed_buf_reset(&k);
		ed_buf_addf(&k, "n%zu", i);
		v = -1;
		assert_int_equal(ed_ynode_bool(&v, ed_ymap_get(f->doc, k.ptr),
					       "b.yaml", k.ptr, &f->err),
				 0);
		assert_int_equal(v, 0);
		ed_buf_release(&k);
	}
	ed_buf_release(&doc);
}

static void test_ynode_bool_errors_have_location(void **state)
{
	struct fixture *f = *state;
	const struct ed_ynode *c;
	int v = -1;

	assert_int_equal(load_fixture(f, "types.yaml"), 0);
	c = ed_ymap_get(f->doc, "collectors");
	assert_int_equal(ed_ynode_bool(&v, ed_ymap_get(c, "files"),
				       "types.yaml", "files", &f->err),
			 ED_EPARSE);
	assert_int_equal(f->err.code, ED_EPARSE);
	assert_string_equal(f->err.msg,
			    "types.yaml:2:10: files: want true or false");
	/* a quoted "true" is a string, not a boolean */
	assert_int_equal(ed_ynode_bool(&v, ed_ymap_get(c, "kernel"),
				       "types.yaml", "kernel", &f->err),
			 ED_EPARSE);
	assert_string_equal(f->err.msg,
			    "types.yaml:3:11: kernel: want true or false");
	/* a mapping */
	assert_int_equal(ed_ynode_bool(&v, c, "types.yaml", "collectors", &f->err),
			 ED_EPARSE);
	assert_string_equal(f->err.msg,
			    "types.yaml:2:3: collectors: want true or false");
	assert_int_equal(v, -1);
}

static void test_ynode_size_reads_integers(void **state)
{
	struct fixture *f = *state;
	const struct ed_ynode *fl;
	size_t v = 0;

	assert_int_equal(load_fixture(f, "types.yaml"), 0);
	fl = ed_ymap_get(f->doc, "files");
	assert_int_equal(ed_ynode_size(&v, ed_ymap_get(fl, "ok"), "types.yaml",
				       "ok", &f->err),
			 0);
	assert_int_equal(v, 4096);
	assert_int_equal(ed_ynode_size(&v, ed_ymap_get(fl, "quoted"),
				       "types.yaml", "quoted", &f->err),
			 0);
	assert_int_equal(v, 77);
}

static void test_ynode_size_errors_have_location(void **state)
{
	struct fixture *f = *state;
	const struct ed_ynode *fl;
	size_t v = 5;

	assert_int_equal(load_fixture(f, "types.yaml"), 0);
	fl = ed_ymap_get(f->doc, "files");
	assert_int_equal(ed_ynode_size(&v, ed_ymap_get(fl, "content-max"),
				       "types.yaml", "content-max", &f->err),
			 ED_EPARSE);
	assert_int_equal(f->err.code, ED_EPARSE);
	assert_string_equal(
		f->err.msg,
		"types.yaml:5:16: content-max: want a non-negative integer");
	assert_int_equal(ed_ynode_size(&v, ed_ymap_get(fl, "max-files"),
				       "types.yaml", "max-files", &f->err),
			 ED_EPARSE);
	assert_string_equal(f->err.msg,
			    "types.yaml:6:14: max-files: want a non-negative integer");
	/* out of range */
	assert_int_equal(ed_ynode_size(&v, ed_ymap_get(fl, "big"), "types.yaml",
				       "big", &f->err),
			 ED_EPARSE);
	assert_string_equal(f->err.msg,
			    "types.yaml:7:8: big: want a non-negative integer");
	/* a sequence */
	assert_int_equal(ed_ynode_size(&v, ed_ymap_get(fl, "list"),
				       "types.yaml", "list", &f->err),
			 ED_EPARSE);
	assert_string_equal(f->err.msg,
			    "types.yaml:8:9: list: want a non-negative integer");
	assert_int_equal(v, 5);
}

static void test_ynode_free_null_is_noop(void **state)
{
	struct fixture *f = *state;

	ed_ynode_free(NULL);
	assert_null(f->doc);
	assert_null(ed_ymap_get(NULL, "x"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_yaml_mapping_positions_are_one_based,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_yaml_sequence_at_top_level,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_yaml_scalar_document,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_yaml_scalar_keeps_nul_and_multiline,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_yaml_empty_stream_is_empty_map,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_yaml_explicit_empty_document_is_empty_map, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_yaml_duplicate_key_is_rejected_with_location,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_yaml_duplicate_key_quoted_or_plain,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_yaml_same_key_in_sibling_maps_is_fine,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_yaml_non_scalar_key_is_rejected,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_yaml_alias_is_rejected_with_location,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_yaml_multiple_documents_are_rejected,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_yaml_tab_indentation_is_an_error_with_location,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_yaml_syntax_error_names_context,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_yaml_depth_64_is_accepted,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_yaml_depth_cap_fails_fast_with_location, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_yaml_block_mapping_depth_cap,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_ynode_bool_reads_yaml_booleans,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_ynode_bool_errors_have_location,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_ynode_size_reads_integers,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_ynode_size_errors_have_location,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_ynode_free_null_is_noop,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
