// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package probes

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/preau/preau/internal/monitor"
)

// AlertSettings are where alerts go; the console edits them (they live in
// the store, scope "monitor").
type AlertSettings struct {
	OnCall  []string // mail addresses of the on-call admins
	Webhook string   // URL receiving the alert as JSON; "" for none
	Secret  string   // when set, X-Preau-Signature: sha256=<HMAC of the body>
}

// Alerter sends alerts by mail and by webhook.
type Alerter struct {
	Settings func(ctx context.Context) (AlertSettings, error)
	// Mail sends a plain-text mail to the addresses (internal/notify).
	Mail   func(ctx context.Context, to []string, subject, text string) error
	Client *http.Client // default: 10 s timeout
}

var _ monitor.Alerter = (*Alerter)(nil)

// Alert sends a to the on-call addresses and to the webhook.
func (al *Alerter) Alert(ctx context.Context, a monitor.Alert) ([]string, error) {
	s, err := al.Settings(ctx)
	if err != nil {
		return nil, err
	}
	var sent []string
	var errs []error
	if len(s.OnCall) > 0 && al.Mail != nil {
		subject, text := MailText(a)
		if err := al.Mail(ctx, s.OnCall, subject, text); err != nil {
			errs = append(errs, fmt.Errorf("mail: %w", err))
		} else {
			sent = append(sent, "mail "+strings.Join(s.OnCall, ", "))
		}
	}
	if s.Webhook != "" {
		if err := al.post(ctx, s, a); err != nil {
			errs = append(errs, fmt.Errorf("webhook: %w", err))
		} else {
			sent = append(sent, "webhook")
		}
	}
	return sent, errors.Join(errs...)
}

func (al *Alerter) post(ctx context.Context, s AlertSettings, a monitor.Alert) error {
	body, err := json.Marshal(a)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.Webhook, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Preau-Monitor/1")
	if s.Secret != "" {
		m := hmac.New(sha256.New, []byte(s.Secret))
		m.Write(body)
		req.Header.Set("X-Preau-Signature", "sha256="+hex.EncodeToString(m.Sum(nil)))
	}
	c := al.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("the receiver answered %s", resp.Status)
	}
	return nil
}

// MailText is the French-first mail of an alert.
func MailText(a monitor.Alert) (subject, text string) {
	var b strings.Builder
	where := a.Establishment
	if where == "" {
		where = "Préau"
	}
	if a.Event == "incident.resolved" {
		subject = fmt.Sprintf("[Préau] Rétabli : %s (%s)", a.Title, where)
		fmt.Fprintf(&b, "L'incident est résolu après %s (objectif de rétablissement : %s).\n",
			time.Duration(a.RestoreSecs)*time.Second, time.Duration(a.TargetSecs)*time.Second)
	} else {
		subject = fmt.Sprintf("[Préau] Incident : %s (%s)", a.Title, where)
		fmt.Fprintf(&b, "Un incident est ouvert : %s\n", a.Title)
		if a.Error != "" {
			fmt.Fprintf(&b, "Cause constatée : %s\n", a.Error)
		}
		fmt.Fprintf(&b, "Objectif de rétablissement : %s\n", time.Duration(a.TargetSecs)*time.Second)
	}
	if a.Service != "" {
		fmt.Fprintf(&b, "Service : %s\n", a.Service)
	}
	if a.Target != "" {
		fmt.Fprintf(&b, "Contrôle : %s\n", a.Target)
	}
	fmt.Fprintf(&b, "Ouvert le : %s UTC\n", a.OpenedAt.Format("2006-01-02 15:04:05"))
	if a.URL != "" {
		fmt.Fprintf(&b, "\n%s\n", a.URL)
	}
	b.WriteString("\n-- \nEnglish: " + a.Event + " — " + a.Title + "\n")
	return subject, b.String()
}
