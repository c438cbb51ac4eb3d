// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package compliance_test

import (
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/compliance"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/logs"
)

// The log service's live facts reach the report: each establishment's
// retention per class (its setting or the class default), the central
// collector, and a disabled log store turns the rows it carries not met.
// CARINE: MCO-JAL-2, MCO-JAL-1, MCO-JAL-8, MCO-JAL-n2
func TestLogFactsInReport_MCO_JAL_2(t *testing.T) {
	f := newFake()
	ecole := &directory.Establishment{ID: "est-2", UAI: "0999002X", Type: directory.Ecole, Name: "École Jules Ferry"}
	f.logs.Retention["est-2"] = map[logs.Class]int{logs.ClassSystem: 300}
	f.logs.ForwardTo = "collecteur.ac-exemple.fr:6514"
	rep, err := compliance.Evaluate(t.Context(), f.deps(), []*directory.Establishment{college, ecole})
	if err != nil {
		t.Fatal(err)
	}
	want(t, rep, "MCO-JAL-2", compliance.Met,
		"Log retention in force: connection 365 days, system 183 days, security 365 days (0999001W); connection 365 days, system 300 days, security 365 days (0999002X).",
		"connexion 365 j, système 300 j, sécurité 365 j (0999002X)", "Disk alerts at 85% and 95% used")
	want(t, rep, "MCO-JAL-n2", compliance.Organisational, "system 300 days")
	want(t, rep, "MCO-JAL-8", compliance.Met, "Logs forwarded to collecteur.ac-exemple.fr:6514.", "mutual authentication")
	want(t, rep, "MCO-JAL-1", compliance.Met, "RFC 5424")

	f.logs.Enabled = false
	rep = evaluate(t, f)
	for _, id := range []string{"MCO-JAL-1", "MCO-JAL-2", "MCO-JAL-3", "MCO-JAL-5", "MCO-JAL-7", "MCO-JAL-8", "MCO-JAL-n1"} {
		want(t, rep, id, compliance.NotMet, "The log store is disabled ([logs] disabled)")
	}
}

// The supervision's live counts reach the report, and a configuration that
// asks no second factor of admins shows on MCO-SEI-10.
// CARINE: MCO-SEI-1, MCO-SEI-2, MCO-SEI-10
func TestMonitorFactsInReport_MCO_SEI_1(t *testing.T) {
	f := newFake()
	f.monitor = &compliance.MonitorFacts{Targets: 12, Down: 2, OpenIncidents: 3, OpenRequests: 1}
	rep := evaluate(t, f)
	want(t, rep, "MCO-SEI-1", compliance.Partly, "12 checks declared, 2 of them down; 3 unresolved incidents; 1 open helpdesk request.",
		"12 contrôles déclarés, dont 2 en panne ; 3 incidents non résolus ; 1 demande d’assistance en cours.", "Missing: SNMP")
	want(t, rep, "MCO-SEI-2", compliance.Met, "3 unresolved incidents")
	want(t, rep, "MCO-SEI-10", compliance.Met, "strong_for: admin")
	want(t, evaluate(t, f, func(d *compliance.Deps) { d.Config.StrongFor = []string{"head"} }), "MCO-SEI-10", compliance.Partly,
		"names neither admin nor monitor")
	want(t, evaluate(t, f, func(d *compliance.Deps) { d.Config.StrongFor = []string{"monitor"} }), "MCO-SEI-10", compliance.Met)
	want(t, rep, "MCO-SEI-4", compliance.NotMet, "remote control")
}

// Institutional data (file spaces) are in every backup: UTI-ESF-9 follows
// the last successful backup, and the backup rows that need a set-up are
// not met without one.
// CARINE: UTI-ESF-9, MCO-SVG-4, MCO-SVG-12, MCO-SVG-n1
func TestBackupCoversStorage_UTI_ESF_9(t *testing.T) {
	f := newFake()
	rep := evaluate(t, f)
	want(t, rep, "UTI-ESF-9", compliance.Met, "File spaces (contents and database) are in every backup", "last successful backup on 2026-11-30")
	want(t, rep, "MCO-SVG-12", compliance.Met, "append-only")
	f.backup.LastBackup = now.Add(-5 * 24 * time.Hour)
	want(t, evaluate(t, f), "UTI-ESF-9", compliance.Partly, "more than three days without a successful backup")
	f.backup.LastBackup = time.Time{}
	want(t, evaluate(t, f), "UTI-ESF-9", compliance.NotMet, "No successful backup recorded")
	f.backup = nil
	rep = evaluate(t, f)
	for _, id := range []string{"UTI-ESF-9", "MCO-SVG-4", "MCO-SVG-12", "MCO-SVG-n1"} {
		want(t, rep, id, compliance.NotMet, "preau backup init")
	}
}

