// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package backupd

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/preau/preau/internal/backup"
	"github.com/preau/preau/internal/core"
)

// Client is a backup.Backend talking to a receiver.
type Client struct {
	base  string
	token string
	hc    *http.Client
}

// NewClient returns a client for base (https://host:port). caFile, when
// set, is the PEM CA that signs the receiver's certificate (a Préau's own
// CA); otherwise the system roots are used. certFile, when set, is the
// sender's client certificate and key (one PEM file, from preau backup
// receiver-cert) for a receiver that requires mutual TLS; the token is
// then optional.
func NewClient(base, token, caFile, certFile string) (*Client, error) {
	if token == "" {
		token = os.Getenv("PREAU_BACKUP_TOKEN")
	}
	if token == "" && certFile == "" {
		return nil, core.E("backupd.NewClient", core.Invalid, "a receiver needs a sender certificate (--client-cert) or a token (--token or PREAU_BACKUP_TOKEN)")
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, core.E("backupd.NewClient", core.Invalid, "%s holds no PEM certificate", caFile)
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	if certFile != "" {
		kp, err := tls.LoadX509KeyPair(certFile, certFile)
		if err != nil {
			return nil, core.E("backupd.NewClient", core.Invalid, "sender certificate %s: %v", certFile, err)
		}
		tr.TLSClientConfig.Certificates = []tls.Certificate{kp}
	}
	return NewClientWith(base, token, &http.Client{Transport: tr, Timeout: 10 * time.Minute}), nil
}

// NewClientWith uses a given HTTP client (tests).
func NewClientWith(base, token string, hc *http.Client) *Client {
	return &Client{base: strings.TrimRight(base, "/"), token: token, hc: hc}
}

func (c *Client) do(ctx context.Context, method, path string, body []byte, hdr map[string]string) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+"/v1/"+path, rd)
	if err != nil {
		return nil, err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, core.Wrap("backupd.Client", core.Unavailable, err)
	}
	return resp, nil
}

func statusErr(op string, resp *http.Response, h backup.Handle) error {
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	text := fmt.Sprintf("%s: receiver answered %s: %s", h, resp.Status, strings.TrimSpace(string(msg)))
	switch resp.StatusCode {
	case http.StatusNotFound:
		return core.E(op, core.NotFound, "%s", text)
	case http.StatusConflict:
		return core.Wrap(op, core.Exists, fmt.Errorf("%s: %w", text, backup.ErrExists))
	case http.StatusUnauthorized:
		return core.E(op, core.Unauthenticated, "%s", text)
	case http.StatusMethodNotAllowed:
		return core.E(op, core.Permission, "%s", text)
	case http.StatusBadRequest:
		return core.E(op, core.Invalid, "%s", text)
	}
	return core.E(op, core.Unavailable, "%s", text)
}

// Save implements backup.Backend.
func (c *Client) Save(ctx context.Context, h backup.Handle, data []byte) error {
	resp, err := c.do(ctx, http.MethodPut, h.Kind+"/"+h.Name, data, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusCreated {
		return nil
	}
	if resp.StatusCode == http.StatusOK { // the same bytes were there
		return core.Wrap("backupd.Save", core.Exists, fmt.Errorf("%s: %w", h, backup.ErrExists))
	}
	return statusErr("backupd.Save", resp, h)
}

// Load implements backup.Backend.
func (c *Client) Load(ctx context.Context, h backup.Handle, offset, length int64) (io.ReadCloser, error) {
	hdr := map[string]string{}
	if offset > 0 || length > 0 {
		if length > 0 {
			hdr["Range"] = fmt.Sprintf("bytes=%d-%d", offset, offset+length-1)
		} else {
			hdr["Range"] = fmt.Sprintf("bytes=%d-", offset)
		}
	}
	resp, err := c.do(ctx, http.MethodGet, h.Kind+"/"+h.Name, nil, hdr)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusPartialContent {
		defer resp.Body.Close()
		return nil, statusErr("backupd.Load", resp, h)
	}
	return resp.Body, nil
}

// Stat implements backup.Backend.
func (c *Client) Stat(ctx context.Context, h backup.Handle) (int64, error) {
	resp, err := c.do(ctx, http.MethodHead, h.Kind+"/"+h.Name, nil, nil)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, statusErr("backupd.Stat", resp, h)
	}
	return resp.ContentLength, nil
}

// List implements backup.Backend.
func (c *Client) List(ctx context.Context, kind string, fn func(string, int64) error) error {
	resp, err := c.do(ctx, http.MethodGet, kind+"/", nil, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return statusErr("backupd.List", resp, backup.Handle{Kind: kind})
	}
	var list []struct {
		Name string `json:"name"`
		Size int64  `json:"size"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		return core.E("backupd.List", core.Invalid, "receiver listing: %v", err)
	}
	for _, e := range list {
		if err := fn(e.Name, e.Size); err != nil {
			return err
		}
	}
	return nil
}

// Remove implements backup.Backend: only locks can be removed; anything
// else is refused by the receiver.
func (c *Client) Remove(ctx context.Context, h backup.Handle) error {
	resp, err := c.do(ctx, http.MethodDelete, h.Kind+"/"+h.Name, nil, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNoContent || resp.StatusCode == http.StatusOK {
		return nil
	}
	return statusErr("backupd.Remove", resp, h)
}
