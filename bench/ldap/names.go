// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package main

import "strings"

// Name lists for the generated directory: common given and family names in
// France, with accents, hyphens and particles so that DNs, LDIF (base64
// values) and logins meet the same cases as real imports. internal/demo has
// longer lists but does not export them.
var givenNames = strings.Fields(`Emma Louise Jade Alice Chloé Lina Léa Rose Anna Mila Inès Ambre Julia Mia
	Léna Manon Juliette Lou Zoé Camille Agathe Jeanne Éva Nina Sarah Romane Adèle Iris Héloïse Margaux
	Gabriel Léo Raphaël Arthur Louis Jules Adam Maël Lucas Hugo Noah Liam Gabin Sacha Paul Nathan Aaron
	Mohamed Ethan Tom Éden Léon Noé Tiago Théo Isaac Marius Victor Ayden Martin Naël Mathis Axel Robin
	Timéo Enzo Valentin Maxime Baptiste Clément Antoine Yanis Amir Youssef Ibrahim Kenzo Malo Ismaël
	Aïcha Yasmine Maëlys Océane Clémence Élise Noémie Capucine Anaïs Salomé Bérénice Céleste Hélène`)

var familyNames = strings.Fields(`Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent
	Simon Michel Lefèvre Leroy Roux David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine
	Rousseau Vincent Müller Lefebvre Faure André Mercier Blanc Guérin Boyer Garnier Chevalier François
	Legrand Gauthier Garcia Perrin Robin Clément Morin Nicolas Henry Roussel Mathieu Gautier Masson
	Marchand Duval Denis Dumont Marie Lemaire Noël Meyer Dufour Meunier Brun Blanchard Giraud Joly Rivière
	Lucas Brunet Gaillard Barbier Arnaud Martinez Gérard Roche Renard Schmitt Roy Leroux Colin Vidal
	Caron Picard Roger Fabre Aubert Lemoine Renaud Dumas Lacroix Olivier Philippe Bourgeois Pierre Benoît
	Rey Leclerc Payet Rolland Leclercq Guillaume Lecomte Lopez Jean Dupuy Guillot Hubert Berger Carpentier
	Sanchez Dupuis Moulin Louis Deschamps Huet Vasseur Perez Boucher Fleury Royer Klein Jacquet Adam Paris
	Poirier Marty Aubry Guyot Carré Charles Renault Charpentier Ménard Maillard Baron Bertin Bailly Hervé
	Schneider Fernandez Le-Gall Collet Léger Bouvier Julien Prévost Millet Perrot Daniel Le-Roux Cousin
	Germain Breton Besson Langlois Rémy Le-Goff Pelletier Lévêque Perrier Leblanc Barré Lebrun Marchal
	Weber Mallet Hamon Boulanger Jacob Monnier Michaud Rodriguez Guichard Gillet Étienne Grondin Poulain
	Tessier Chevallier Collin Chauvin Da-Silva Bouchet Gay Lemaître Bénard Maréchal Humbert Reynaud Antoine
	Hoarau Perret Barthélemy Cordier Pichon Lejeune Gilbert Lamy Delaunay Pasquier Carlier Laporte
	Nguyen Diallo Traoré Benali Haddad Mendes Ferreira Da-Costa Kaya Yilmaz Cissé Camara Diop Ba Sow`)

// foldASCII maps the accented letters of the lists to ASCII, for logins.
var foldASCII = strings.NewReplacer("à", "a", "â", "a", "ä", "a", "é", "e", "è", "e", "ê", "e", "ë", "e",
	"î", "i", "ï", "i", "ô", "o", "ö", "o", "ù", "u", "û", "u", "ü", "u", "ç", "c", "É", "e", "À", "a")

// slug returns the login form of a name: lower-case ASCII, hyphens kept.
func slug(name string) string {
	return strings.ToLower(foldASCII.Replace(strings.ToLower(name)))
}

// displayFamily turns a list entry into the family name shown: "Le-Gall"
// is "Le Gall", "Da-Silva" is "Da Silva"; real hyphenated names stay so.
func displayFamily(name string) string {
	for _, p := range []string{"Le-", "Da-"} {
		if strings.HasPrefix(name, p) {
			return strings.Replace(name, "-", " ", 1)
		}
	}
	return name
}
