#!/bin/sh
# test_man.sh BUILD_DIR: the man pages in man/ against the programs of
# BUILD_DIR/bin, so that no option goes undocumented:
#  - every option of turnserver's option table (its --help, which
#    src/common/config.c config_options[] writes) has a .TP entry naming it
#    in OPTIONS of turnserver(8), with its short flag, and in KEYS of
#    turnserver.conf(5); no entry there names an option that is not one;
#  - every flag in turnadmin's usage text has an entry in turnadmin(1);
#  - every turnutils_* program (src/client/turnutils_*.c) has a section in
#    turnutils(1), with an entry for every flag of its usage text;
#  - man -l renders each page with groff's warnings on (-ww) and none comes;
#  - make install-man puts them under DESTDIR/MANDIR/manN, where man finds
#    them, turnutils_* by name included.
# A failure names the option (or flag, or program) and the page it is
# missing from. Takes about a second.
# Prints one "PASS: name" or "FAIL: name" line per check.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$@"
root=$(cd "$(dirname "$0")/../.." && pwd)
man8=$root/man/turnserver.8
man5=$root/man/turnserver.conf.5
admin1=$root/man/turnadmin.1
utils1=$root/man/turnutils.1
# MAN_DISABLE_SECCOMP: man-db's sandbox fails in some containers
export LC_ALL=C.UTF-8 MANWIDTH=80 MANPAGER=cat PAGER=cat MAN_DISABLE_SECCOMP=1

# check NAME FILE: PASS when FILE is empty, else FAIL and every line of FILE
# (each names what is missing from which page)
check() {
	miss=$2
	tl_check "$1" '[ ! -s "$miss" ]' || sed 's/^/  | /' "$miss"
}

