// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package proxyd

import (
	"crypto/tls"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/preau/preau/internal/filter"
)

//go:embed assets
var assets embed.FS

var (
	pageOnce sync.Once
	pageTmpl *template.Template
	catalogs map[string]map[string]string
)

func loadPages() {
	pageTmpl = template.Must(template.ParseFS(assets, "assets/block.html"))
	catalogs = map[string]map[string]string{}
	for _, lang := range []string{"fr", "en"} {
		b, err := assets.ReadFile("assets/" + lang + ".json")
		if err != nil {
			panic(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic("proxyd: " + lang + ".json: " + err.Error())
		}
		catalogs[lang] = m
	}
}

// lang picks French unless the browser prefers English.
func lang(r *http.Request) string {
	for part := range strings.SplitSeq(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "fr"):
			return "fr"
		case strings.HasPrefix(tag, "en"):
			return "en"
		}
	}
	return "fr"
}

type pageView struct {
	Lang     string
	T        map[string]string
	Title    string
	Site     string
	Category string
	Rule     string
	Until    string
	AskURL   string
	Message  string
	Link     string // a button: the portal's login page (captive portal)
	LinkText string
}

// Explain returns the sentence that tells a user which rule decided, in
// lang ("fr" or "en").
func Explain(d filter.Decision, lang string, loc *time.Location) string {
	pageOnce.Do(loadPages)
	t := catalogs[lang]
	if t == nil {
		t = catalogs["fr"]
	}
	until := ""
	if !d.Until.IsZero() {
		if loc == nil {
			loc = time.Local
		}
		until = d.Until.In(loc).Format("02/01/2006 15:04")
	}
	name := d.Rule
	if _, after, ok := strings.Cut(d.Rule, ":"); ok {
		name = after
	}
	msg := t["rule."+string(d.Layer)]
	if msg == "" {
		msg = t["rule.default"]
	}
	r := strings.NewReplacer("{name}", name, "{until}", until)
	return r.Replace(msg)
}

func (s *Server) blockPage(w http.ResponseWriter, r *http.Request, t Target, d filter.Decision) {
	pageOnce.Do(loadPages)
	lg := lang(r)
	v := pageView{Lang: lg, T: catalogs[lg], Site: t.Host, Rule: Explain(d, lg, nil)}
	v.Title = v.T["block.title"]
	if d.Category != "" {
		v.Category = d.Category
		if l := s.cfg.Engine.Lists(); l != nil {
			if c, ok := l.Category(d.Category); ok {
				v.Category = c.Label(lg)
			}
		}
	}
	if s.cfg.AskURL != "" && d.Layer != filter.LayerNational {
		v.AskURL = s.cfg.AskURL + "?site=" + url.QueryEscape(t.Host)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'")
	w.WriteHeader(http.StatusForbidden)
	if r.Method != http.MethodHead {
		_ = pageTmpl.Execute(w, v)
	}
}

// captive sends a plain-HTTP request without credentials from an unbound
// address to the portal's login page, with the URL asked for so that the
// portal offers to go on there: 302 for GET and HEAD (browsers follow it),
// 511 Network Authentication Required with a page and a link otherwise
// (RFC 6585). It returns the status answered.
func (s *Server) captive(w http.ResponseWriter, r *http.Request, t Target) int {
	pageOnce.Do(loadPages)
	lg := lang(r)
	sep := "?"
	if strings.Contains(s.cfg.LoginURL, "?") {
		sep = "&"
	}
	link := s.cfg.LoginURL + sep + "return=" + url.QueryEscape(t.URL)
	v := pageView{Lang: lg, T: catalogs[lg], Title: catalogs[lg]["captive.title"], Message: catalogs[lg]["captive.intro"],
		Link: link, LinkText: catalogs[lg]["captive.login"]}
	status := http.StatusNetworkAuthenticationRequired
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		status = http.StatusFound
		w.Header().Set("Location", link)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_ = pageTmpl.Execute(w, v)
	}
	return status
}

