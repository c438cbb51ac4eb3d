// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/preau/preau/internal/auth/picture"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/fsutil"
)

// PicturesFile lists the demo école pupils' picture logins: the demo-only
// exception to INF-AUT-10, like demo-accounts.csv.
const PicturesFile = "demo-pictures.csv"

// demoPictures turns picture login on for the demo écoles' maternelle and
// CP classes and writes their cards to demo-pictures.csv (uai, class,
// board, login, avatar, pictures). Grids of 9 and sequences of 3 in
// maternelle, 12 and 4 in CP. It does nothing when the file exists.
func (a *App) demoPictures(ctx context.Context) error {
	path := filepath.Join(a.cfg.Data, PicturesFile)
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	pics := picture.New(picture.Deps{Store: a.db, Sessions: a.auth, Clock: a.clock, Log: a.log})
	ests, err := a.db.FindEstablishments(ctx, nil, 0)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"uai", "class", "board", "login", "avatar", "pictures"})
	for _, est := range ests {
		if est.Type != directory.Ecole {
			continue
		}
		groups, err := a.db.FindGroups(ctx, directory.GroupFilter{Establishment: est.ID, Kind: string(directory.Class)})
		if err != nil {
			return err
		}
		for _, g := range groups {
			grid, length := 12, 4
			switch {
			case slices.Contains([]string{"TPS", "PS", "MS", "GS", "PS-MS", "TPS-PS", "MS-GS"}, g.Level):
				grid, length = 9, 3
			case g.Level != "CP":
				continue
			}
			c, cards, err := pics.Enable(ctx, g.ID, grid, length)
			if err != nil {
				return err
			}
			for _, card := range cards {
				w.Write([]string{est.UAI, g.Code, c.Code, card.Person.Login, card.Avatar, card.Sequence.String()})
			}
		}
	}
	w.Flush()
	return fsutil.WriteFile(path, 0o600, false, func(out io.Writer) error {
		_, err := out.Write(buf.Bytes())
		return err
	})
}
