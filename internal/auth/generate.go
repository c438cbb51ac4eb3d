// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package auth

import (
	"crypto/rand"
	"math/big"
	"strconv"
	"strings"

	"github.com/preau/preau/internal/core"
)

// GeneratedLength is the length of the passwords GeneratePassword makes:
// enough for the strictest default policy (admin, 14 characters).
const GeneratedLength = 14

// GeneratePassword returns a random initial password of GeneratedLength
// characters from an alphabet without look-alikes (no 0/O, 1/l/I), easy to
// copy from a sheet, with at least one lower-case letter, one upper-case
// letter and one digit, so that it meets every default policy. It is shown
// once and never stored in clear (INF-AUT-10).
func GeneratePassword() string {
	const (
		lower    = "abcdefghjkmnpqrstuvwxyz"
		upper    = "ABCDEFGHJKLMNPQRSTUVWXYZ"
		digits   = "23456789"
		alphabet = lower + upper + digits
	)
	for {
		b := make([]byte, GeneratedLength)
		for i := range b {
			n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
			if err != nil {
				panic("crypto/rand failed: " + err.Error())
			}
			b[i] = alphabet[n.Int64()]
		}
		pw := string(b)
		if strings.ContainsAny(pw, lower) && strings.ContainsAny(pw, upper) && strings.ContainsAny(pw, digits) {
			return pw
		}
	}
}

// pupilWords are short French words a young pupil reads and types without
// accents or capitals: animals, things and colours.
var pupilWords = strings.Fields(`
abeille agneau aigle ananas ane arbre argent avion bague baleine balle banane bateau biche bijou blanc
bleu bouton brosse cactus cadeau camion canard carotte castor cerise chat cheval chevre chien cigale citron
cochon colis copain corde coton crabe crayon cygne dauphin dessin dindon domino dragon echelle ecureuil
etoile facteur ferme feuille flocon fourmi fraise fusee gateau girafe gomme gorille grenouille guitare
hamster herisson hibou jardin jaune koala lapin lezard lion loup loutre lune maison marron merle mouton
navire neige nuage oiseau olive orange otarie ours panda papillon perle phoque piano pigeon pingouin
pirate pomme poney poule prune puce radis raisin renard requin robot rocher rouge sable sapin serpent
singe sirop soleil souris sucre tambour tigre tomate tortue train tulipe vache velo vert violet zebre`)

// GeneratePupilPassword returns an initial password a young pupil can
// read and type: two words and two digits, e.g. "lapin-vert-47" (about 22
// bits; login throttling bounds guessing). It meets the default pupil
// policy; adults get GeneratePassword.
func GeneratePupilPassword() string {
	pick := func(n int) int {
		v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
		if err != nil {
			panic("crypto/rand failed: " + err.Error())
		}
		return int(v.Int64())
	}
	a, b := pick(len(pupilWords)), pick(len(pupilWords)-1)
	if b >= a {
		b++ // two different words
	}
	return pupilWords[a] + "-" + pupilWords[b] + "-" + strconv.Itoa(10+pick(90))
}

// GenerateFor returns an initial password suited to a profile.
func GenerateFor(p core.Profile) string {
	if p == core.ProfilePupil {
		return GeneratePupilPassword()
	}
	return GeneratePassword()
}
