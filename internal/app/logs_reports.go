// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/preau/preau/internal/blob"
	"github.com/preau/preau/internal/blob/bloburl"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/logs"
	"github.com/preau/preau/internal/logs/logsweb"
	"github.com/preau/preau/internal/notify"
)

// logScheduler runs the scheduled log reports and archives (MCO-JAL-5,
// MCO-JAL-3) every minute; each run is taken under a store lease so that
// on a cluster sharing one store it runs on one node.
func (a *App) logScheduler() *logs.Scheduler {
	host, _ := os.Hostname()
	return &logs.Scheduler{Store: a.db, Logs: a.logs, Reports: a.blobs, Clock: a.clock, Loc: time.Local,
		Holder: host + "/" + core.NewID(), Log: a.log.With("svc", "logs-schedule"),
		Announce:      a.announceLogReport,
		Alert:         a.alertLogAdmins,
		ArchiveTarget: openArchiveTarget(os.Getenv)}
}

// LogScheduler returns the node's report and archive scheduler; tests tick
// it with their clock.
func (a *App) LogScheduler() *logs.Scheduler {
	if a.logs == nil {
		return nil
	}
	return a.logScheduler()
}

func (a *App) runLogScheduler(ctx context.Context) {
	jctx := core.ContextWithPrincipal(ctx, core.SystemPrincipal("system:logs-schedule", core.ChannelJob))
	a.logScheduler().Run(jctx)
}

// openArchiveTarget opens a scheduled archive's target: a folder (created
// when missing) or s3://bucket/prefix?endpoint=… with the credentials of
// the environment, as for --blobs.
func openArchiveTarget(getenv func(string) string) func(ctx context.Context, target string) (blob.Store, string, error) {
	return func(ctx context.Context, target string) (blob.Store, string, error) {
		bs, err := bloburl.Open(ctx, target, "", getenv)
		if err != nil {
			return nil, "", fmt.Errorf("opening the archive target: %w", err)
		}
		return bs, "", nil
	}
}

// announceLogReport tells a report's audience it is ready: each person of
// the audience's profiles (in the query's establishment) or named, who may
// still run the query (logs.read there), gets a portal notice and a mail.
func (a *App) announceLogReport(ctx context.Context, q *logs.SavedQuery, rep *logs.QueryReport) {
	logins := slices.Clone(q.Audience.Logins)
	var ests []string
	if q.Establishment != "" && q.Establishment != logs.DeploymentScope {
		ests = []string{q.Establishment}
	}
	for _, pr := range q.Audience.Profiles {
		people, _, err := a.db.FindPeople(ctx, directory.PersonFilter{Establishments: ests, Profile: string(pr),
			State: string(directory.Active), Limit: 200})
		if err != nil {
			a.log.Warn("log report audience", "query", q.Name, "err", err)
			continue
		}
		for _, p := range people {
			if !p.Service && !slices.Contains(logins, p.Login) {
				logins = append(logins, p.Login)
			}
		}
	}
	loc := time.Local
	subject := "Rapport de journaux : " + q.Name
	body := fmt.Sprintf("Le rapport planifié « %s » est prêt : %d enregistrements du %s au %s.\nObjet déclaré : %s\nConsultez-le (authentification forte) : %s\n\n"+
		"The scheduled log report %q is ready: %d records from %s to %s. See %s",
		q.Name, rep.Summary.Records, rep.Since.In(loc).Format("02/01/2006 15:04"), rep.Until.In(loc).Format("02/01/2006 15:04"), q.Purpose,
		strings.TrimSuffix(a.publicURL(), "/")+logsweb.QueryPath(q.ID), q.Name, rep.Summary.Records, rep.Since.In(loc).Format(time.RFC3339), rep.Until.In(loc).Format(time.RFC3339),
		strings.TrimSuffix(a.publicURL(), "/")+logsweb.QueryPath(q.ID))
	for _, login := range logins {
		p, err := a.auth.PrincipalForLogin(ctx, login)
		if err != nil || !q.MayRun(p, logs.Readable(p)) {
			continue
		}
		person, err := a.db.FindPersonByLogin(ctx, login)
		if err != nil {
			continue
		}
		if err := a.notifier.Notify(ctx, notify.Recipient{PersonID: person.ID, Login: person.Login, Mail: person.Mail,
			Establishment: person.MainEstablishment()}, subject, body); err != nil {
			a.log.Warn("announcing a log report failed", "login", login, "err", err)
		}
	}
}

// alertLogAdmins tells the technical admins (of est, or of every
// establishment for a deployment-level job) that a scheduled log job
// failed.
func (a *App) alertLogAdmins(ctx context.Context, est, subject, body string) {
	var ests []string
	if est != "" && est != logs.DeploymentScope {
		ests = []string{est}
	}
	people, _, err := a.db.FindPeople(ctx, directory.PersonFilter{Establishments: ests, Profile: string(core.ProfileAdmin),
		State: string(directory.Active), Limit: 200})
	if err != nil {
		a.log.Error("alerting the technical admins failed", "err", err)
		return
	}
	for _, p := range people {
		if p.Service {
			continue
		}
		if err := a.notifier.Notify(ctx, notify.Recipient{PersonID: p.ID, Login: p.Login, Mail: p.Mail,
			Establishment: p.MainEstablishment()}, subject, body); err != nil {
			a.log.Warn("alerting a technical admin failed", "login", p.Login, "err", err)
		}
	}
}
