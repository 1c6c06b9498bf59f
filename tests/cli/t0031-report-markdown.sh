#!/bin/sh
# Markdown at fleet scale renders as GitHub and GitLab render it (issue
# 16): a 1,000-host report with 500 facts each on three hosts
# (tests/tools/mkreport) stays under 60,000 characters, and cmark-gfm (the
# GFM reference renderer, as GitHub's comments use it, raw HTML allowed as
# GitHub allows <details> and <br>) gives the summary table, then one
# table of groups whose every row has its five cells, a folded <details>
# per majority run, the cut said after the table, and no element from a
# value.
. "$(dirname "$0")/test-lib.sh"
need_tool python3 cmark-gfm

if [ -z "${ENVDRIFT_MKREPORT:-}" ]; then
	echo "# skipped: needs ENVDRIFT_MKREPORT (make cli-test sets it)"
	check "skipped" true
	finish
	exit $?
fi
"$ENVDRIFT_MKREPORT" 1000 500 markdown >"$TMP/r.md"
n=$(wc -c <"$TMP/r.md")
expect_eq "1,000 hosts, 500 groups: at most 60,000 characters ($n)" 1 "$([ "$n" -le 60000 ] && echo 1)"
expect_grep "the cut is said" "^\*\.\.\. and [0-9]+ more rows: see the full report" "$TMP/r.md"
check "cmark-gfm renders it" cmark-gfm --unsafe -e table -e autolink -e strikethrough "$TMP/r.md"
cp "$TMP/out" "$TMP/r.html"
python3 - "$TMP/r.html" >"$TMP/shape" <<'EOF'
import sys
from html.parser import HTMLParser

class Shape(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.tables, self.rows, self.cells = [], [], 0, []
        self.details_in_cells, self.scripts, self.after_last_table = 0, 0, ""
        self.in_table = 0
    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.in_table += 1
            self.tables.append([])
        elif tag == "tr" and self.in_table:
            self.tables[-1].append(0)
        elif tag in ("td", "th") and self.in_table:
            self.tables[-1][-1] += 1
        elif tag == "details" and self.in_table:
            self.details_in_cells += 1
        elif tag == "script":
            self.scripts += 1
    def handle_endtag(self, tag):
        if tag == "table":
            self.in_table -= 1
    def handle_data(self, data):
        if not self.in_table and self.tables:
            self.after_last_table += data

p = Shape()
p.feed(open(sys.argv[1]).read())
print("tables", len(p.tables))
print("summary_cells", sorted(set(p.tables[0])))
print("group_rows", len(p.tables[-1]) - 1)
print("group_cells", sorted(set(p.tables[-1])))
print("details", p.details_in_cells)
print("scripts", p.scripts)
print("cut_after_table", int("more rows: see the full report" in p.after_last_table))
EOF
sed 's/^/# /' "$TMP/shape"
s() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "$TMP/shape"; }
expect_eq "two tables: the summary, then the groups" 2 "$(s tables)"
expect_eq "the summary's rows have five cells" "[5]" "$(s summary_cells)"
expect_eq "every group row has its five cells" "[5]" "$(s group_cells)"
rows=$(s group_rows)
expect_eq "the rows kept are the markdown's rows" "$(grep -c '^| warning \|^| \*\*critical' "$TMP/r.md")" "$rows"
expect_eq "each row folds its long runs into <details>" 1 "$([ "$(s details)" -ge "$rows" ] && echo 1)"
expect_grep "worst first: the critical row is kept by the cut" "^\| \*\*critical\*\* \| packages:openssl:amd64 changed" "$TMP/r.md"
expect_eq "no element from a value (the <script> banner is text)" 0 "$(s scripts)"
expect_eq "the cut is said after the table" 1 "$(s cut_after_table)"
finish
