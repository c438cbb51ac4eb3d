// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/preau/preau/internal/breakglass"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/notify"
	"github.com/preau/preau/internal/store"
)

// breakGlassTick is how often ended break-glass accesses are expired. An
// access is refused by Authorize as soon as its window passes; the job only
// records the end and tells the person, so a minute's delay is harmless.
const breakGlassTick = time.Minute

// expireBreakGlass ends, at start and then every minute, the break-glass
// accesses whose window has passed and the requests left undecided too
// long, telling the people concerned.
func (a *App) expireBreakGlass(ctx context.Context) {
	for {
		n, err := a.glass.ExpireDue(ctx)
		if err != nil && ctx.Err() == nil {
			a.log.Error("expiring break-glass accesses failed", "err", err)
		} else if n > 0 {
			a.log.Info("break-glass accesses expired", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(breakGlassTick):
		}
	}
}

// BreakGlass returns the break-glass service: the services that show
// private content (files, mail, logs, backup) call its Authorize; tests
// drive it directly.
func (a *App) BreakGlass() *breakglass.Service { return a.glass }

// noticeMailer sends the mail copy of a break-glass notice through the
// relay, as notify.Notifier does for other notices (the notice itself is
// written in the transition's transaction), and journals the send.
type noticeMailer struct {
	db     *store.DB
	mailer *notify.Mailer
	log    *slog.Logger
}

func (m noticeMailer) MailNotice(ctx context.Context, n breakglass.Notice) {
	if !m.mailer.Enabled() {
		return
	}
	person, err := m.db.FindPerson(ctx, n.PersonID)
	if err != nil || person.Mail == "" {
		return
	}
	id, err := m.mailer.Send(ctx, notify.Message{To: []string{person.Mail}, Subject: n.Subject, Text: n.Body})
	e := journal.Entry{Chain: person.MainEstablishment(), Action: "notify.mail.send", TargetType: "person",
		TargetID: person.ID, TargetName: person.Login, Attributes: []string{"message-id:" + id}}
	e.SetActor(core.SystemPrincipal("system:notify", core.ChannelJob))
	if err != nil {
		e.Result, e.Reason = journal.Failed, core.MessageOf(err)
		m.log.Warn("break-glass notice mail failed", "login", person.Login, "err", err)
	}
	if jerr := m.db.Journal(ctx, e); jerr != nil {
		m.log.Error("journaling a notice mail failed", "err", jerr)
	}
}
