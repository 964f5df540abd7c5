# SPDX-License-Identifier: GPL-2.0
#
# Turn the test machine's console log into a verdict (POSIX awk: mawk is
# what a bare Debian has).
#   awk -v runlist=FILE [-v qemu_status=TEXT] [-v harness="CHECK..."] \
#       [-v checks="CHECK..."] -f parse.awk console.log
# runlist: the binaries that were meant to run, in order; harness: harness
# checks expected besides module_load, kernel_log_clean and module_unload
# (each fails if not reported, as they do); checks: the harness checks
# expected instead of those three (a pass in which vmw86 must not load). Prints one line per
# binary and harness check, then, last, "N passed, N failed[, N skipped]".
# Exits 0 only if nothing failed and at least one test binary passed a test.
#
# Console protocol (printed by scripts/testvm/lib.sh and init):
#   VMW86-TEST-BEGIN <name> timeout=<s>
#   ...the binary's own output: kselftest TAP...
#   VMW86-TEST-END <name> rc=<exit status> time=<s> [timeout|missing|stuck]
#   VMW86-RESULT ok|not ok <check> [# SKIP|detail]
#   VMW86-BADLOG <offending kernel log line>
#   VMW86-DONE
# Markers are found anywhere in a line (a kernel message may precede them);
# TAP lines count only at column 0, so indented or "#" sub-results do not.

function word(s) { sub(/^[ \t]+/, "", s); sub(/[ \t].*$/, "", s); return s }
function field(s, key,   p) {
	p = index(s, " " key "=")
	if (!p) return ""
	return word(substr(s, p + length(key) + 2))
}
function is_skip(s,   p) {
	p = index(s, "#")
	return p && tolower(substr(s, p + 1)) ~ /^[ \t]*skip/
}