# tags PAGE SECTION [SUBSECTION]: the tag line of every .TP entry in .SH
# SECTION of PAGE (only in its .SS SUBSECTION when given), as plain text:
# font escapes and the quotes of macro arguments dropped, \- as -.
tags() {
	awk -v sh="$2" -v ss="$3" '
		/^\.SH / { in_sh = ($0 == ".SH " sh); in_ss = (ss == ""); next }
		/^\.SS / { if (ss != "") in_ss = ($0 == ".SS " ss); next }
		!in_sh || !in_ss { next }
		/^\.TP/ { tp = 1; next }
		tp {
			tp = 0
			l = $0
			sub(/^\.[BIR]+ /, "", l)
			gsub(/\\f[BIRP]/, "", l)
			gsub(/\\-/, "-", l)
			gsub(/"/, "", l)
			print l
		}
	' "$1"
}

# flag_tokens: the -x and --long flags in the text on stdin, one a line
flag_tokens() {
	grep -oE '(^|[^A-Za-z0-9_-])--?[A-Za-z][A-Za-z0-9_-]*' | sed 's/^[^-]*//' | sort -u
}

# has_flag FLAG TAGFILE: some tag in TAGFILE names FLAG as a word
has_flag() {
	tr ' ,=[]|' '\n\n\n\n\n\n' <"$2" | grep -qxF -- "$1"
}

# --- turnserver(8) and turnserver.conf(5) against the option table -------
tl_setup "turnserver --help runs" '"$bin/turnserver" --help >"$tmp/help" 2>&1' "$tmp/help"
# "  -p, --listening-port <port>  ..." lines of the option table section
sed -n '/^Options, also valid/,/^$/p' "$tmp/help" |
	sed -n 's/^ *\(-\([A-Za-z0-9]\), \)\{0,1\}--\([A-Za-z0-9_-]*\).*/\3 \2/p' >"$tmp/options"
count=$(sed -n 's/^#define CONFIG_OPTION_COUNT \([0-9]*\).*/\1/p' "$root/src/common/config_internal.h")
tl_setup "every option of the table read from --help ($count)" \
	'[ "$(wc -l <"$tmp/options")" -eq "${count:-0}" ]' "$tmp/options"

tags "$man8" OPTIONS >"$tmp/tags8" 2>/dev/null
tags "$man5" KEYS >"$tmp/tags5" 2>/dev/null
sed 's/^\([^=[ ]*\).*/\1/' "$tmp/tags5" >"$tmp/keys5"
: >"$tmp/miss8"
: >"$tmp/miss5"
# a missing page is one line, not one per option
[ -f "$man8" ] || echo "man/turnserver.8 does not exist" >"$tmp/miss8"
[ -f "$man5" ] || echo "man/turnserver.conf.5 does not exist" >"$tmp/miss5"
while read -r name short; do
	grep -E -- "(^|[ ,])--$name([=[ ]|$)" "$tmp/tags8" >"$tmp/entry"
	if [ ! -f "$man8" ]; then
		:
	elif [ ! -s "$tmp/entry" ]; then
		echo "turnserver(8) man/turnserver.8 has no OPTIONS entry for option --$name" >>"$tmp/miss8"
	elif [ -n "$short" ] && ! has_flag "-$short" "$tmp/entry"; then
		echo "turnserver(8) man/turnserver.8: the entry of --$name does not name its short flag -$short" >>"$tmp/miss8"
	fi
	[ ! -f "$man5" ] || grep -qxF -- "$name" "$tmp/keys5" ||
		echo "turnserver.conf(5) man/turnserver.conf.5 has no KEYS entry for option $name" >>"$tmp/miss5"
done <"$tmp/options"
# entries for options that are no longer (or not yet) in the table
cut -d' ' -f1 "$tmp/options" >"$tmp/names"
flag_tokens <"$tmp/tags8" | grep -- '^--' | sed 's/^--//' | grep -vxF -e help -e version |
	grep -vxF -f "$tmp/names" | sed 's/^/turnserver(8) man\/turnserver.8 documents --/; s/$/, which is not an option of turnserver --help/' >>"$tmp/miss8"
grep -vxF -f "$tmp/names" "$tmp/keys5" |
	sed 's/^/turnserver.conf(5) man\/turnserver.conf.5 documents key /; s/$/, which is not an option of turnserver --help/' >>"$tmp/miss5"
check "turnserver(8) has an entry for each of the $count options, with its short flag, and none other" "$tmp/miss8"
check "turnserver.conf(5) has a key entry for each of the $count options, and none other" "$tmp/miss5"

# --- turnadmin(1) against turnadmin's usage text --------------------------
tl_setup "turnadmin --help runs" '"$bin/turnadmin" --help >"$tmp/ahelp" 2>&1' "$tmp/ahelp"
{
	tags "$admin1" ACTIONS
	tags "$admin1" OPTIONS
} >"$tmp/tags1" 2>/dev/null
: >"$tmp/miss1"
[ -f "$admin1" ] || echo "man/turnadmin.1 does not exist" >"$tmp/miss1"
[ -f "$admin1" ] && for f in $(flag_tokens <"$tmp/ahelp"); do
	has_flag "$f" "$tmp/tags1" ||
		echo "turnadmin(1) man/turnadmin.1 has no ACTIONS or OPTIONS entry for flag $f" >>"$tmp/miss1"
done
check "turnadmin(1) has an entry for every flag of turnadmin --help ($(flag_tokens <"$tmp/ahelp" | wc -l))" "$tmp/miss1"

# --- turnutils(1): each program, each flag of its usage text --------------
: >"$tmp/missu"
progs=
for src in "$root"/src/client/turnutils_*.c; do
	p=$(basename "$src" .c)
	progs="$progs $p"
	if ! grep -qxF ".SS $p" "$utils1" 2>/dev/null; then
		echo "turnutils(1) man/turnutils.1 has no section (.SS $p) for program $p" >>"$tmp/missu"
		continue
	fi
	[ -x "$bin/$p" ] || {
		echo "$bin/$p is not built" >>"$tmp/missu"
		continue
	}
	timeout 10 "$bin/$p" -h >"$tmp/uhelp" 2>&1 </dev/null
	tags "$utils1" DESCRIPTION "$p" >"$tmp/tagsu"
	for f in $(flag_tokens <"$tmp/uhelp"); do
		has_flag "$f" "$tmp/tagsu" ||
			echo "turnutils(1) man/turnutils.1, section $p, has no entry for its flag $f" >>"$tmp/missu"
	done
done
check "turnutils(1) has a section for each program ($progs ) and an entry for each flag of its usage" "$tmp/missu"

# --- rendering ------------------------------------------------------------
for page in "$man8" "$man5" "$admin1" "$utils1"; do
	name=$(basename "$page" 2>/dev/null)
	man --warnings=w -l "$page" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	# shellcheck disable=SC2034 # in the condition tl_check evals
	title=$(sed -n 's/^\.TH \([^ ]*\) .*/\1/p' "$page" 2>/dev/null)
	tl_check "man -l $name renders without a warning" \
		'[ $rc -eq 0 ] && [ ! -s "$tmp/err" ] && grep -q "^$title(" "$tmp/out" && grep -q "^NAME" "$tmp/out"' "$tmp/err"
done

# --- make install-man ------------------------------------------------------
mk=$root/Makefile
[ -f "$mk" ] || mk=$root/Makefile.in
dest=$tmp/root
make -s -C "$root" -f "$mk" install-man PREFIX=/usr DESTDIR="$dest" >"$tmp/make" 2>&1
rc=$?
tl_check "make install-man installs turnserver.8, turnserver.conf.5, turnadmin.1, turnutils.1 under DESTDIR" \
	'[ $rc -eq 0 ] && [ -f "$dest/usr/share/man/man8/turnserver.8" ] && [ -f "$dest/usr/share/man/man5/turnserver.conf.5" ] && [ -f "$dest/usr/share/man/man1/turnadmin.1" ] && [ -f "$dest/usr/share/man/man1/turnutils.1" ]' "$tmp/make"
: >"$tmp/found"
for p in turnserver turnserver.conf turnadmin $progs; do
	MANPATH=$dest/usr/share/man man "$p" >"$tmp/out" 2>"$tmp/err" && [ ! -s "$tmp/err" ] && grep -q "^NAME" "$tmp/out" ||
		echo "man $p: not found or not rendered from DESTDIR" >>"$tmp/found"
done
check "man finds every installed page by name (turnutils_* included)" "$tmp/found"

exit $failed
