// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package files

import (
	"context"
	"io"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/files/bandwidth"
)

// bandwidthSetting holds an establishment's bandwidth policy (one JSON
// setting: a change is one journaled write, settings.put).
const bandwidthSetting = "files.bandwidth"

// zoneFinder is what the shaper reads of the directory's network zones
// (the store implements it; without it, only establishment-wide limits).
type zoneFinder interface {
	FindZones(ctx context.Context, establishment string) ([]*directory.Zone, error)
}

func (s *Service) loadBandwidth(ctx context.Context, est string) (bandwidth.Policy, []*directory.Zone, error) {
	p, err := s.Bandwidth(ctx, est)
	if err != nil || p.Off() {
		return p, nil, err
	}
	var zones []*directory.Zone
	if zf, ok := s.dir.(zoneFinder); ok && len(p.Zones) > 0 {
		if zones, err = zf.FindZones(ctx, est); err != nil {
			return p, nil, err
		}
	}
	return p, zones, nil
}

// Bandwidth returns the establishment's bandwidth policy for file
// transfers (UTI-ESF-5); the default limits nothing.
func (s *Service) Bandwidth(ctx context.Context, est string) (bandwidth.Policy, error) {
	if s.set == nil || est == "" {
		return bandwidth.Policy{}, nil
	}
	v, err := s.set.Setting(ctx, est, bandwidthSetting)
	if core.IsKind(err, core.NotFound) {
		return bandwidth.Policy{}, nil
	}
	if err != nil {
		return bandwidth.Policy{}, err
	}
	return bandwidth.Parse(v)
}

// SetBandwidth replaces the establishment's bandwidth policy: its
// administrators only, validated whole before anything is written, journaled
// (settings.put). This node applies it at once, the others within
// bandwidth.TTL.
func (s *Service) SetBandwidth(ctx context.Context, est string, p bandwidth.Policy) error {
	const op = "files.SetBandwidth"
	if !core.PrincipalFromContext(ctx).CanAdminister(est) {
		return core.E(op, core.Permission, "only the establishment's administrators set bandwidth limits")
	}
	if err := p.Validate(); err != nil {
		return err
	}
	if s.set == nil {
		return core.E(op, core.Unavailable, "settings are not available")
	}
	if err := s.set.PutSetting(ctx, est, bandwidthSetting, p.Marshal()); err != nil {
		return err
	}
	s.shaper.Forget(est)
	return nil
}

// ShapeDownload returns w paced by the download limit of the caller's
// establishment and network zone, and whether it is limited now (when not,
// w itself, so that unlimited downloads keep sendfile).
func (s *Service) ShapeDownload(ctx context.Context, w io.Writer) (io.Writer, bool) {
	p := core.PrincipalFromContext(ctx)
	return s.shaper.Download(ctx, mainEst(p), p.Source, w)
}

// ShapeUpload returns r paced by the upload limit of the caller's
// establishment and network zone (r itself when not limited now).
func (s *Service) ShapeUpload(ctx context.Context, r io.Reader) io.Reader {
	p := core.PrincipalFromContext(ctx)
	return s.shaper.Upload(ctx, mainEst(p), p.Source, r)
}

// TransferLimits returns the policy of the caller's establishment, the
// limits that apply to the caller's network zone, and that zone ("" when
// none): what the file manager tells users about synchronisation.
func (s *Service) TransferLimits(ctx context.Context) (bandwidth.Policy, bandwidth.Limits, string, error) {
	pr := core.PrincipalFromContext(ctx)
	p, zones, err := s.loadBandwidth(ctx, mainEst(pr))
	if err != nil {
		return p, bandwidth.Limits{}, "", err
	}
	zone := directory.ZoneOf(zones, pr.Source)
	l := p.For(zone)
	return p, l, zone, nil
}

// ZoneNames lists the network zones of an establishment (for the console's
// per-zone limits); nil when the directory has none.
func (s *Service) ZoneNames(ctx context.Context, est string) ([]string, error) {
	zf, ok := s.dir.(zoneFinder)
	if !ok {
		return nil, nil
	}
	zones, err := zf.FindZones(ctx, est)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, z := range zones {
		out = append(out, z.Name)
	}
	return out, nil
}