BEGIN {
	nbin = 0
	while ((getline l < runlist) > 0) {
		n = word(l)
		if (n == "" || n ~ /^#/) continue
		bins[++nbin] = n
	}
	close(runlist)
	if (checks == "") checks = "module_load kernel_log_clean module_unload"
	nh = split(checks " " harness, hnames, " ")
	cur = ""
}

{ sub(/\r$/, "") }

index($0, "VMW86-INIT ") { booted = 1 }
index($0, "VMW86-DONE") { done = 1 }

index($0, "VMW86-TEST-BEGIN ") {
	s = substr($0, index($0, "VMW86-TEST-BEGIN ") + 17)
	# Results are kept per run of a name (key name SUBSEP k): run_list
	# may name a binary twice.
	n = word(s)
	cur = n SUBSEP (++runs[n])
	began[cur] = 1; plan[cur] = -1
	tmo[cur] = field(" " s, "timeout")
	next
}

index($0, "VMW86-TEST-END ") {
	s = substr($0, index($0, "VMW86-TEST-END ") + 15)
	n = word(s)
	n = n SUBSEP runs[n]
	ended[n] = 1
	rc[n] = field(" " s, "rc") + 0
	secs[n] = field(" " s, "time")
	note[n] = match(s, / (timeout|missing|stuck)[ \t]*$/) ? word(substr(s, RSTART)) : ""
	cur = ""
	next
}

index($0, "VMW86-RESULT ") {
	s = substr($0, index($0, "VMW86-RESULT ") + 13)
	ok = (s ~ /^ok /)
	sub(/^(not )?ok /, "", s)
	n = word(s)
	if (!(n in hres)) { hord[++nhx] = n }
	hres[n] = is_skip(s) ? "skip" : ok ? "pass" : "fail"
	p = index(s, "#")
	hwhy[n] = p ? substr(s, p + 1) : ""
	sub(/^[ \t]+/, "", hwhy[n])
	next
}

index($0, "VMW86-BADLOG ") {
	if (nbad < 10) bad[++nbad] = substr($0, index($0, "VMW86-BADLOG ") + 13)
	next
}

cur != "" && /^1\.\.[0-9]+/ {
	plan[cur] = substr($0, 4) + 0
	if (plan[cur] == 0 && is_skip($0)) skipall[cur] = 1
	next
}

cur != "" && /^(not )?ok [0-9]+/ {
	if (is_skip($0)) sk[cur]++
	else if ($0 ~ /^ok/) ps[cur]++
	else {
		fl[cur]++
		if (fl[cur] <= 5) fnames[cur] = fnames[cur] " [" substr($0, 8) "]"
	}
	next
}

cur != "" && /^Bail out!/ { bail[cur] = 1 }

END {
	for (i = 1; i <= nbin; i++) {
		name = bins[i]
		n = name SUBSEP (++seen[name])
		p = ps[n] + 0; f = fl[n] + 0; s = sk[n] + 0
		why = ""
		if (!(n in began)) {
			why = booted ? "never started" : "test machine never reached init"
			f = 1
		} else {
			got = p + f + s
			if (plan[n] < 0 && got == 0 && ended[n] == 1 && rc[n] == 4)
				s = 1	# ksft_exit_skip() before any plan
			else if (plan[n] < 0 && got == 0)
				why = "no TAP results"
			if (ended[n] != 1)
				why = "did not finish (test machine died or run timed out)"
			else if (note[n] == "missing")
				why = "binary missing from the initramfs"
			else if (note[n] == "stuck")
				why = "stuck in the kernel after the " tmo[n] " s timeout: SIGKILL had no effect"
			else if (note[n] == "timeout")
				why = "killed by the " tmo[n] " s timeout"
			else if (rc[n] >= 128)
				why = "killed by signal " (rc[n] - 128)
			else if (rc[n] != 0 && rc[n] != 4 && f == 0)
				why = "exit status " rc[n] " but no failed result"
			if (bail[n] && why == "") why = "bailed out"
			if (plan[n] > got) {
				f += plan[n] - got
				why = why (why == "" ? "" : "; ") (plan[n] - got) " of " plan[n] " planned results missing"
			}
			if (why != "" && f == 0) f = 1
		}
		st = f ? "FAIL" : p ? "PASS" : "SKIP"
		line = sprintf("  %-4s %-28s %3d passed, %d failed, %d skipped", st, name, p, f, s)
		if (ended[n] == 1 && note[n] != "missing") line = line sprintf(" (rc=%d, %ss)", rc[n], secs[n])
		print line
		if (why != "") print "         " why
		if (fnames[n] != "") print "         failed:" fnames[n] (fl[n] > 5 ? " ..." : "")
		P += p; F += f; S += s; BP += p
	}
	# Harness checks: the expected ones in order, then any others seen.
	for (i = 1; i <= nh; i++) { hall[++nha] = hnames[i]; known[hnames[i]] = 1 }
	for (i = 1; i <= nhx; i++) if (!(hord[i] in known)) hall[++nha] = hord[i]
	for (i = 1; i <= nha; i++) {
		n = hall[i]
		r = (n in hres) ? hres[n] : "fail"
		why = (n in hres) ? hwhy[n] : "not reported (test machine did not get there)"
		if (r == "pass") P++; else if (r == "fail") F++; else S++
		printf "  %-4s %s%s\n", r == "pass" ? "ok" : r == "fail" ? "FAIL" : "SKIP", n, why == "" ? "" : "  # " why
	}
	for (i = 1; i <= nbad; i++) print "         kernel log: " bad[i]
	if (!done) print "  test machine did not finish" (qemu_status != "" ? ": " qemu_status : "")
	if (nbin == 0) print "  no test binaries in run_list"
	else if (BP == 0) print "  no test binary passed a test"
	printf "%d passed, %d failed", P, F
	if (S) printf ", %d skipped", S
	printf "\n"
	exit (F == 0 && BP > 0) ? 0 : 1
}
