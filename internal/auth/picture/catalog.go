// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package picture

import (
	"embed"
	"strings"
	"sync"
)

//go:embed assets/pictures/*.svg assets/avatars/*.svg
var images embed.FS

// Name is a label in French and English, the accessible name of a
// picture or avatar (aria-label, alt text, the caption adults read).
type Name struct {
	FR, EN string
}

// In returns the name in lang ("fr" or "en"; anything else gives French).
func (n Name) In(lang string) string {
	if lang == "en" {
		return n.EN
	}
	return n.FR
}

// Picture is one image of the sign-in grid. Pictures are drawn with thick
// outlines and distinct silhouettes, so that they are told apart without
// colour (a colour-blind child, a black-and-white printout).
type Picture struct {
	ID   string
	Name Name
}

// Pictures is the catalogue, most distinct first: a grid of n pictures
// shows the first n. The order is part of every stored sequence's meaning:
// new pictures are only ever appended.
var Pictures = []Picture{
	{"house", Name{"maison", "house"}},
	{"sun", Name{"soleil", "sun"}},
	{"cat", Name{"chat", "cat"}},
	{"tree", Name{"arbre", "tree"}},
	{"car", Name{"voiture", "car"}},
	{"fish", Name{"poisson", "fish"}},
	{"apple", Name{"pomme", "apple"}},
	{"boat", Name{"bateau", "boat"}},
	{"star", Name{"étoile", "star"}},
	{"umbrella", Name{"parapluie", "umbrella"}},
	{"key", Name{"clé", "key"}},
	{"bird", Name{"oiseau", "bird"}},
	{"flower", Name{"fleur", "flower"}},
	{"moon", Name{"lune", "moon"}},
	{"ball", Name{"ballon", "ball"}},
	{"dog", Name{"chien", "dog"}},
}

// Grid returns the IDs of the pictures a grid of size n shows, in order.
// n must be one of GridSizes.
func Grid(n int) []string {
	ids := make([]string, 0, n)
	for _, p := range Pictures[:min(n, len(Pictures))] {
		ids = append(ids, p.ID)
	}
	return ids
}

// animal is one avatar drawing; each is used twice, on a disc and on a
// square of another colour, so that a class of up to 48 pupils gets
// distinct avatars.
type animal struct {
	id   string
	name Name
}

var animals = []animal{
	{"lion", Name{"lion", "lion"}}, {"elephant", Name{"éléphant", "elephant"}},
	{"rabbit", Name{"lapin", "rabbit"}}, {"bear", Name{"ours", "bear"}},
	{"owl", Name{"hibou", "owl"}}, {"turtle", Name{"tortue", "turtle"}},
	{"frog", Name{"grenouille", "frog"}}, {"snail", Name{"escargot", "snail"}},
	{"butterfly", Name{"papillon", "butterfly"}}, {"ladybird", Name{"coccinelle", "ladybird"}},
	{"penguin", Name{"manchot", "penguin"}}, {"giraffe", Name{"girafe", "giraffe"}},
	{"mouse", Name{"souris", "mouse"}}, {"pig", Name{"cochon", "pig"}},
	{"cow", Name{"vache", "cow"}}, {"duck", Name{"canard", "duck"}},
	{"horse", Name{"cheval", "horse"}}, {"hedgehog", Name{"hérisson", "hedgehog"}},
	{"fox", Name{"renard", "fox"}}, {"whale", Name{"baleine", "whale"}},
	{"snake", Name{"serpent", "snake"}}, {"crab", Name{"crabe", "crab"}},
	{"octopus", Name{"pieuvre", "octopus"}}, {"bee", Name{"abeille", "bee"}},
}

// Background colours of the avatars: light enough for the dark outlines
// of the drawings, and different between the two variants of an animal.
var (
	discColours   = []string{"#ffd6a5", "#caffbf", "#9bf6ff", "#bdb2ff", "#ffc6ff", "#fdffb6"}
	squareColours = []string{"#a0c4ff", "#ffadad", "#b9fbc0", "#fbf8cc", "#f1c0e8", "#90dbf4"}
)

// Avatar is the image a pupil recognises as their own on the class board.
// Within a class every pupil has a different one. IDs of the second
// variant (on a square) end in "-2".
type Avatar struct {
	ID     string
	Name   Name
	Square bool // the second variant
	colour string
	animal string
}

// Avatars lists every avatar: first the 24 animals on a disc, then the
// same animals on a square, so that classes up to 24 get 24 different
// animals. The order is stable.
var Avatars = func() []Avatar {
	out := make([]Avatar, 0, 2*len(animals))
	for i, a := range animals {
		out = append(out, Avatar{ID: a.id, Name: a.name, colour: discColours[i%len(discColours)], animal: a.id})
	}
	for i, a := range animals {
		out = append(out, Avatar{ID: a.id + "-2", Square: true, animal: a.id,
			Name:   Name{a.name.FR + " sur fond carré", a.name.EN + " on a square"},
			colour: squareColours[i%len(squareColours)]})
	}
	return out
}()

// MaxPupils is the largest class picture login serves: one avatar each.
var MaxPupils = len(Avatars)

var (
	pictureIndex = func() map[string]int {
		m := make(map[string]int, len(Pictures))
		for i, p := range Pictures {
			m[p.ID] = i
		}
		return m
	}()
	avatarIndex = func() map[string]int {
		m := make(map[string]int, len(Avatars))
		for i, a := range Avatars {
			m[a.ID] = i
		}
		return m
	}()
)

// PictureByID returns a picture of the catalogue.
func PictureByID(id string) (Picture, bool) {
	i, ok := pictureIndex[id]
	if !ok {
		return Picture{}, false
	}
	return Pictures[i], true
}

// AvatarByID returns an avatar of the catalogue.
func AvatarByID(id string) (Avatar, bool) {
	i, ok := avatarIndex[id]
	if !ok {
		return Avatar{}, false
	}
	return Avatars[i], true
}

// svgCache holds the SVG of each picture and avatar, read once.
var svgCache = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for _, p := range Pictures {
		m["p:"+p.ID] = readSVG("assets/pictures/" + p.ID + ".svg")
	}
	for _, a := range Avatars {
		m["a:"+a.ID] = avatarSVG(a, readSVG("assets/avatars/"+a.animal+".svg"))
	}
	return m
})

func readSVG(name string) string {
	b, err := images.ReadFile(name)
	if err != nil {
		panic("picture: missing embedded image " + name) // a test reads every image
	}
	return strings.TrimSpace(string(b))
}

// avatarSVG draws the avatar's background under its animal.
func avatarSVG(a Avatar, drawing string) string {
	bg := `<circle cx="50" cy="50" r="48" fill="` + a.colour + `" stroke="#1a1a1a" stroke-width="2"/>`
	if a.Square {
		bg = `<rect x="3" y="3" width="94" height="94" rx="14" fill="` + a.colour +
			`" stroke="#1a1a1a" stroke-width="2"/>`
	}
	open := strings.Index(drawing, ">") + 1
	inner := strings.TrimSuffix(strings.TrimSpace(drawing[open:]), "</svg>")
	return drawing[:open] + "\n" + bg + "\n<g transform=\"translate(8 8) scale(.84)\">" + inner + "</g>\n</svg>"
}

// PictureSVG returns the SVG document of a picture, "" for an unknown ID.
// The document holds no script and no style attribute: it may be inlined
// in a page under the strict CSP.
func PictureSVG(id string) string { return svgCache()["p:"+id] }

// AvatarSVG returns the SVG document of an avatar, "" for an unknown ID.
func AvatarSVG(id string) string { return svgCache()["a:"+id] }
