// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"context"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/charter"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/store"
)

// TestComplianceReadsChartersAndRights_INF_SEC_3 runs `preau compliance`
// on a fresh deployment, then publishes the charte and the admin charter
// with `preau charter publish`, has the head accept the charte and grant
// sms.send, defines the admin zone and trusted proxies, and sees the rows
// the charters, the head's rights and the admin zone support move with
// evidence naming the version, its date, the acceptance per profile, the
// grants in force and the zone's ranges.
// CARINE: INF-SEC-3, INF-AUT-5, MCO-JAL-4, UTI-MSG-8, UTI-MSG-12, UTI-MSG-13, INF-DIF-1
func TestComplianceReadsChartersAndRights_INF_SEC_3(t *testing.T) {
	data := t.TempDir()
	if out, err := preau(t, data, "init", "--uai", "0999001W", "--type", "college", "--name", "Collège Jean Moulin",
		"--academie", "Démo", "--domain", "clg.demo.test", "--head", "m.dupont", "--head-given", "Marie",
		"--head-family", "Dupont", "--admin", "admin", "--hosts", "localhost"); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	check := func(m map[string][2]string, id, st string, fragments ...string) {
		t.Helper()
		if m[id][0] != st {
			t.Errorf("%s: %s, want %s (%s)", id, m[id][0], st, m[id][1])
		}
		for _, f := range fragments {
			if !strings.Contains(m[id][1], f) {
				t.Errorf("%s: evidence lacks %q: %s", id, f, m[id][1])
			}
		}
	}
	m := complianceCSV(t, data)
	check(m, "INF-SEC-3", "organisational", "0999001W : aucun document publié")
	check(m, "INF-AUT-5", "organisational", "Aucune charte administrateur publiée pour 0999001W")
	check(m, "MCO-JAL-4", "organisational", "Aucune charte publiée pour 0999001W", "l’acceptation obligatoire n’est pas active")
	check(m, "UTI-MSG-8", "not-met", "Aucune charte publiée pour 0999001W")
	check(m, "UTI-MSG-12", "partly", "Aucune attribution de sms.send en vigueur pour 0999001W : seule la direction le détient.")
	check(m, "UTI-MSG-13", "partly", "Aucune zone admin n’est définie (0999001W) : le droit sms.send ne peut être utilisé par personne",
		"En-tête X-Forwarded-For ignoré")
	check(m, "UTI-ESF-8", "met", "Sur les 12 derniers mois : 0 demande", "Le stockage de fichiers passe par cet accès")

	// The head's charte and the admin charter, published from files.
	dir := t.TempDir()
	for kind, text := range map[string]string{"charte": "# Charte\n\nChacun est responsable de ses identifiants.\n",
		"charte-admin": "# Charte administrateur\n\nLes administrateurs respectent la vie privée.\n"} {
		path := filepath.Join(dir, kind+".md")
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := preau(t, data, "charter", "publish", "--uai", "0999001W", "--kind", kind, "--title", "Charte", path); err != nil {
			t.Fatalf("charter publish %s: %v\n%s", kind, err, out)
		}
	}
	today := time.Now().UTC().Format("02/01/2006")

	// The head accepts the charte and grants sms.send to the admin; the
	// admin may not grant it to themself. The admin zone and a trusted
	// proxy are set up.
	ctx := core.ContextWithPrincipal(context.Background(), core.SystemPrincipal("system:test", core.ChannelCLI))
	db, err := store.Open(ctx, store.Config{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	est, err := db.FindEstablishment(ctx, "0999001W")
	if err != nil {
		t.Fatal(err)
	}
	head, err := db.FindPersonByLogin(ctx, "m.dupont")
	if err != nil {
		t.Fatal(err)
	}
	adm, err := db.FindPersonByLogin(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	asHead := core.ContextWithPrincipal(ctx, core.Principal{PersonID: head.ID, Login: head.Login, Profile: core.ProfileHead,
		Establishments: []string{est.ID}, Channel: core.ChannelCLI})
	asAdmin := core.ContextWithPrincipal(ctx, core.Principal{PersonID: adm.ID, Login: adm.Login, Profile: core.ProfileAdmin,
		Establishments: []string{est.ID}, Channel: core.ChannelCLI})
	if err := db.AcceptCharters(asHead, []charter.Ref{{Establishment: est.ID, Kind: charter.KindCharte, Number: 1}}); err != nil {
		t.Fatal(err)
	}
	dir2 := directory.New(directory.Deps{Store: db, Clock: core.SystemClock{}, Log: slog.New(slog.DiscardHandler)})
	if err := dir2.Grant(asAdmin, &directory.Grant{Establishment: est.ID, PersonID: adm.ID, Right: core.RightSMSSend}); !core.IsKind(err, core.Permission) {
		t.Fatalf("an admin granted themself sms.send: %v", err)
	}
	if err := dir2.Grant(asHead, &directory.Grant{Establishment: est.ID, PersonID: adm.ID, Right: core.RightSMSSend}); err != nil {
		t.Fatal(err)
	}
	if err := db.PutZone(ctx, &directory.Zone{Establishment: est.ID, Name: "admin",
		CIDRs: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/24")}}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	cfgPath := filepath.Join(data, "preau.toml")
	cfg, _ := os.ReadFile(cfgPath)
	if err := os.WriteFile(cfgPath, append(cfg, []byte("\n[web]\ntrusted_proxies = [\"10.1.0.250/32\"]\n")...), 0o600); err != nil {
		t.Fatal(err)
	}

	m = complianceCSV(t, data)
	check(m, "INF-SEC-3", "organisational", "charte v1 publiée le "+today, "100 % de la direction (1/1)", "0 % des administrateurs techniques (0/1)",
		"charte administrateur v1 publiée le "+today, "politique de sécurité non publiée")
	check(m, "INF-AUT-5", "organisational", "0999001W : charte administrateur v1 publiée le "+today+" ; acceptée par 0 % des administrateurs techniques (0/1) ; les autres l’accepteront à leur prochaine connexion.")
	check(m, "MCO-JAL-4", "met", "L’annexe technique jointe à la charte publiée", "charte v1 publiée le "+today,
		"connexion 365 j, système 183 j, sécurité 365 j (0999001W)")
	check(m, "UTI-MSG-8", "partly", "charte v1 publiée le "+today)
	check(m, "UTI-MSG-12", "partly", "0999001W : 1 attribution de sms.send en vigueur (1 à des personnes, 0 à des groupes), par m.dupont.")
	check(m, "INF-SEC-n3", "partly", "1 attribution en vigueur (sms.send 1), par m.dupont.")
	check(m, "UTI-MSG-13", "partly", "0999001W : zone admin définie (10.1.0.0/24).",
		"En-tête X-Forwarded-For cru seulement des mandataires de confiance 10.1.0.250/32")
	check(m, "INF-DIF-1", "partly", "zone admin définie (10.1.0.0/24)")
	if en := complianceCSV(t, data, "--lang", "en"); !strings.Contains(en["INF-AUT-5"][1], "administrator charter v1 published on "+time.Now().UTC().Format(time.DateOnly)) {
		t.Errorf("English evidence: %s", en["INF-AUT-5"][1])
	}
}
