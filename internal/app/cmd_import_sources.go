// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
)

// runImportDeclare is `preau import declare csv|ldif --uai … --justification
// … --reference …`: it records why an establishment needs a generic source
// and the reference of its data-protection formality, which imports from
// that source require (INF-ANN-7). Without a source it lists the
// establishment's declarations.
func runImportDeclare(ctx context.Context, env Env, args []string) error {
	var g globals
	var as, uai, justification, reference string
	fs := flag.NewFlagSet("preau import declare", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	g.register(fs)
	fs.StringVar(&as, "as", "", "act as this admin instead of as the system")
	fs.StringVar(&uai, "uai", "", "the establishment (UAI)")
	fs.StringVar(&justification, "justification", "", "why the national sources (SIECLE, STS-Web, AAF, BE1D) do not suffice")
	fs.StringVar(&reference, "reference", "", "the reference of the data-protection formality (GDPR record entry, DPIA, DPO opinion)")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: preau import declare [csv|ldif] --uai UAI [--justification TEXT --reference REF]\n\n"+
			"Sources other than the national ones need further CNIL formalities (CARINE INF-ANN-7):\n"+
			"an establishment imports CSV or LDIF files only once it has recorded why and under which\n"+
			"data-protection reference. Without a source, lists the establishment's declarations.\n\nFlags:")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if uai == "" || len(pos) > 1 {
		fs.Usage()
		return usageErr("preau import declare needs --uai and at most one source")
	}
	b, ctx, err := openCLI(ctx, env, g, as)
	if err != nil {
		return err
	}
	defer b.Close()
	est, err := b.db.FindEstablishment(ctx, uai)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		for _, src := range directory.GenericSources {
			d, err := b.db.SourceDeclaration(ctx, est.ID, src)
			if core.IsKind(err, core.NotFound) {
				fmt.Fprintf(env.Stdout, "%-5s not declared: imports refused\n", strings.ToUpper(src))
				continue
			} else if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "%-5s reference %q, recorded by %s on %s\n      %s\n", strings.ToUpper(src), d.Reference,
				d.RecordedBy, d.RecordedAt.Format("2006-01-02"), d.Justification)
		}
		return nil
	}
	if p := core.PrincipalFromContext(ctx); !p.CanAdminister(est.ID) {
		return core.E("import declare", core.Permission, "%s may not declare sources for %s", p.Login, est.UAI)
	}
	d := directory.SourceDeclaration{Source: pos[0], Justification: justification, Reference: reference}
	if err := b.db.DeclareSource(ctx, est.ID, d); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s declared for %s (reference %s), and journaled.\n", strings.ToUpper(pos[0]), est.UAI, strings.TrimSpace(reference))
	return nil
}
