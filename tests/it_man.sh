#!/bin/bash
# The man pages render without a single mandoc warning, and dirmail(8)
# documents exactly the commands `dirmail --help` offers.
set -eu
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

mandoc=${MANDOC:-mandoc}
command -v "$mandoc" >/dev/null || fail "mandoc not installed: apt-get install mandoc"
for page in agent/dirmail.8 conf/dirmail.conf.5; do
	out=$("$mandoc" -T lint -W warning "$top_srcdir/$page" 2>&1) || true
	assert_eq "$out" "" "mandoc -T lint of $page"
	pass "$page renders without warnings"
done

help=$(dirmail --help)
cmds=$(printf '%s\n' "$help" | sed -n '/^commands:/,/^$/p' | awk 'NF && !/^commands:/ {print $1}' | sort)
[ -n "$cmds" ] || fail "--help lists no commands"
documented=$(sed -n '/^\.Sh COMMANDS/,/^\.Sh /p' "$top_srcdir/agent/dirmail.8" | sed -n 's/^\.It Cm \([a-z-]*\).*/\1/p' | sort -u)
assert_eq "$documented" "$cmds" "commands in dirmail.8 vs --help"
pass "dirmail.8 documents every command of --help: $(echo $cmds)"
