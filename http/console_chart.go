package http

import (
	"fmt"
	"strings"

	"github.com/wardhq/ward/http/html"
)

// Server-side SVG charts: the handlers compute coordinates, the template
// draws them. Nothing user-supplied reaches an attribute but numbers and
// escaped labels.

const (
	chartW, chartH                 = 720, 260
	chartL, chartR, chartT, chartB = 48.0, 708.0, 16.0, 228.0
	chartXLabelY, chartYLabelX     = 246.0, 42.0
)

// lineChart draws ratios (0–1) per X label, one polyline per series, with
// a dashed target line when target > 0. A NaN value is a gap.
func lineChart(title string, xlabels []string, names []string, values [][]float64, target float64) html.Chart {
	ch := html.Chart{Width: chartW, Height: chartH, Left: chartL, Right: chartR, Top: chartT, Bottom: chartB, Title: title}
	if len(xlabels) == 0 || len(values) == 0 {
		ch.Empty = true
		return ch
	}
	// The Y axis spans from the lowest value (or the target) to 100%.
	lo := 1.0
	if target > 0 {
		lo = target
	}
	for _, vs := range values {
		for _, v := range vs {
			if v == v && v < lo {
				lo = v
			}
		}
	}
	lo = float64(int(lo*10)) / 10 // down to a 10% step
	if lo >= 1 {
		lo = 0.9
	}
	y := func(v float64) float64 { return chartB - (v-lo)/(1-lo)*(chartB-chartT) }
	x := func(i int) float64 {
		if len(xlabels) == 1 {
			return (chartL + chartR) / 2
		}
		return chartL + 12 + float64(i)*(chartR-chartL-24)/float64(len(xlabels)-1)
	}
	for v := lo; v <= 1.0001; v += (1 - lo) / 4 {
		ch.YLabels = append(ch.YLabels, html.Label{X: chartYLabelX, Y: y(v), Text: fmt.Sprintf("%.0f%%", v*100)})
	}
	step := 1 + len(xlabels)/10
	for i, l := range xlabels {
		if i%step == 0 {
			ch.XLabels = append(ch.XLabels, html.Label{X: x(i), Y: chartXLabelY, Text: l})
		}
	}
	if target > 0 {
		ch.TargetY = y(target)
	}
	for si, vs := range values {
		s := html.Series{Name: names[si], Class: fmt.Sprintf("s%d", si%6)}
		var pts []string
		for i, v := range vs {
			if v != v {
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(v)))
			s.Dots = append(s.Dots, html.Point{X: x(i), Y: y(v), Title: fmt.Sprintf("%s, %s: %.1f%%", names[si], xlabels[i], v*100)})
		}
		s.Points = strings.Join(pts, " ")
		ch.Series = append(ch.Series, s)
	}
	return ch
}

// barChart draws one bar per label.
func barChart(title string, labels []string, values []float64, class, unit string) html.Chart {
	ch := html.Chart{Width: chartW, Height: chartH, Left: chartL, Right: chartR, Top: chartT, Bottom: chartB, Title: title}
	max := 0.0
	for _, v := range values {
		if v > max {
			max = v
		}
	}
	if len(values) == 0 || max == 0 {
		ch.Empty = true
		return ch
	}
	slot := (chartR - chartL) / float64(len(values))
	for i, v := range values {
		h := v / max * (chartB - chartT)
		x := chartL + float64(i)*slot
		ch.Bars = append(ch.Bars, html.Bar{X: x + slot*0.15, Y: chartB - h, W: slot * 0.7, H: h, Class: class,
			Title: fmt.Sprintf("%s: %.4g%s", labels[i], v, unit)})
		if step := 1 + len(labels)/10; i%step == 0 {
			ch.XLabels = append(ch.XLabels, html.Label{X: x + slot/2, Y: chartXLabelY, Text: labels[i]})
		}
	}
	for _, f := range []float64{0, 0.5, 1} {
		ch.YLabels = append(ch.YLabels, html.Label{X: chartYLabelX, Y: chartB - f*(chartB-chartT), Text: fmt.Sprintf("%.3g", f*max)})
	}
	return ch
}
