// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package fsblob

import "sync"

// dirSyncer shares folder syncs between concurrent commits into the same
// folder (group commit of directory entries): a commit that renamed its file
// into a folder waits for a sync of that folder that started after its
// rename, and one such sync serves every commit waiting for it. Thirty-two
// uploads landing in one folder together cost two or three folder syncs
// instead of thirty-two; alone, a commit pays one sync as before.
type dirSyncer struct {
	mu   sync.Mutex
	dirs map[string]*dirSync
	sync func(dir string) error // syncDir; a test may count calls
}

// dirSync is the state of one folder's syncs.
type dirSync struct {
	users   int  // commits using the entry (it is dropped at 0)
	running bool // a sync is in progress
	started uint64
	done    uint64 // the last finished sync (syncs run one at a time)
	err     error  // its result
	cond    *sync.Cond
}

// syncDir returns once a sync of dir that started after the call began has
// finished, with that sync's error.
func (ds *dirSyncer) syncDir(dir string) error {
	ds.mu.Lock()
	if ds.dirs == nil {
		ds.dirs = map[string]*dirSync{}
	}
	d := ds.dirs[dir]
	if d == nil {
		d = &dirSync{cond: sync.NewCond(&ds.mu)}
		ds.dirs[dir] = d
	}
	d.users++
	need := d.started + 1 // a sync in progress may have begun before our rename
	var err error
	for {
		if d.done >= need {
			err = d.err
			break
		}
		if d.running {
			d.cond.Wait()
			continue
		}
		d.running = true
		d.started++
		n := d.started
		ds.mu.Unlock()
		serr := ds.sync(dir)
		ds.mu.Lock()
		d.running, d.done, d.err = false, n, serr
		d.cond.Broadcast()
	}
	if d.users--; d.users == 0 {
		delete(ds.dirs, dir)
	}
	ds.mu.Unlock()
	return err
}
