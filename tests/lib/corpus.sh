# corpus.sh: what of the credential corpus (tests/fixtures/secrets) must
# never be stored, and the search for it (t0026, t0028). POSIX sh; source
# it after test-lib.sh. Lines of MANIFEST: PATH<TAB>RULE<TAB>MARKER; a path
# matching the ERE SKIP (optional) is left out.

_corpus_records() { # MANIFEST SKIP: the records, SKIP's paths left out
	# the ERE travels in the environment: awk -v would eat its backslashes
	CORPUS_SKIP=$2 awk -F'\t' '!/^#/ && (ENVIRON["CORPUS_SKIP"] == "" ||
		$1 !~ ENVIRON["CORPUS_SKIP"])' "$1"
}

# corpus_marker_needles MANIFEST [SKIP]: each secret marker and its sha256;
# a marker stored base64-encoded (b64:) in its three base64 alignments
corpus_marker_needles() {
	_corpus_records "$1" "${2:-}" | cut -f3 | sort -u | while IFS= read -r _m; do
		case "$_m" in
		'') continue ;;
		b64:*)
			_m=${_m#b64:}
			printf '%s' "$_m" | base64 | cut -c1-10
			printf 'x%s' "$_m" | base64 | cut -c3-12
			printf 'xx%s' "$_m" | base64 | cut -c4-13
			;;
		*) echo "$_m" ;;
		esac
		printf '%s' "$_m" | sha256sum | cut -d' ' -f1
	done
}

# corpus_file_needles MANIFEST ROOT [SKIP]: the sha256 and git blob id of
# each listed file present under ROOT (its content is never stored verbatim)
corpus_file_needles() {
	_corpus_records "$1" "${3:-}" | cut -f1 | sort -u | while IFS= read -r _p; do
		[ -f "$2/$_p" ] || continue
		sha256sum <"$2/$_p" | cut -d' ' -f1
		git hash-object --no-filters "$2/$_p"
	done
}

# leaks FILE...: how many needles of $TMP/needles occur in FILEs
# (directories searched recursively); each one found is printed to stderr
leaks() {
	# one grep for all needles: -o prints each one found
	sort -u "$TMP/needles" | grep -v '^$' >"$TMP/needles.u"
	grep -raohF -f "$TMP/needles.u" "$@" 2>/dev/null | sort -u >"$TMP/found"
	sed 's/^/# leaked: /' "$TMP/found" >&2
	wc -l <"$TMP/found" | tr -d ' '
}
