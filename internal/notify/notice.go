// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package notify

import (
	"context"
	"log/slog"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/journal"
)

// Notice is a message shown on a person's portal. Every notification is
// stored as a notice, so that people without a mailbox get it too.
type Notice struct {
	ID       string
	PersonID string
	At       time.Time
	Subject  string
	Body     string
	ReadAt   time.Time // zero while unread
}

// NoticeStore persists notices.
type NoticeStore interface {
	CreateNotice(ctx context.Context, n *Notice) error
	// FindNotices lists a person's notices, newest first; unread only if asked.
	FindNotices(ctx context.Context, personID string, unreadOnly bool) ([]*Notice, error)
	// MarkNoticeRead marks one of the person's notices read; core.NotFound if
	// it is not theirs.
	MarkNoticeRead(ctx context.Context, personID, id string) error
	Journal(ctx context.Context, e journal.Entry) error
}

// Recipient is a person to notify.
type Recipient struct {
	PersonID      string
	Login         string
	Mail          string // institutional address, may be empty
	Establishment string // journal chain of the mail send
}

// Notifier delivers notifications: a portal notice always, and a mail
// through the relay when the person has an address and a relay is set.
// Later services call it rather than writing their own.
type Notifier struct {
	mailer *Mailer
	store  NoticeStore
	clock  core.Clock
	log    *slog.Logger
}

// NewNotifier returns a Notifier. mailer may be disabled (no relay).
func NewNotifier(m *Mailer, s NoticeStore, clock core.Clock, log *slog.Logger) *Notifier {
	return &Notifier{mailer: m, store: s, clock: clock, log: log}
}

// Notify stores the notice and, when possible, mails it. A mail that fails
// is logged and journaled as failed; the notice stays, so the person still
// sees it on the portal. The text must never carry a secret (a password).
func (n *Notifier) Notify(ctx context.Context, r Recipient, subject, body string) error {
	notice := &Notice{ID: core.NewID(), PersonID: r.PersonID, At: n.clock.Now(), Subject: subject, Body: body}
	if err := n.store.CreateNotice(ctx, notice); err != nil {
		return err
	}
	if r.Mail == "" || n.mailer == nil || !n.mailer.Enabled() {
		return nil
	}
	id, err := n.mailer.Send(ctx, Message{To: []string{r.Mail}, Subject: subject, Text: body})
	e := journal.Entry{Chain: r.Establishment, Action: "notify.mail.send", TargetType: "person",
		TargetID: r.PersonID, TargetName: r.Login, Attributes: []string{"message-id:" + id}}
	e.SetActor(core.SystemPrincipal("system:notify", core.ChannelJob))
	if err != nil {
		e.Result, e.Reason = journal.Failed, core.MessageOf(err)
		n.log.Warn("notification mail failed", "login", r.Login, "err", err)
	}
	if jerr := n.store.Journal(ctx, e); jerr != nil {
		n.log.Error("journaling a notification mail failed", "err", jerr)
	}
	return nil
}
