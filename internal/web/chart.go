// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package web

import (
	"fmt"
	"html"
	"html/template"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode/utf8"
)

// Chart is a horizontal bar chart drawn server-side as SVG: no script, one
// row per category. A row with one value is a plain bar; a row with several
// is a stacked bar whose segments are the Series. With Percent, every row
// fills the whole width and shows shares rather than amounts (the "how far
// along" view: password changes done per profile, charter accepted per
// profile).
//
// Templates draw it with {{chart .Data.SomeChart}}. The output is
// accessible: an <svg role="img"> whose <title> is Title and whose <desc>
// states every figure, followed by the same figures as a table (in a
// <details>, for keyboard and screen-reader users and for copying).
// Colours come from the --chart-N variables of preau.css, chosen for WCAG
// 1.4.11 contrast on the light and dark backgrounds; segments are separated
// by a gap, so adjacent colours need no contrast between themselves.
//
// Labels are shown as given: handlers translate them (web.T) before
// building the chart. A chart whose values are all zero draws Empty (or a
// generic "no data yet") instead of empty bars.
type Chart struct {
	Title   string
	Desc    string   // one sentence on what the chart shows; the figures are appended
	Series  []string // the name of each value of a row; one name or none for plain bars
	Rows    []ChartRow
	Percent bool   // rows show shares of their total
	Empty   string // shown when there is nothing to draw
}

// ChartRow is one category of a chart.
type ChartRow struct {
	Label  string
	Values []int // one per series; negative values count as 0
}

// Bars returns a plain bar chart of one value per label.
func Bars(title, desc string, labels []string, values []int) Chart {
	c := Chart{Title: title, Desc: desc}
	for i, l := range labels {
		v := 0
		if i < len(values) {
			v = values[i]
		}
		c.Rows = append(c.Rows, ChartRow{Label: l, Values: []int{v}})
	}
	return c
}

// Total returns the sum of a row's values.
func (r ChartRow) Total() int {
	t := 0
	for _, v := range r.Values {
		t += max(v, 0)
	}
	return t
}

// IsEmpty reports whether the chart has nothing to draw.
func (c Chart) IsEmpty() bool {
	for _, r := range c.Rows {
		if r.Total() > 0 {
			return false
		}
	}
	return true
}

// chartPalette is the fallback fill of each series when the stylesheet is
// not applied (the classes chart-s0… take theirs from preau.css). Each has a
// contrast of at least 4.5:1 on white.
var chartPalette = []string{"#1554a0", "#a34700", "#1b6b35", "#6b3fa0", "#505a67", "#b3261e"}

// chartSeq numbers charts so that several on one page have distinct ids.
var chartSeq atomic.Uint64

// Chart geometry, in SVG user units (the SVG scales to its container).
const (
	chartWidth  = 480
	chartLabelW = 160 // left column: the row labels
	chartValueW = 70  // right column: the figures
	chartRowH   = 34
	chartBarH   = 22
	chartLegend = 28
	chartLabelN = 18 // label characters before an ellipsis (the table has them whole)
)

