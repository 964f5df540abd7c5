# SPDX-License-Identifier: GPL-2.0
#
# Turn the test machine's console log of a "make bench" run into the report:
# a Markdown table (also printed on stdout), the same table as CSV, and the
# ratios as data for gnuplot (bench/ratios.gp).
#
# usage: awk -v md=OUT.md -v csv=OUT.csv -v dat=OUT.dat \
#            -v title="..." -v meta="line|line|..." -f report.awk CONSOLE.log
#
# Reads the "VMW86-BENCH" lines of bench/vmw86-bench.c and the harness's
# "VMW86-TEST-END" and "VMW86-RESULT" lines (scripts/testvm/lib.sh). Every
# figure gets, per hypervisor, the median and the range (min to max) of its
# rounds, and the ratio vmw86/KVM of the medians with the range of the
# per-round ratios (each round measures both, one after the other). Exit
# status 0 only for a complete, error-free run with a clean kernel log.

function fmt(v, a) {
	if (v == "")
		return "-"
	a = v < 0 ? -v : v
	if (a >= 1000 || v == int(v))
		return sprintf("%.0f", v)
	if (a >= 100)
		return sprintf("%.1f", v)
	if (a >= 10)
		return sprintf("%.2f", v)
	return sprintf("%.3f", v)
}

# Sorts a[1..n] in place (mawk has no asort; n is a handful of rounds).
function isort(a, n,    i, j, t) {
	for (i = 2; i <= n; i++) {
		t = a[i]
		for (j = i - 1; j >= 1 && a[j] > t; j--)
			a[j + 1] = a[j]
		a[j + 1] = t
	}
}

# Median, min and max of the values in list (space separated) into st[].
function stats(list, st,    v, n, i) {
	n = split(list, v, " ")
	st["n"] = n
	if (n == 0) {
		st["med"] = st["min"] = st["max"] = ""
		return
	}
	for (i = 1; i <= n; i++)
		v[i] += 0
	isort(v, n)
	st["min"] = v[1]
	st["max"] = v[n]
	st["med"] = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}

# Display width: UTF-8 continuation bytes take no column.
function width(s) {
	gsub(/[\200-\277]/, "", s)
	return length(s)
}

function pad(s, w) {
	while (width(s) < w)
		s = s " "
	return s
}

# Collect table rows first, so that columns can be aligned.
function row(line,    n, c, i) {
	nrows++
	n = split(line, c, "\t")
	ncells[nrows] = n
	for (i = 1; i <= n; i++) {
		cell[nrows, i] = c[i]
		if (width(c[i]) > colw[i])
			colw[i] = width(c[i])
	}
}

function print_rows(    r, i, s, dash) {
	for (r = 1; r <= nrows; r++) {
		s = "|"
		for (i = 1; i <= ncells[r]; i++)
			s = s " " pad(cell[r, i], colw[i]) " |"
		out(s)
		if (r == 1) {
			s = "|"
			for (i = 1; i <= ncells[r]; i++) {
				dash = ""
				while (length(dash) < colw[i] + 2)
					dash = dash "-"
				s = s dash "|"
			}
			out(s)
		}
	}
	nrows = 0
	split("", colw)
}

function out(s) {
	print s
	print s > md
}

# The rest of the line after the first n fields.
function rest(n,    s, i) {
	s = $0
	for (i = 1; i <= n; i++)
		sub(/^[ \t]*[^ \t]+[ \t]*/, "", s)
	return s
}

{
	sub(/\r$/, "")
	# A kernel message may precede a marker on the same console line.
	if ((i = index($0, "VMW86-")) > 1)
		$0 = substr($0, i)
}

$1 == "VMW86-BENCH" && $2 == "begin" { begun = 1; rounds = $3; sub(/.*=/, "", rounds) }
$1 == "VMW86-BENCH" && $2 == "end" { ended = 1 }
$1 == "VMW86-BENCH" && $2 == "figure" {
	nfig++
	fid[nfig] = $3
	fkey[nfig] = $4
	fbetter[nfig] = $5
	funit[nfig] = $6
	ftitle[nfig] = rest(6)
}
$1 == "VMW86-BENCH" && $2 == "later" { nlater++; later[nlater] = rest(2) }
# Round 0 warms up (vmw86-bench.c): its samples are not counted.
$1 == "VMW86-BENCH" && $2 == "sample" && $5 > 0 {
	# hv key round value
	val[$3, $4, $5] = $6
	list[$3, $4] = list[$3, $4] " " $6
	if ($5 > maxround)
		maxround = $5
}
# The same note in several rounds is one line, with its rounds ("all":
# one for the whole run).
$1 == "VMW86-BENCH" && $2 == "note" && $5 > 0 {
	t = $3 " " $4 ": " rest(5)
	if (!(t in noterounds)) {
		nnotes++
		notes[nnotes] = t
		noterounds[t] = $5
	} else {
		noterounds[t] = noterounds[t] "," $5
	}
}
$1 == "VMW86-BENCH" && $2 == "error" {
	nerr++
	errs[nerr] = $3 " " $4 " round " $5 ": " rest(5)
}
$1 == "VMW86-TEST-END" && $2 == "vmw86-bench" { testend = $0; rc = $3; sub(/rc=/, "", rc) }
$1 == "VMW86-RESULT" { results = results "\n- " rest(1) }

