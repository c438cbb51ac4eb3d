// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package demo generates the synthetic school deployment of `preau demo`
// (design §4): a collège of about 600 pupils, a lycée of about 1,500 and an
// école of about 150, with their teachers, staff, heads, classes and groups,
// and one technical admin.
//
// The generator is pure: it does no I/O, reads no clock and no global random
// source. Generate returns plain data that another package loads into the
// store; AccountsCSV writes demo-accounts.csv. The same seed and the same
// school year always give byte-identical output.
//
// The data model follows design §3 and INF-ANN-8: a Person has no birth date,
// phone, postal address or guardian field, and initial passwords are random,
// never derived from a name or a date. Pupils' mail addresses live in their
// own subdomain (UTI-MSG-3). Clear-text passwords are a demo-only exception
// to INF-AUT-10.
package demo