// The four services merged (files, logs, supervision, backup) are no
// longer reported missing: no evidence of their requirements, nor of
// INF-SEC-n1 for backup and supervision, says they are not available.
// CARINE: INF-SEC-n1, UTI-ESF-10
func TestNoStaleServiceMissing(t *testing.T) {
	rep := evaluate(t, newFake())
	for _, r := range rep.Results {
		switch r.Service {
		case "INF-SEC": // the filter is merged (INF-SEC-n3's suspension is another matter)
			if strings.Contains(r.Evidence.EN, "not available in this version") {
				t.Errorf("%s still says the service is not available: %s", r.ID, r.Evidence.EN)
			}
		case "MCO-JAL", "MCO-SEI", "MCO-SVG", "UTI-ESF":
			for _, stale := range []string{"not available in this version", "to come", "not provided yet"} {
				if strings.Contains(r.Evidence.EN, stale) {
					t.Errorf("%s still says %q: %s", r.ID, stale, r.Evidence.EN)
				}
			}
		}
	}
	want(t, rep, "INF-SEC-n1", compliance.Partly, "Internet filtering requires proxy authentication", "Backups are encrypted")
	wantNot(t, rep, "INF-SEC-n1", "backup and supervision services are not available", "filtering service is not available")
	want(t, rep, "UTI-ESF-10", compliance.Met, "preau logs verify", "preau backup check", "preau files scrub")
}

// File spaces stay on the establishment's storage: the report says where
// the objects are, and asks to check an S3 service is hosted in the EU.
// CARINE: UTI-ESF-n1
func TestStorageLocation_UTI_ESF_n1(t *testing.T) {
	f := newFake()
	want(t, evaluate(t, f), "UTI-ESF-n1", compliance.Partly, "Data hosted in the local data folder", "No cloud connector")
	rep := evaluate(t, f, func(d *compliance.Deps) { d.Config.BlobStore = "s3://blobs/preau?endpoint=s3.ac-exemple.fr:9000" })
	want(t, rep, "UTI-ESF-n1", compliance.Partly, "Objects stored on an S3 service (s3.ac-exemple.fr:9000): check that it is hosted in the EU.")
}

// TestFilterListsAge_INF_SEC_8: INF-SEC-8 states the date and counts of
// the last UT1 lists import; met while under 14 days old, partly met
// beyond, not met without any import. The rows the proxy answers follow
// whether it listens.
// CARINE: INF-SEC-8, INF-SEC-1, INF-AUT-n1
func TestFilterListsAge_INF_SEC_8(t *testing.T) {
	f := newFake()
	rep := evaluate(t, f)
	want(t, rep, "INF-SEC-8", compliance.Met, "Last import on 2026-11-28", "96 categories, 5200000 domains, 120000 URLs",
		"blacklists.tar.gz", "Dernier import le 28/11/2026")
	want(t, rep, "INF-SEC-1", compliance.Partly, "serves the authenticated filtering proxy and the filtering DNS resolver", "Missing: stateful firewall")
	want(t, rep, "INF-AUT-n1", compliance.Partly, "407")
	f.filter.ListsAt = now.Add(-20 * 24 * time.Hour)
	want(t, evaluate(t, f), "INF-SEC-8", compliance.Partly, "Lists 20 days old (over 14)", "preau filter fetch")
	f.filter.ListsAt = time.Time{}
	want(t, evaluate(t, f), "INF-SEC-8", compliance.NotMet, "No UT1 list imported")
	f.filter.Proxy, f.filter.DNS = false, false
	rep = evaluate(t, f)
	want(t, rep, "INF-SEC-1", compliance.NotMet, "both off on this server")
	want(t, rep, "INF-AUT-n1", compliance.NotMet, "The filtering proxy is off on this server")
}
