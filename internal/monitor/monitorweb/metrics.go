// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package monitorweb

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/preau/preau/internal/monitor"
)

// MetricsPath is where Prometheus scrapes (design §4).
const MetricsPath = "/metrics"

// Gauges are the figures of the deployment that are not check results,
// read at each scrape. Every one is an aggregate: no person appears in a
// series (MCO-SEI-8).
type Gauges struct {
	// People counts accounts by profile and state.
	People func(ctx context.Context) (map[[2]string]int, error)
	// IncidentsOpen and RequestsOpen count unresolved ones by establishment (UAI).
	IncidentsOpen func(ctx context.Context) (map[string]int, error)
	RequestsOpen  func(ctx context.Context) (map[string]int, error)
	// Disk returns the size and free space of the data folder's file system.
	Disk func() (total, free uint64, err error)
	// Memory returns the host's total and available memory.
	Memory func() (total, avail uint64, err error)
	// DataBytes returns the size of each part of the data (database, blobs…).
	DataBytes func(ctx context.Context) (map[string]int64, error)
	// CertExpiry is the end of Préau's own server certificate.
	CertExpiry func() time.Time
}

// Metrics serves the Prometheus endpoint.
type Metrics struct {
	reg     *prometheus.Registry
	token   string
	handler http.Handler
}

// NewMetrics builds the registry: the checks of engine, the gauges, the Go
// runtime and the process.
func NewMetrics(engine *monitor.Engine, names func(ctx context.Context, est string) string, g Gauges, version, token string) *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(&collector{engine: engine, names: names, g: g, version: version})
	return &Metrics{reg: reg, token: token,
		handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})}
}

// ServeHTTP checks the bearer token and serves the metrics.
func (m *Metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || m.token == "" || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(m.token)) != 1 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="preau-metrics"`)
		http.Error(w, "a bearer token is required (web.metrics_token, or metrics.token in the data folder)", http.StatusUnauthorized)
		return
	}
	m.handler.ServeHTTP(w, r)
}

// The documented series (docs/supervision.md).
var (
	descUp        = prometheus.NewDesc("preau_check_up", "1 when the check's target is up, 0 when down (absent while unknown).", []string{"establishment", "target", "service", "kind"}, nil)
	descLatency   = prometheus.NewDesc("preau_check_latency_seconds", "Latency of the last check.", []string{"establishment", "target", "service", "kind"}, nil)
	descFlapping  = prometheus.NewDesc("preau_check_flapping", "1 while the target flaps (alerts held back).", []string{"establishment", "target", "service", "kind"}, nil)
	descChecks    = prometheus.NewDesc("preau_checks_total", "Checks run by this node.", nil, nil)
	descFailures  = prometheus.NewDesc("preau_check_failures_total", "Failed checks run by this node.", nil, nil)
	descAlerts    = prometheus.NewDesc("preau_alerts_total", "Alerts sent by this node (per destination).", nil, nil)
	descIncidents = prometheus.NewDesc("preau_incidents_open", "Unresolved incidents.", []string{"establishment"}, nil)
	descRequests  = prometheus.NewDesc("preau_requests_open", "Users' requests not yet resolved.", []string{"establishment"}, nil)
	descPeople    = prometheus.NewDesc("preau_accounts", "Accounts by profile and state.", []string{"profile", "state"}, nil)
	descDisk      = prometheus.NewDesc("preau_disk_bytes", "File system of the data folder: size and free space.", []string{"kind"}, nil)
	descMemory    = prometheus.NewDesc("preau_memory_bytes", "Host memory: total and available.", []string{"kind"}, nil)
	descData      = prometheus.NewDesc("preau_data_bytes", "Size of each part of the data folder (data growth).", []string{"part"}, nil)
	descCert      = prometheus.NewDesc("preau_certificate_expiry_timestamp_seconds", "End of Préau's server certificate.", nil, nil)
	descBuild     = prometheus.NewDesc("preau_build_info", "Préau's version.", []string{"version"}, nil)
)

type collector struct {
	engine  *monitor.Engine
	names   func(ctx context.Context, est string) string
	g       Gauges
	version string
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descUp, descLatency, descFlapping, descChecks, descFailures, descAlerts,
		descIncidents, descRequests, descPeople, descDisk, descMemory, descData, descCert, descBuild} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	name := func(est string) string {
		if est == "" {
			return ""
		}
		if c.names != nil {
			if n := c.names(ctx, est); n != "" {
				return n
			}
		}
		return est
	}
	ch <- prometheus.MustNewConstMetric(descBuild, prometheus.GaugeValue, 1, c.version)
	if c.engine != nil {
		for _, t := range c.engine.Snapshot() {
			labels := []string{name(t.Establishment), t.Name, t.Service, string(t.Kind)}
			if t.State != monitor.Unknown {
				up := 0.0
				if t.State == monitor.Up {
					up = 1
				}
				ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, up, labels...)
				ch <- prometheus.MustNewConstMetric(descLatency, prometheus.GaugeValue, t.LastLatency.Seconds(), labels...)
			}
			fl := 0.0
			if t.Flapping {
				fl = 1
			}
			ch <- prometheus.MustNewConstMetric(descFlapping, prometheus.GaugeValue, fl, labels...)
		}
		checks, failures, alerts := c.engine.Counters()
		ch <- prometheus.MustNewConstMetric(descChecks, prometheus.CounterValue, float64(checks))
		ch <- prometheus.MustNewConstMetric(descFailures, prometheus.CounterValue, float64(failures))
		ch <- prometheus.MustNewConstMetric(descAlerts, prometheus.CounterValue, float64(alerts))
	}
	perEst := func(d *prometheus.Desc, f func(context.Context) (map[string]int, error)) {
		if f == nil {
			return
		}
		m, err := f(ctx)
		if err != nil {
			ch <- prometheus.NewInvalidMetric(d, err)
			return
		}
		for est, n := range m {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(n), name(est))
		}
	}
	perEst(descIncidents, c.g.IncidentsOpen)
	perEst(descRequests, c.g.RequestsOpen)
	if c.g.People != nil {
		if m, err := c.g.People(ctx); err != nil {
			ch <- prometheus.NewInvalidMetric(descPeople, err)
		} else {
			for k, n := range m {
				ch <- prometheus.MustNewConstMetric(descPeople, prometheus.GaugeValue, float64(n), k[0], k[1])
			}
		}
	}
	pair := func(d *prometheus.Desc, f func() (uint64, uint64, error), a, b string) {
		if f == nil {
			return
		}
		x, y, err := f()
		if err != nil {
			return
		}
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(x), a)
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(y), b)
	}
	pair(descDisk, c.g.Disk, "size", "free")
	pair(descMemory, c.g.Memory, "total", "available")
	if c.g.DataBytes != nil {
		if m, err := c.g.DataBytes(ctx); err == nil {
			for part, n := range m {
				ch <- prometheus.MustNewConstMetric(descData, prometheus.GaugeValue, float64(n), part)
			}
		}
	}
	if c.g.CertExpiry != nil {
		if t := c.g.CertExpiry(); !t.IsZero() {
			ch <- prometheus.MustNewConstMetric(descCert, prometheus.GaugeValue, float64(t.Unix()))
		}
	}
}
