// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package backup

import (
	"fmt"
	"strings"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"
)

const qrQuiet = 4 // modules of margin (ISO/IEC 18004)

func (k *RecoveryKey) qr() (barcode.Barcode, error) {
	return qr.Encode(k.Identity, qr.M, qr.AlphaNumeric)
}

func dark(code barcode.Barcode, x, y int) bool {
	b := code.Bounds()
	if x < b.Min.X || y < b.Min.Y || x >= b.Max.X || y >= b.Max.Y {
		return false
	}
	r, _, _, _ := code.At(x, y).RGBA()
	return r < 0x8000
}

// QRText draws the recovery key as a QR code for a terminal: two lines of
// modules per text line (▀ ▄ █), light on dark terminals included since the
// quiet zone is drawn.
func (k *RecoveryKey) QRText() (string, error) {
	code, err := k.qr()
	if err != nil {
		return "", err
	}
	b := code.Bounds()
	var sb strings.Builder
	for y := b.Min.Y - qrQuiet; y < b.Max.Y+qrQuiet; y += 2 {
		for x := b.Min.X - qrQuiet; x < b.Max.X+qrQuiet; x++ {
			// Printed dark-on-light: a light module is a full block.
			top, bottom := !dark(code, x, y), !dark(code, x, y+1)
			switch {
			case top && bottom:
				sb.WriteString("█")
			case top:
				sb.WriteString("▀")
			case bottom:
				sb.WriteString("▄")
			default:
				sb.WriteString(" ")
			}
		}
		sb.WriteString("\n")
	}
	return sb.String(), nil
}

// QRSVG draws the recovery key as a printable QR code (SVG) with the key in
// text below it.
func (k *RecoveryKey) QRSVG() (string, error) {
	code, err := k.qr()
	if err != nil {
		return "", err
	}
	b := code.Bounds()
	size := b.Dx() + 2*qrQuiet
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%dmm" height="%dmm" shape-rendering="crispEdges">`+
		`<title>Préau — clé de secours des sauvegardes</title><rect width="%d" height="%d" fill="#ffffff"/><path fill="#000000" d="`,
		size, size+6, 2*size, 2*(size+6), size, size+6)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if dark(code, x, y) {
				fmt.Fprintf(&sb, "M%d %dh1v1h-1z", x-b.Min.X+qrQuiet, y-b.Min.Y+qrQuiet)
			}
		}
	}
	fmt.Fprintf(&sb, `"/><text x="%d" y="%d" font-family="monospace" font-size="1.6" text-anchor="middle">%s</text></svg>`+"\n",
		size/2, size+3, k.Identity)
	return sb.String(), nil
}
