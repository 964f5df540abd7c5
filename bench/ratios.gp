# SPDX-License-Identifier: GPL-2.0
#
# The chart of a "make bench" run: one bar per figure from 1 to the ratio
# vmw86/KVM of the medians, with the range of the per-round ratios. Green
# where vmw86 did better, red where KVM did. Log scale, so that "twice as
# slow" and "twice as fast" are bars of the same length.
#
# usage: gnuplot -e "dat='X.dat'; png='X.png'; title='...'" bench/ratios.gp
# X.dat (bench/report.awk): label ratio ratio_min ratio_max vmw86_better

set terminal pngcairo size 1200,540 font "sans,10"
set output png
set title title noenhanced
set ylabel "vmw86 / KVM (log scale)"
set logscale y 2
set grid ytics
set xtics rotate by 0 noenhanced
set key off
set style fill solid 0.6 border -1
stats dat using 2:4 nooutput
set yrange [(STATS_min_x < 0.5 ? STATS_min_x * 0.8 : 0.4):(STATS_max_y > 2.5 ? STATS_max_y * 1.25 : 2.5)]
set xrange [-0.6:STATS_records - 0.4]
set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 2 lc rgb "black"

plot dat using 0:2:($0 - 0.35):($0 + 0.35):(1):2:($5 > 0 ? 0x33aa33 : 0xcc3333):xtic(1) \
	with boxxyerror lc rgb variable, \
     dat using 0:2:3:4 with yerrorbars lc rgb "black" pt 0, \
     dat using 0:($2 > 1 ? $2 * 1.12 : $2 / 1.12):($2 < 0.1 ? sprintf("%.3f", $2) : sprintf("%.2f", $2)) \
	with labels font ",9"