// renderChart draws c in language lang (digit grouping and the fixed
// wording of the table come from cat).
func renderChart(c Chart, cat *catalog, lang string) template.HTML {
	esc := html.EscapeString
	num := func(n int) string { return formatNumber(int64(n), lang) }
	pct := func(v, total int) string {
		if total == 0 {
			return "0\u00a0%"
		}
		p := float64(v) * 100 / float64(total)
		s := strconv.FormatFloat(p, 'f', 0, 64)
		if lang == LangFR {
			return s + "\u00a0%"
		}
		return s + "%"
	}
	var b strings.Builder
	b.WriteString(`<figure class="chart">`)
	if c.IsEmpty() {
		empty := c.Empty
		if empty == "" {
			empty = cat.T(lang, "web.chart.empty")
		}
		fmt.Fprintf(&b, `<figcaption class="chart-title">%s</figcaption><p class="chart-empty muted">%s</p></figure>`,
			esc(c.Title), esc(empty))
		return template.HTML(b.String())
	}
	id := "chart-" + strconv.FormatUint(chartSeq.Add(1), 10)
	stacked := len(c.Series) > 1
	// The figures in words, for the <desc> that assistive technology reads.
	var words []string
	for _, r := range c.Rows {
		total := r.Total()
		if !stacked {
			w := r.Label + ": " + num(total)
			words = append(words, w)
			continue
		}
		var parts []string
		for i, v := range r.Values {
			if i < len(c.Series) {
				p := c.Series[i] + " " + num(max(v, 0))
				if c.Percent {
					p += " (" + pct(max(v, 0), total) + ")"
				}
				parts = append(parts, p)
			}
		}
		words = append(words, r.Label+": "+strings.Join(parts, ", "))
	}
	desc := strings.TrimSpace(c.Desc + " " + strings.Join(words, "; ") + ".")

	// The scale: the largest total, or 100 % of each row.
	maxTotal := 0
	for _, r := range c.Rows {
		maxTotal = max(maxTotal, r.Total())
	}
	top := 0
	if stacked {
		top = chartLegend
	}
	height := top + len(c.Rows)*chartRowH + 6
	barW := float64(chartWidth - chartLabelW - chartValueW)
	fmt.Fprintf(&b, `<figcaption class="chart-title">%s</figcaption>`, esc(c.Title))
	fmt.Fprintf(&b, `<svg class="chart-svg" role="img" aria-labelledby="%s-title" aria-describedby="%s-desc" viewBox="0 0 %d %d" width="100%%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">`,
		id, id, chartWidth, height)
	fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, id, esc(c.Title), id, esc(desc))
	if stacked {
		x := float64(chartLabelW)
		for i, s := range c.Series {
			fmt.Fprintf(&b, `<rect class="chart-s%d" x="%.1f" y="6" width="14" height="14" rx="2" fill="%s"/>`,
				i%len(chartPalette), x, chartPalette[i%len(chartPalette)])
			fmt.Fprintf(&b, `<text class="chart-text" x="%.1f" y="18" font-size="13" fill="#1a1d23">%s</text>`, x+20, esc(s))
			x += 20 + float64(utf8.RuneCountInString(s))*7.5 + 24
		}
	}
	for i, r := range c.Rows {
		y := top + i*chartRowH
		label := r.Label
		if utf8.RuneCountInString(label) > chartLabelN {
			label = string([]rune(label)[:chartLabelN-1]) + "…"
		}
		fmt.Fprintf(&b, `<text class="chart-text" x="%d" y="%d" text-anchor="end" font-size="14" fill="#1a1d23">%s</text>`,
			chartLabelW-10, y+chartBarH/2+8, esc(label))
		total := r.Total()
		scale := barW / float64(max(maxTotal, 1))
		if c.Percent {
			scale = barW / float64(max(total, 1))
		}
		x := float64(chartLabelW)
		for j, v := range r.Values {
			w := float64(max(v, 0)) * scale
			if w <= 0 {
				continue
			}
			// A 2-unit gap between segments keeps them apart whatever their colours.
			gap := 0.0
			if j > 0 && x > float64(chartLabelW) {
				gap = 2
			}
			fmt.Fprintf(&b, `<rect class="chart-s%d" x="%.1f" y="%d" width="%.1f" height="%d" rx="2" fill="%s"/>`,
				j%len(chartPalette), x+gap, y+4, max(w-gap, 1), chartBarH, chartPalette[j%len(chartPalette)])
			x += w
		}
		figure := num(total)
		if c.Percent && stacked && len(r.Values) > 0 {
			figure = pct(max(r.Values[0], 0), total)
		}
		fmt.Fprintf(&b, `<text class="chart-text chart-figure" x="%.1f" y="%d" font-size="14" fill="#1a1d23">%s</text>`,
			x+8, y+chartBarH/2+8, esc(figure))
	}
	b.WriteString(`</svg>`)

	// The same figures as a table.
	fmt.Fprintf(&b, `<details class="chart-data"><summary>%s</summary><div class="table-wrap"><table><caption>%s</caption><thead><tr><th scope="col">%s</th>`,
		esc(cat.T(lang, "web.chart.table")), esc(c.Title), esc(cat.T(lang, "web.chart.category")))
	series := c.Series
	if len(series) == 0 {
		series = []string{cat.T(lang, "web.chart.value")}
	}
	for _, s := range series {
		fmt.Fprintf(&b, `<th scope="col" class="num">%s</th>`, esc(s))
	}
	if stacked {
		fmt.Fprintf(&b, `<th scope="col" class="num">%s</th>`, esc(cat.T(lang, "web.chart.total")))
	}
	b.WriteString(`</tr></thead><tbody>`)
	for _, r := range c.Rows {
		fmt.Fprintf(&b, `<tr><th scope="row">%s</th>`, esc(r.Label))
		total := r.Total()
		for i := range series {
			v := 0
			if i < len(r.Values) {
				v = max(r.Values[i], 0)
			}
			cell := num(v)
			if c.Percent && stacked {
				cell += " (" + pct(v, total) + ")"
			}
			fmt.Fprintf(&b, `<td class="num">%s</td>`, esc(cell))
		}
		if stacked {
			fmt.Fprintf(&b, `<td class="num">%s</td>`, esc(num(total)))
		}
		b.WriteString(`</tr>`)
	}
	b.WriteString(`</tbody></table></div></details></figure>`)
	return template.HTML(b.String())
}
