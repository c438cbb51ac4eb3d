// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"crypto/tls"
	"net"
	"net/http"
	"strings"
)

func tlsListener(ln net.Listener, cfg *tls.Config) net.Listener {
	cfg = cfg.Clone()
	cfg.NextProtos = []string{"h2", "http/1.1"}
	return tls.NewListener(ln, cfg)
}

// plainHandler serves the plain-HTTP port: the CA certificate download
// (devices must fetch it before they trust HTTPS), health checks, and a
// redirect to HTTPS for everything else (design §4).
func (a *App) plainHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ca.crt", a.serveCACert)
	mux.HandleFunc("GET /ca.der", a.serveCACert)
	mux.HandleFunc("GET /healthz", serveHealthz)
	a.filterPlainRoutes(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		_, port, _ := net.SplitHostPort(a.Addr("https"))
		target := "https://" + host
		if port != "" && port != "443" {
			target += ":" + port
		}
		if !strings.HasPrefix(r.URL.Path, "/") {
			r.URL.Path = "/"
		}
		http.Redirect(w, r, target+r.URL.RequestURI(), http.StatusMovedPermanently)
	})
	return mux
}

// serveCACert sends the CA certificate, PEM at /ca.crt and DER at /ca.der.
func (a *App) serveCACert(w http.ResponseWriter, r *http.Request) {
	pemBytes := a.pki.CACertPEM()
	if pemBytes == nil {
		http.Error(w, "this deployment uses a certificate from a public authority: there is no CA to install", http.StatusNotFound)
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	if strings.HasSuffix(r.URL.Path, ".der") {
		w.Header().Set("Content-Type", "application/x-x509-ca-cert")
		w.Header().Set("Content-Disposition", `attachment; filename="preau-ca.der"`)
		_, _ = w.Write(a.pki.CACertDER())
		return
	}
	w.Header().Set("Content-Type", "application/x-pem-file")
	w.Header().Set("Content-Disposition", `attachment; filename="preau-ca.crt"`)
	_, _ = w.Write(pemBytes)
}

func serveHealthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}
