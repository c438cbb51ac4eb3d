// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package pictureweb

import (
	"fmt"
	"html/template"
	"strings"

	"github.com/boombuler/barcode/qr"
)

// qrQuiet is the margin around a QR code, in modules (ISO/IEC 18004 asks
// for 4).
const qrQuiet = 4

// qrSVG draws content as a QR code (error correction M) in SVG: dark
// modules as one path on a white square, so that it prints sharp and needs
// no image request. It is hidden from assistive technologies: pages show
// the address it holds as text beside it.
func qrSVG(content string) (template.HTML, error) {
	code, err := qr.Encode(content, qr.M, qr.Auto)
	if err != nil {
		return "", fmt.Errorf("drawing the QR code of %s: %w", content, err)
	}
	b := code.Bounds()
	size := b.Dx() + 2*qrQuiet
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" class="pic-qr-svg" `+
		`aria-hidden="true" focusable="false" shape-rendering="crispEdges">`+
		`<rect width="%d" height="%d" fill="#ffffff"/><path fill="#000000" d="`, size, size, size, size)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, _, _, _ := code.At(x, y).RGBA(); r < 0x8000 {
				fmt.Fprintf(&sb, "M%d %dh1v1h-1z", x-b.Min.X+qrQuiet, y-b.Min.Y+qrQuiet)
			}
		}
	}
	sb.WriteString(`"/></svg>`)
	return template.HTML(sb.String()), nil
}