// destinationPage refuses a destination on the school's own network or
// the server itself (403), naming the reason.
func (s *Server) destinationPage(w http.ResponseWriter, r *http.Request, de *DestinationError) {
	pageOnce.Do(loadPages)
	lg := lang(r)
	v := pageView{Lang: lg, T: catalogs[lg], Title: catalogs[lg]["error.destination"], Site: de.Host,
		Message: destinationReason(lg, de)}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'")
	w.WriteHeader(http.StatusForbidden)
	if r.Method != http.MethodHead && r.Method != http.MethodConnect {
		_ = pageTmpl.Execute(w, v)
	}
}

// destinationReason is the sentence naming why a destination is refused.
func destinationReason(lg string, de *DestinationError) string {
	pageOnce.Do(loadPages)
	t := catalogs[lg]
	if t == nil {
		t = catalogs["fr"]
	}
	return strings.NewReplacer("{host}", de.Host, "{ip}", de.IP.String()).Replace(t["dest."+de.Reason])
}

// writeError answers a proxy-level error (407, 400, 502 …) with a short
// page in the user's language.
func writeError(w http.ResponseWriter, r *http.Request, status int, key, detail string) {
	pageOnce.Do(loadPages)
	lg := lang(r)
	v := pageView{Lang: lg, T: catalogs[lg], Title: catalogs[lg]["error."+key], Site: detail}
	if key == "bad" {
		v.Site, v.Message = "", detail
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if r.Method != http.MethodHead && r.Method != http.MethodConnect {
		_ = pageTmpl.Execute(w, v)
	}
}

// tunnel serves a CONNECT: dial, answer 200, then copy both ways until one
// side closes. It returns the bytes carried and the status answered.
func (s *Server) tunnel(w http.ResponseWriter, r *http.Request, t Target, dialHost string) (int64, int) {
	host := t.Host
	if dialHost != "" {
		host = dialHost
	}
	up, err := s.dial(r.Context(), "tcp", net.JoinHostPort(host, t.Port))
	if de, ok := destinationError(err); ok {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Connection", "close")
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, destinationReason(lang(r), de)+"\n")
		return 0, http.StatusForbidden
	}
	if err != nil {
		writeError(w, r, http.StatusBadGateway, "upstream", t.Host)
		return 0, http.StatusBadGateway
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		up.Close()
		writeError(w, r, http.StatusInternalServerError, "upstream", t.Host)
		return 0, http.StatusInternalServerError
	}
	conn, brw, err := hj.Hijack()
	if err != nil {
		up.Close()
		return 0, http.StatusInternalServerError
	}
	s.mu.Lock()
	if s.closed.Load() {
		s.mu.Unlock()
		conn.Close()
		up.Close()
		return 0, http.StatusServiceUnavailable
	}
	s.tunnels[conn] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.tunnels, conn)
		s.mu.Unlock()
		s.wg.Done()
	}()
	defer conn.Close()
	defer up.Close()
	if _, err := io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		return 0, http.StatusOK
	}
	var sent int64
	done := make(chan struct{})
	go func() {
		// Bytes the client sent after its request line are buffered.
		if n := brw.Reader.Buffered(); n > 0 {
			b, _ := brw.Reader.Peek(n)
			m, _ := up.Write(b)
			sent += int64(m)
		}
		n, _ := io.Copy(up, conn)
		sent += n
		if tc, ok := up.(*net.TCPConn); ok {
			tc.CloseWrite()
		} else {
			up.Close()
		}
		close(done)
	}()
	recv, _ := io.Copy(conn, up)
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		conn.Close()
		<-done
	}
	return sent + recv, http.StatusOK
}

// upstreamFailed answers a request the origin did not serve, plain or
// intercepted: the page of a refused destination, else 502 (504 on a
// timeout) naming the site, and its invalid certificate when that was the
// cause (interception verifies the origin).
func (s *Server) upstreamFailed(w http.ResponseWriter, r *http.Request, err error) {
	if de, ok := destinationError(err); ok {
		if cw, ok := w.(*countingWriter); ok {
			cw.refused = de.Reason
		}
		s.destinationPage(w, r, de)
		return
	}
	s.log.Debug("upstream failed", "url", r.URL.String(), "err", err)
	status := http.StatusBadGateway
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		status = http.StatusGatewayTimeout
	}
	detail := r.URL.Hostname()
	var ce *tls.CertificateVerificationError
	if errors.As(err, &ce) {
		detail = fmt.Sprintf("%s: certificat du site non valide / invalid site certificate", detail)
	}
	writeError(w, r, status, "upstream", detail)
}
