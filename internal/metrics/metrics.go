// Package metrics exports what live capture sees as Prometheus metrics.
//
// The capture loop owns every value: it calls SA for each verdict, Event for
// each event and Update on its ticker with the running counters, all from
// one goroutine; the HTTP handler reads the collectors, which are safe for
// concurrent use.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ikescope/ikescope/classify"
)

// Metric names.
const (
	namespace = "ikescope"
)

// durationBuckets suit IKE: a LAN negotiation takes milliseconds, a slow
// peer or a lost message seconds, and the retransmission windows end
// around 170 s.
var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 180}

// Snapshot is the state of the running counters, handed to Update.
type Snapshot struct {
	// Packets by kind: ike, esp, keepalive, fragment, other, malformed.
	IKE, ESP, Keepalives, Fragments, Other, Malformed uint64
	ESPBytes                                          uint64
	LiveSAs                                           int
	Evicted                                           int
	CaptureDrops                                      uint64 // kernel or libpcap drops, cumulative
	RingFreezes                                       uint64 // times the capture ring filled up, cumulative
}

// Metrics holds the collectors of one live run.
type Metrics struct {
	reg           *prometheus.Registry
	negotiations  *prometheus.CounterVec
	phase1        prometheus.Histogram
	phase2        prometheus.Histogram
	retransmitted prometheus.Counter
	activeSAs     prometheus.Gauge
	packets       *prometheus.CounterVec
	espPackets    prometheus.Counter
	espBytes      prometheus.Counter
	drops         prometheus.Counter
	freezes       prometheus.Counter
	evicted       prometheus.Counter
	events        *prometheus.CounterVec

	last Snapshot
	// retrans remembers how many retransmissions were already counted for
	// each SA that has had one, so that they are counted as they happen
	// and not only with the verdict.
	retrans map[*classify.SA]int
}

// New returns the metrics, registered on a registry of their own (with the
// Go runtime and process collectors).
func New(version string) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), retrans: map[*classify.SA]int{}}
	m.negotiations = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "negotiations_total",
		Help: "IKE SAs judged, by verdict class (DESIGN.md \"Verdicts\"); counted when the verdict is final, or at the end of the run."},
		[]string{"class"})
	m.phase1 = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: namespace, Name: "phase1_duration_seconds",
		Help:    "Time from the first phase-1 message to the completion of phase 1 (IKEv1 main/aggressive mode, IKEv2 IKE_SA_INIT+IKE_AUTH), observed with the SA's verdict.",
		Buckets: durationBuckets})
	m.phase2 = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: namespace, Name: "phase2_duration_seconds",
		Help:    "Duration of each completed phase-2 exchange (IKEv1 quick mode, IKEv2 CREATE_CHILD_SA), observed with the SA's verdict.",
		Buckets: durationBuckets})
	m.retransmitted = prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "ike_retransmissions_total",
		Help: "IKE messages sent again unchanged (retransmissions)."})
	m.activeSAs = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Name: "active_sas",
		Help: "IKE SAs being followed (the table --max-sas bounds)."})
	m.packets = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "packets_total",
		Help: "Packets analysed, by what they carried."}, []string{"kind"})
	m.espPackets = prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "esp_packets_total",
		Help: "ESP packets (IP protocol 50 and UDP-encapsulated)."})
	m.espBytes = prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "esp_bytes_total",
		Help: "ESP bytes, from the SPI to the end of the packet."})
	m.drops = prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "capture_drops_total",
		Help: "Packets the capture dropped because the analysis fell behind (kernel PACKET_STATISTICS or libpcap)."})
	m.freezes = prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "capture_ring_freezes_total",
		Help: "Times the capture ring filled up and the kernel began to drop (TPACKET_V3 freeze_q_cnt; 0 without the ring)."})
	m.evicted = prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "evicted_sas_total",
		Help: "IKE SAs evicted because the table reached --max-sas (judged early, oldest idle first)."})
	m.events = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "events_total",
		Help: "Events attached to IKE SAs, by type (rekey, natt, retransmitted, ip_fragments_lost, ...)."}, []string{"type"})
	info := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Name: "build_info",
		Help: "ikescope build.", ConstLabels: prometheus.Labels{"version": version}})
	info.Set(1)
	m.reg.MustRegister(m.negotiations, m.phase1, m.phase2, m.retransmitted, m.activeSAs, m.packets, m.espPackets,
		m.espBytes, m.drops, m.freezes, m.evicted, m.events, info,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Every class and kind is exported from the start, at 0.
	for _, c := range classify.Classes {
		m.negotiations.WithLabelValues(string(c))
	}
	for _, k := range []string{"ike", "esp", "keepalive", "fragment", "other", "malformed"} {
		m.packets.WithLabelValues(k)
	}
	return m
}

// Handler serves the metrics (mount it on /metrics).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry returns the registry, for tests and for adding collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// SA records an SA whose verdict was just given.
func (m *Metrics) SA(sa *classify.SA) {
	m.negotiations.WithLabelValues(string(sa.Verdict.Class)).Inc()
	m.countRetransmissions(sa)
	delete(m.retrans, sa)
}

// Phase records a phase that just completed (the Tracker's OnPhase), so
// the duration histograms fill as negotiations finish, not when the SA's
// verdict comes (for an established tunnel, hours later). Phase 1 of an SA
// whose start the capture missed is not observed.
func (m *Metrics) Phase(sa *classify.SA, phase int, d time.Duration) {
	switch {
	case phase == 1 && len(sa.Phase1()) > 0:
		m.phase1.Observe(d.Seconds())
	case phase == 2:
		m.phase2.Observe(d.Seconds())
	}
}

// Event records an event just attached to sa.
func (m *Metrics) Event(sa *classify.SA, ev classify.Event) {
	m.events.WithLabelValues(ev.Type).Inc()
	if ev.Type == "retransmitted" {
		// The first retransmission of a message: from now on the SA's
		// retransmissions are counted on every Update.
		m.countRetransmissions(sa)
	}
}

func (m *Metrics) countRetransmissions(sa *classify.SA) {
	n := 0
	for _, x := range sa.Exchanges {
		n += x.Retransmissions()
	}
	if d := n - m.retrans[sa]; d > 0 {
		m.retransmitted.Add(float64(d))
	}
	if n > 0 {
		m.retrans[sa] = n
	}
}

// Update brings the counters and gauges to s.
func (m *Metrics) Update(s Snapshot) {
	add := func(c prometheus.Counter, now, before uint64) {
		if now > before {
			c.Add(float64(now - before))
		}
	}
	l := m.last
	add(m.packets.WithLabelValues("ike"), s.IKE, l.IKE)
	add(m.packets.WithLabelValues("esp"), s.ESP, l.ESP)
	add(m.packets.WithLabelValues("keepalive"), s.Keepalives, l.Keepalives)
	add(m.packets.WithLabelValues("fragment"), s.Fragments, l.Fragments)
	add(m.packets.WithLabelValues("other"), s.Other, l.Other)
	add(m.packets.WithLabelValues("malformed"), s.Malformed, l.Malformed)
	add(m.espPackets, s.ESP, l.ESP)
	add(m.espBytes, s.ESPBytes, l.ESPBytes)
	add(m.drops, s.CaptureDrops, l.CaptureDrops)
	add(m.freezes, s.RingFreezes, l.RingFreezes)
	add(m.evicted, uint64(s.Evicted), uint64(l.Evicted))
	m.activeSAs.Set(float64(s.LiveSAs))
	m.last = s
	for sa := range m.retrans {
		m.countRetransmissions(sa)
	}
}
