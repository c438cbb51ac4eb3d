// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package main

import (
	"context"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirldap"
	"github.com/preau/preau/internal/store"
)

// hashes returns the argon2id hash (auth.DefaultParams) of every password of
// p, computed on every core, and one shared hash for everybody else. This is
// done before the timed load: hashing is not what the load measures.
func hashes(p *population) (byLogin map[string]string, shared string) {
	byLogin = make(map[string]string, len(p.passwords))
	var mu sync.Mutex
	var wg sync.WaitGroup
	work := make(chan string)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for l := range work {
				h := auth.HashPassword(p.passwords[l], auth.DefaultParams)
				mu.Lock()
				byLogin[l] = h
				mu.Unlock()
			}
		}()
	}
	for l := range p.passwords {
		work <- l
	}
	close(work)
	wg.Wait()
	return byLogin, auth.HashPassword(core.NewID(), auth.DefaultParams) // a password nobody knows
}

// loadPreau writes p into a fresh store in dataDir the way an import does:
// establishments, then people in batches of 1,000 (one transaction each,
// every creation journaled), classes, then memberships in batches of 2,000.
// It returns the time taken in all and for the people alone.
func loadPreau(ctx context.Context, dataDir string, p *population, hash map[string]string, shared string,
	log *slog.Logger) (total, people time.Duration, err error) {
	db, err := store.Open(ctx, store.Config{DataDir: dataDir, Log: log})
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	start := time.Now()
	for _, e := range p.ests {
		if err := db.CreateEstablishment(ctx, e); err != nil {
			return 0, 0, err
		}
	}
	t := time.Now()
	for i := 0; i < len(p.people); i += 1000 {
		batch := make([]directory.NewPerson, 0, 1000)
		for _, pp := range p.people[i:min(i+1000, len(p.people))] {
			h := hash[pp.Login]
			if h == "" {
				h = shared
			}
			batch = append(batch, directory.NewPerson{Person: pp, PasswordHash: h})
		}
		if err := db.CreatePeople(ctx, batch); err != nil {
			return 0, 0, err
		}
	}
	people = time.Since(t)
	if err := db.CreateGroups(ctx, p.groups); err != nil {
		return 0, 0, err
	}
	for i := 0; i < len(p.members); i += 2000 {
		if err := db.AddMembers(ctx, p.members[i:min(i+2000, len(p.members))]); err != nil {
			return 0, 0, err
		}
	}
	return time.Since(start), people, nil
}

// snapshotOf builds Préau's LDAP view of the store in dataDir, as the
// server does at start, and returns it with the time the build took.
func snapshotOf(ctx context.Context, dataDir, base string, log *slog.Logger) (*dirldap.Snapshot, time.Duration, error) {
	db, err := store.Open(ctx, store.Config{DataDir: dataDir, Log: log})
	if err != nil {
		return nil, 0, err
	}
	defer db.Close()
	start := time.Now()
	l := dirldap.NewLoader(db, base, core.SystemClock{}, log)
	if err := l.Load(ctx); err != nil {
		return nil, 0, err
	}
	return l.Snapshot(), time.Since(start), nil
}
