// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestImportFromTheConsole uploads a CSV in the admin console: the preview
// changes nothing, apply runs with progress, the initial passwords are shown
// once as printable sheets and are gone after.
func TestImportFromTheConsole(t *testing.T) {
	n := startNode(t)
	n.cli("user", "add", "tech", "--uai", "0999001W", "--profile", "admin", "--given", "Sam", "--family", "Tech",
		"--password", "Un-Mot-De-Passe-Solide", "--must-change=false")
	n.adminLogin("tech", "Un-Mot-De-Passe-Solide")
	upload := func(name, content string) (*http.Response, string) {
		return n.postImport(map[string]string{"mode": "partial"}, importFile{name, []byte(content)})
	}
	pupils := "uai,profile,key,given_name,family_name,class,date_naissance\n" +
		"0999001W,pupil,E1,Zoé,Martin,4B,14/05/2012\n0999001W,pupil,E2,Léo,Petit,4B,03/02/2012\n"
	// CARINE: INF-ANN-7 — a CSV file is refused until the establishment
	// records its justification and data-protection reference, on the page.
	resp, page := upload("eleves.csv", pupils)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "n’est pas une source nationale") ||
		!strings.Contains(page, "Non déclarée : imports refusés.") {
		t.Fatalf("undeclared CSV: %d\n%s", resp.StatusCode, page)
	}
	declare := func(justification string) (*http.Response, string) {
		_, page := n.get("/admin/import")
		return n.post("/admin/import/sources", map[string][]string{"csrf": {csrfRE.FindStringSubmatch(page)[1]},
			"establishment": {"0999001W"}, "source": {"csv"}, "justification": {justification}, "reference": {"RT-2026-014"}})
	}
	if r, page := declare("trop court"); r.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(page, "Expliquez en 20 à 1 000 caractères") {
		t.Fatalf("short justification: %d\n%s", r.StatusCode, page)
	}
	if r, _ := declare("les élèves de la classe musicale ne figurent dans aucun fichier national"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("declaration: %d", r.StatusCode)
	}
	if _, page := n.get("/admin/import"); !strings.Contains(page, "Déclarée : référence RT-2026-014, par tech") {
		t.Fatalf("declaration not listed:\n%s", page)
	}
	if out := n.cli("journal", "export"); !strings.Contains(out, `"action":"directory.source.declare"`) {
		t.Fatal("the declaration is not journaled")
	}
	resp, preview := upload("eleves.csv", pupils)
	if resp.StatusCode != 200 || !strings.Contains(preview, "zoe.martin") || !strings.Contains(preview, "date_naissance") {
		t.Fatalf("preview: %d\n%s", resp.StatusCode, preview)
	}
	if strings.Contains(n.cli("user", "list"), "zoe.martin") {
		t.Fatal("the preview created accounts")
	}
	m := regexp.MustCompile(`action="/admin/import/([^"/]+)/apply"`).FindStringSubmatch(preview)
	if m == nil {
		t.Fatalf("no apply form:\n%s", preview)
	}
	token := m[1]
	csrf := csrfRE.FindStringSubmatch(preview)[1]
	if r, _ := n.post("/admin/import/"+token+"/apply", map[string][]string{"csrf": {csrf}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("apply: %d", r.StatusCode)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, prog := n.get("/admin/import/" + token)
		if strings.Contains(prog, "/passwords") && !strings.Contains(prog, "data-sse=") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("import did not finish:\n%s", prog)
		}
		time.Sleep(100 * time.Millisecond)
	}
	r, sheets := n.get("/admin/import/" + token + "/passwords")
	if r.StatusCode != 200 || !strings.Contains(sheets, "zoe.martin") || strings.Count(sheets, `class="sheet-card"`) != 2 {
		t.Fatalf("password sheets: %d\n%s", r.StatusCode, sheets)
	}
	if r, _ := n.get("/admin/import/" + token + "/passwords"); r.StatusCode != http.StatusNotFound {
		t.Fatalf("passwords shown twice: %d", r.StatusCode)
	}
	if !strings.Contains(n.cli("user", "list"), "zoe.martin") {
		t.Fatal("the import did not create the accounts")
	}
	// A file for an establishment the deployment lacks: a clear error, nothing stored.
	resp, page = upload("autre.csv", "uai,profile,key,given_name,family_name\n0750001U,pupil,X1,Ana,Lopez\n")
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "0750001U") {
		t.Fatalf("unknown UAI: %d\n%s", resp.StatusCode, page)
	}
}

// importFile is a file uploaded to the console's import page.
type importFile struct {
	name string
	data []byte
}

// postImport uploads files to the console's import page with the form
// fields (csrf added) and returns the response with its body.
func (n *node) postImport(fields map[string]string, files ...importFile) (*http.Response, string) {
	n.t.Helper()
	_, page := n.get("/admin/import")
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", csrfRE.FindStringSubmatch(page)[1])
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	for _, f := range files {
		fw, _ := mw.CreateFormFile("files", f.name)
		fw.Write(f.data)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", n.base+"/admin/import", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", n.base)
	resp, err := n.client.Do(req)
	if err != nil {
		n.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}