END {
	ok = begun && ended && rc == "0" && !nerr && results !~ /not ok/

	printf "" > md
	out("# " title)
	out("")
	n = split(meta, m, "|")
	for (i = 1; i <= n; i++)
		out("- " m[i])
	out("- rounds: " rounds " after a warm-up round, alternating which " \
	    "hypervisor goes first; each cell: median [min, max] of the rounds")
	out("")

	print "id,key,figure,unit,better,vmw86_median,vmw86_min,vmw86_max,vmw86_n," \
	      "kvm_median,kvm_min,kvm_max,kvm_n,ratio,ratio_min,ratio_max" > csv
	printf "" > dat
	row("#\tfigure\tunit\tvmw86\tKVM\tvmw86/KVM [per round]\tbetter")
	for (f = 1; f <= nfig; f++) {
		k = fkey[f]
		stats(list["vmw86", k], a)
		stats(list["kvm", k], b)
		# Per-round ratios: both hypervisors measured in that round.
		rl = ""
		for (r = 1; r <= maxround; r++)
			if (("vmw86", k, r) in val && ("kvm", k, r) in val && val["kvm", k, r] != 0)
				rl = rl " " val["vmw86", k, r] / val["kvm", k, r]
		stats(rl, q)
		ratio = (a["n"] && b["n"] && b["med"] != 0) ? a["med"] / b["med"] : ""
		ca = a["n"] ? fmt(a["med"]) " [" fmt(a["min"]) ", " fmt(a["max"]) "]" : "failed"
		cb = b["n"] ? fmt(b["med"]) " [" fmt(b["min"]) ", " fmt(b["max"]) "]" : "failed"
		cr = ratio == "" ? "-" : sprintf("%.2f", ratio)
		if (q["n"] > 1)
			cr = cr sprintf(" [%.2f, %.2f]", q["min"], q["max"])
		row(fid[f] "\t" ftitle[f] "\t" funit[f] "\t" ca "\t" cb "\t" cr "\t" fbetter[f])
		printf "%s,%s,\"%s\",%s,%s,%s,%s,%s,%d,%s,%s,%s,%d,%s,%s,%s\n", \
		       fid[f], k, ftitle[f], funit[f], fbetter[f], a["med"], a["min"], \
		       a["max"], a["n"], b["med"], b["min"], b["max"], b["n"], \
		       ratio, q["min"], q["max"] > csv
		if (ratio != "") {
			# gnuplot: x label, ratio, range, and 1 where vmw86 does better.
			good = (fbetter[f] == "lower") ? ratio <= 1 : ratio >= 1
			printf "%s %g %g %g %d\n", fid[f], ratio, \
			       q["n"] ? q["min"] : ratio, q["n"] ? q["max"] : ratio, \
			       good > dat
		}
	}
	for (i = 1; i <= nlater; i++) {
		split(later[i], w, " ")
		row(w[1] "\t" substr(later[i], length(w[1]) + 2) "\t\t\t\t\t")
		printf "%s,,\"%s\",,,,,,0,,,,0,,,\n", w[1], \
		       substr(later[i], length(w[1]) + 2) > csv
	}
	print_rows()
	out("")
	out("A ratio above 1 means vmw86 took more of the unit than KVM: worse " \
	    "where lower is better, better where higher is better.")

	if (nnotes) {
		out("")
		out("Notes:")
		for (i = 1; i <= nnotes; i++)
			out("- " notes[i] (noterounds[notes[i]] == "all" ? "" : \
			    " (rounds " noterounds[notes[i]] ")"))
	}
	if (nerr) {
		out("")
		out("Errors:")
		for (i = 1; i <= nerr; i++)
			out("- " errs[i])
	}
	out("")
	out("Samples, in round order:")
	out("")
	row("key\thypervisor\tvalues")
	for (f = 1; f <= nfig; f++)
		for (h = 1; h <= 2; h++) {
			hv = h == 1 ? "vmw86" : "kvm"
			s = ""
			for (r = 1; r <= maxround; r++)
				s = s ((hv, fkey[f], r) in val ? fmt(val[hv, fkey[f], r]) : "-") " "
			row(fkey[f] "\t" hv "\t" s)
		}
	print_rows()
	out("")
	out("Test machine: " (testend == "" ? "vmw86-bench did not finish" : testend) results)
	if (!ok)
		out("**The run was not clean: see the errors and results above.**")
	exit !ok
}
