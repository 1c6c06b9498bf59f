/*
 * yamlscalars FILE: parse FILE with libyaml and print every scalar as
 * "PATH<TAB>VALUE", PATH the mapping keys and sequence indexes down to it
 * joined by '.' (jobs.gate.steps.3.run), newlines in VALUE as "\n". A
 * parse error prints "FILE:LINE:COL: problem" and exits 1. For the tests
 * of the pipeline examples (t0036): the YAML is valid, and the commands
 * they run are there to run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static void put_value(const unsigned char *v, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (v[i] == '\n')
			fputs("\\n", stdout);
		else
			putchar(v[i]);
	putchar('\n');
}

static void walk(yaml_document_t *doc, yaml_node_t *n, char *path, size_t len,
		 size_t cap)
{
	size_t i;

	if (!n)
		return;
	if (n->type == YAML_SCALAR_NODE) {
		printf("%.*s\t", (int)len, path);
		put_value(n->data.scalar.value, n->data.scalar.length);
	} else if (n->type == YAML_SEQUENCE_NODE) {
		yaml_node_item_t *it = n->data.sequence.items.start;

		for (i = 0; it + i < n->data.sequence.items.top; i++) {
			int w = snprintf(path + len, cap - len, "%s%zu",
					 len ? "." : "", i);

			if (w > 0 && (size_t)w < cap - len)
				walk(doc, yaml_document_get_node(doc, it[i]),
				     path, len + (size_t)w, cap);
		}
	} else if (n->type == YAML_MAPPING_NODE) {
		yaml_node_pair_t *p;

		for (p = n->data.mapping.pairs.start;
		     p < n->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(doc, p->key);
			int w;

			if (!k || k->type != YAML_SCALAR_NODE)
				continue;
			w = snprintf(path + len, cap - len, "%s%s",
				     len ? "." : "",
				     (const char *)k->data.scalar.value);
			if (w > 0 && (size_t)w < cap - len)
				walk(doc, yaml_document_get_node(doc, p->value),
				     path, len + (size_t)w, cap);
		}
	}
}

int main(int argc, char **argv)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	char path[4096];
	FILE *f;
	int rc = 0;

	if (argc != 2) {
		fputs("usage: yamlscalars FILE\n", stderr);
		return 2;
	}
	f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 2;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		fprintf(stderr, "%s:%zu:%zu: %s\n", argv[1],
			parser.problem_mark.line + 1,
			parser.problem_mark.column + 1,
			parser.problem ? parser.problem : "parse error");
		rc = 1;
	} else {
		path[0] = '\0';
		walk(&doc, yaml_document_get_root_node(&doc), path, 0,
		     sizeof(path));
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
}
